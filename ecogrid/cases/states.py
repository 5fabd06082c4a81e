"""The life of a case: which action moves it from which status to which, and who may take it.

The closed loop (collect -> register -> dispatch -> handle -> report back -> verify and close
-> evaluate) for a complaint::

    registered --accept--> accepted --dispatch--> dispatched --start--> in_progress
    registered --reject--> rejected                     in_progress --rectify--> rectification
    in_progress / rectification --reply--> replied --revisit--> revisited --close--> closed
    replied --revisit (unsatisfied)--> dispatched   (handled again; handling count + 1)
    closed --repeat complaint--> accepted           (rework 返工: see below)

Work that is not this bureau's leaves it (a status it never comes back from, neither closed nor
overdue here)::

    registered --return--> returned           退单: a platform's work order back to it, with a reason code
    registered .. rectification --transfer--> transferred   转办 to another department (not the police)
    registered .. rectification --handover--> transferred   移交公安: the same, to a police department

and a case being handled may get co-handling bodies (``cohandle``, 会同街道/卫生院/城管) without
changing its status. A reply on a case under rectification needs a follow-up inspection after the
order (复查, ``CaseFacts.rectification_unchecked``).

Consultations and suggestions are not inspected: ``registered --answer--> closed`` or
``registered --reject--> rejected``. A chief may re-dispatch a dispatched case to someone else,
and may grant one extension of the time limit while a complaint is open (accepted, not yet
closed). Nothing here touches a database: the caller passes the case's status and facts and
persists what the returned :class:`Transition` says.

Rework (返工): a repeat complaint received after a complaint case was closed, within the repeat window
(``repeat_closed_window_days``, the intake's joining rule), reopens it (:func:`reopen_on_repeat`). The
problem came back, so the case goes back to ``accepted`` (已受理，待派单): it was accepted once and
now waits for a chief to dispatch a new handling. The handling count and the rework count grow by
one, and the case gets the deadline of a new handling (the conclusion stage of
``ecogrid.cases.deadlines``, counted from the repeat's receipt and the reopening). A repeat received
before the closing (a late import) only joins the case; an open case is never reopened. It is an
event (``reopen``) of the case history, not an action anyone takes.

Who may act on *which* case (not only which action) is decided here too, from facts the caller
gathers (:class:`Reach`, :class:`Assignment`), by :func:`may_act_on`:

- an inspector acts only on a case assigned to them, or to the team they belong to;
- a chief acts only on cases in their zones: the zones whose officer they are and every zone
  nested in them; a cross-district case (``ecogrid.cases.rules``) also lies in its source's zone.
  A chief who is officer of a top-level zone (the district) is city-level and
  acts everywhere, cases outside every zone included; a chief who is officer of no zone acts
  nowhere (they still read), since nobody has said which part of the city they answer for;
- admin acts everywhere; clerks (intake staff) are limited by their role, not by place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from ecogrid.cases import deadlines
from ecogrid.core.vocabulary import ContactMethod, Kind, ReturnReason, Role

_E = TypeVar("_E", bound=StrEnum)


class Status(StrEnum):
    registered = "registered"
    accepted = "accepted"
    rejected = "rejected"
    dispatched = "dispatched"
    in_progress = "in_progress"
    rectification = "rectification"
    replied = "replied"
    revisited = "revisited"
    closed = "closed"
    returned = "returned"
    transferred = "transferred"


class Action(StrEnum):
    accept = "accept"
    reject = "reject"
    dispatch = "dispatch"
    start = "start"
    rectify = "rectify"
    reply = "reply"
    revisit = "revisit"
    close = "close"
    extend = "extend"
    answer = "answer"
    return_ = "return"
    transfer = "transfer"
    handover = "handover"
    cohandle = "cohandle"


class Satisfaction(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class RejectReason(StrEnum):
    outside_jurisdiction = "outside_jurisdiction"
    not_environmental = "not_environmental"
    duplicate = "duplicate"


STATUS_LABELS: Mapping[Status, tuple[str, str]] = {
    Status.registered: ("已登记", "registered"),
    Status.accepted: ("已受理", "accepted"),
    Status.rejected: ("不予受理", "rejected"),
    Status.dispatched: ("已派单", "dispatched"),
    Status.in_progress: ("办理中", "in progress"),
    Status.rectification: ("整改中", "under rectification"),
    Status.replied: ("已办结", "replied"),
    Status.revisited: ("已回访", "revisited"),
    Status.closed: ("已销号", "closed"),
    Status.returned: ("已退单", "returned"),
    Status.transferred: ("已转办", "transferred"),
}

ACTION_LABELS: Mapping[Action, tuple[str, str]] = {
    Action.accept: ("受理", "accept"),
    Action.reject: ("不予受理", "reject"),
    Action.dispatch: ("派单", "dispatch"),
    Action.start: ("开始办理", "start"),
    Action.rectify: ("责令整改", "order rectification"),
    Action.reply: ("反馈办理结果", "reply"),
    Action.revisit: ("回访", "revisit"),
    Action.close: ("销号", "close"),
    Action.extend: ("延期", "extend"),
    Action.answer: ("答复", "answer"),
    Action.return_: ("退单", "return to the platform"),
    Action.transfer: ("转办", "transfer"),
    Action.handover: ("移交公安", "hand over to the police"),
    Action.cohandle: ("会同办理", "add a co-handling body"),
}

SATISFACTION_LABELS: Mapping[Satisfaction, tuple[str, str]] = {
    Satisfaction.satisfied: ("满意", "satisfied"),
    Satisfaction.basically_satisfied: ("基本满意", "basically satisfied"),
    Satisfaction.unsatisfied: ("不满意", "unsatisfied"),
}

ROLES_FOR_ACTION: Mapping[Action, frozenset[Role]] = {
    Action.accept: frozenset({Role.clerk, Role.admin}),
    Action.reject: frozenset({Role.clerk, Role.admin}),
    Action.answer: frozenset({Role.clerk, Role.admin}),
    Action.revisit: frozenset({Role.clerk, Role.admin}),
    Action.close: frozenset({Role.clerk, Role.admin}),
    Action.dispatch: frozenset({Role.chief, Role.admin}),
    Action.extend: frozenset({Role.chief, Role.admin}),
    Action.start: frozenset({Role.inspector, Role.chief, Role.admin}),
    Action.rectify: frozenset({Role.inspector, Role.chief, Role.admin}),
    Action.reply: frozenset({Role.inspector, Role.chief, Role.admin}),
    Action.return_: frozenset({Role.clerk, Role.admin}),
    Action.transfer: frozenset({Role.chief, Role.admin}),
    Action.handover: frozenset({Role.chief, Role.admin}),
    Action.cohandle: frozenset({Role.chief, Role.admin}),
}

# A complaint is open from acceptance until it is closed; only then can its time limit be extended.
_OPEN_COMPLAINT = (
    Status.accepted,
    Status.dispatched,
    Status.in_progress,
    Status.rectification,
    Status.replied,
    Status.revisited,
)

# Transfer and handover take a case away from any status before its conclusion.
_LEAVING: Mapping[Action, Status] = {Action.transfer: Status.transferred, Action.handover: Status.transferred}
# Co-handling bodies join a case from acceptance until its conclusion; the case keeps its status.
_CO_HANDLED = (Status.accepted, Status.dispatched, Status.in_progress, Status.rectification)

# status -> action -> next status. An unsatisfied revisit is redirected in `transition`.
_COMPLAINT_MOVES: Mapping[Status, Mapping[Action, Status]] = {
    Status.registered: {Action.accept: Status.accepted, Action.reject: Status.rejected,
                        Action.return_: Status.returned, **_LEAVING},
    Status.accepted: {Action.dispatch: Status.dispatched, **_LEAVING},
    Status.dispatched: {Action.dispatch: Status.dispatched, Action.start: Status.in_progress, **_LEAVING},
    Status.in_progress: {Action.rectify: Status.rectification, Action.reply: Status.replied,
                         **_LEAVING},
    Status.rectification: {Action.reply: Status.replied, **_LEAVING},
    Status.replied: {Action.revisit: Status.revisited},
    Status.revisited: {Action.close: Status.closed},
    Status.rejected: {},
    Status.closed: {},
}

_ANSWERED_MOVES: Mapping[Status, Mapping[Action, Status]] = {
    Status.registered: {Action.answer: Status.closed, Action.reject: Status.rejected,
                        Action.return_: Status.returned, Action.transfer: Status.transferred},
}

_TERMINAL = {
    Status.closed: "the case is closed; nothing more can be done to it",
    Status.rejected: "the case was rejected; nothing more can be done to it",
    Status.returned: "the case was returned to the platform that dispatched it; nothing more can be done to it here",
    Status.transferred: "the case was transferred to another department; nothing more can be done to it here",
}

# Readable refusals for the mistakes people actually make; anything else gets a generic message.
_NOT_YET = {
    Action.close: "cannot close a case that has not been revisited",
    Action.revisit: "cannot revisit a case that has not been replied to",
    Action.reply: "cannot reply on a case whose handling has not started",
    Action.rectify: "cannot order rectification before the handling has started",
    Action.start: "cannot start a case that has not been dispatched",
    Action.dispatch: "cannot dispatch a case that has not been accepted",
    Action.extend: "cannot extend a case before it is accepted: the time limit starts at acceptance",
    Action.cohandle: "cannot add a co-handling body before the case is accepted",
}

# 复查: the reply on a rectification waits for a follow-up inspection after the order.
RECHECK_NEEDED = ("cannot reply while the rectification is not re-checked (复查): record a follow-up "
                  "inspection of the case after the rectification order first")


class WorkflowError(ValueError):
    """Base of every refusal from the case workflow."""


class InvalidValue(WorkflowError):
    """A status, kind, action, role or payload value is not one of the known ones."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidPayload(InvalidValue):
    """The action's payload is missing a field or has a wrong one; ``field`` names it."""


class IllegalTransition(WorkflowError):
    """The action is not possible now; ``reason`` says why in words a person can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RoleNotAllowed(IllegalTransition):
    """The user's role may not take this action at all."""


@dataclass(frozen=True)
class Assignee:
    """Who a case is dispatched to: a user or a team."""

    kind: str  # "user" | "team"
    id: int | str


@dataclass(frozen=True)
class CaseFacts:
    """What the workflow needs to know about a case beyond its status.

    ``handling_count`` starts at 1 and grows by one each time an unsatisfied revisit sends the
    case back; ``extensions_used`` counts granted extensions; ``last_satisfaction`` is the most
    recent revisit's judgement; ``rectification_unchecked`` says a rectification was ordered and
    no inspection of the case has followed the order yet; ``from_platform`` that the case came from a
    platform that dispatches work orders (only those are returned).
    """

    handling_count: int = 1
    extensions_used: int = 0
    last_satisfaction: Satisfaction | None = None
    rectification_unchecked: bool = False
    from_platform: bool = True


@dataclass(frozen=True)
class Reach:
    """Where an actor may act. ``zone_ids`` None means everywhere; an empty set, nowhere."""

    user_id: int | None = None
    team: str | None = None
    zone_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Assignment:
    """Whose a case is: the user or team it is dispatched to, and the zone it lies in."""

    assigned_to_id: int | None = None
    assigned_team: str | None = None
    zone_id: int | None = None
    # The zone of the case's source when it lies in another district (a cross-district case), else None.
    source_zone_id: int | None = None


class NotYours(RoleNotAllowed):
    """The role may take the action, but not on this case (not assigned to them, not in their zones)."""


def is_assigned(reach: Reach, assignment: Assignment) -> bool:
    """The case is dispatched to the actor, or to the team the actor belongs to."""
    if reach.user_id is not None and assignment.assigned_to_id == reach.user_id:
        return True
    return reach.team is not None and assignment.assigned_team == reach.team


def within_zones(reach: Reach, assignment: Assignment) -> bool:
    """The case lies in the actor's zones (a case outside every zone lies only in "everywhere"), or, for a
    cross-district case, its source does: the chiefs of both districts answer for it."""
    if reach.zone_ids is None:
        return True
    return any(z is not None and z in reach.zone_ids for z in (assignment.zone_id, assignment.source_zone_id))


def may_act_on(role: str, reach: Reach, assignment: Assignment) -> bool:
    """Whether ``role`` with ``reach`` may act on the case at all (which action is checked apart)."""
    role_ = _coerce(Role, role, "role")
    if role_ is Role.inspector:
        return is_assigned(reach, assignment)
    if role_ is Role.chief:
        return within_zones(reach, assignment)
    return True


@dataclass(frozen=True)
class Transition:
    """The outcome of one action: the new status and everything the caller must record."""

    action: Action
    from_status: Status
    status: Status
    handling_count: int
    handling_count_increment: int = 0
    extensions_used: int = 0
    reopened: bool = False
    satisfaction: Satisfaction | None = None
    judged_handling: int | None = None
    reject_reason: RejectReason | None = None
    assignee: Assignee | None = None
    rectification_due_at: datetime | None = None
    extension_days: int | None = None
    reason: str | None = None
    text: str | None = None
    note: str | None = None
    method: ContactMethod | None = None
    return_reason: ReturnReason | None = None
    department_id: int | None = None


def transition(
    *,
    status: str,
    kind: str,
    action: str,
    role: str,
    payload: Mapping[str, Any] | None = None,
    facts: CaseFacts | None = None,
    limits: deadlines.TimeLimits | None = None,
    reach: Reach | None = None,
    assignment: Assignment | None = None,
) -> Transition:
    """Check ``action`` on a case and say what it changes.

    With ``reach`` and ``assignment`` the actor must also be allowed on this case
    (:func:`may_act_on`); otherwise :class:`NotYours` is raised.

    Payload per action (``note``, a free comment, is accepted by every action):

    - ``reject``: ``reason`` (outside_jurisdiction | not_environmental | duplicate)
    - ``dispatch``: exactly one of ``user_id`` / ``team_id``
    - ``rectify``: ``due_at`` (timezone-aware datetime or ISO 8601 text), ``requirement``? (text)
    - ``reply``: ``summary`` (text); ``answer``: ``answer`` (text)
    - ``revisit``: ``satisfaction`` (satisfied | basically_satisfied | unsatisfied), ``comment``?,
      ``method``? (phone | site | sms: how the complainant was reached)
    - ``extend``: ``days`` (1..the configured maximum, 30), ``reason`` (text)
    - ``return``: ``reason`` (a ReturnReason), ``note`` (required: what the platform is told)
    - ``transfer`` / ``handover``: ``department_id``, ``reason`` (text); ``cohandle``: ``department_id``
    - ``accept``, ``start``, ``close``: nothing

    Raises RoleNotAllowed (NotYours), IllegalTransition, InvalidPayload or InvalidValue.
    """
    facts = facts or CaseFacts()
    current, kind_, action_, role_ = _check(
        status=status, kind=kind, action=action, role=role, facts=facts, limits=limits
    )
    check_place(role_, reach, assignment)
    target = _moves_for(kind_)[current].get(action_, current)
    fields = _read_payload(action_, payload or {}, limits=limits)

    handling_count = facts.handling_count
    increment = 0
    reopened = False
    judged: int | None = None
    if action_ is Action.revisit:
        judged = facts.handling_count
        if fields["satisfaction"] is Satisfaction.unsatisfied:
            # Not a new status: the case goes back to its handler for another round.
            target = Status.dispatched
            increment = 1
            reopened = True
            handling_count += 1
    extensions_used = facts.extensions_used + (1 if action_ is Action.extend else 0)

    return Transition(
        action=action_,
        from_status=current,
        status=target,
        handling_count=handling_count,
        handling_count_increment=increment,
        extensions_used=extensions_used,
        reopened=reopened,
        judged_handling=judged,
        **fields,
    )


def allowed_actions(
    status: str,
    kind: str,
    role: str,
    *,
    facts: CaseFacts | None = None,
    limits: deadlines.TimeLimits | None = None,
    reach: Reach | None = None,
    assignment: Assignment | None = None,
) -> tuple[Action, ...]:
    """The actions ``role`` may take on a case now (before any payload), in workflow order.

    None on a case the actor may not act on (see :func:`may_act_on`), when ``reach`` and
    ``assignment`` are given.
    """
    facts = facts or CaseFacts()
    try:
        check_place(_coerce(Role, role, "role"), reach, assignment)
    except NotYours:
        return ()
    possible = []
    for action in Action:
        try:
            _check(status=status, kind=kind, action=action, role=role, facts=facts, limits=limits)
        except IllegalTransition:
            continue
        possible.append(action)
    return tuple(possible)


# ---------------------------------------------------------------- checks


def _check(
    *, status: str, kind: str, action: str, role: str, facts: CaseFacts, limits: deadlines.TimeLimits | None
) -> tuple[Status, Kind, Action, Role]:
    current = _coerce(Status, status, "status")
    kind_ = _coerce(Kind, kind, "kind")
    action_ = _coerce(Action, action, "action")
    role_ = _coerce(Role, role, "role")
    if facts.handling_count < 1:
        raise InvalidValue("handling_count", "must be at least 1")

    check_role(action_, role_)

    if kind_ is Kind.complaint and action_ is Action.answer:
        raise IllegalTransition("a complaint is not answered directly: accept it and have it inspected")
    if kind_ is not Kind.complaint and action_ not in (Action.answer, Action.reject, Action.return_, Action.transfer):
        raise IllegalTransition(
            f"a {kind_.value} is answered, not inspected: only answer, reject, return or transfer apply")

    if current in _TERMINAL:
        raise IllegalTransition(_TERMINAL[current])

    if action_ is Action.extend:
        _check_extension(current, facts, limits)
        return current, kind_, action_, role_
    if action_ is Action.cohandle:
        if current not in _CO_HANDLED:
            raise IllegalTransition(_refusal(current, kind_, action_))
        return current, kind_, action_, role_

    moves = _moves_for(kind_).get(current, {})
    if action_ not in moves:
        raise IllegalTransition(_refusal(current, kind_, action_))

    if action_ is Action.close and facts.last_satisfaction is Satisfaction.unsatisfied:
        raise IllegalTransition("cannot close a case whose last revisit was unsatisfied")
    if action_ is Action.reply and current is Status.rectification and facts.rectification_unchecked:
        raise IllegalTransition(RECHECK_NEEDED)
    if action_ is Action.return_ and not facts.from_platform:
        raise IllegalTransition("only a work order from a dispatching platform is returned; reject or transfer "
                                "a case that came another way")
    return current, kind_, action_, role_


def check_role(action: str, role: str) -> None:
    """Raise RoleNotAllowed when ``role`` may never take ``action`` (whatever the case)."""
    action_, role_ = _coerce(Action, action, "action"), _coerce(Role, role, "role")
    if role_ not in ROLES_FOR_ACTION[action_]:
        raise RoleNotAllowed(f"role {role_.value} may not {action_.value}")


def check_place(role: Role, reach: Reach | None, assignment: Assignment | None) -> None:
    """Raise NotYours when the actor may not act on this case (nothing to check without the facts)."""
    if reach is None or assignment is None or may_act_on(role, reach, assignment):
        return
    if role is Role.inspector:
        raise NotYours("the case is not dispatched to you or your team")
    raise NotYours("the case lies outside the zones you answer for")


def _check_extension(current: Status, facts: CaseFacts, limits: deadlines.TimeLimits | None) -> None:
    if current not in _OPEN_COMPLAINT:
        raise IllegalTransition(_NOT_YET[Action.extend])
    max_count = (limits or deadlines.load_time_limits()).extension_max_count
    if facts.extensions_used >= max_count:
        if max_count == 1:
            raise IllegalTransition(
                "the case has already been extended once; a second extension is not allowed"
            )
        raise IllegalTransition(f"the case has already been extended {max_count} times, the most allowed")


def _refusal(current: Status, kind: Kind, action: Action) -> str:
    sources = [s for s, moves in _moves_for(kind).items() if action in moves]
    if action is Action.cohandle:
        sources = list(_CO_HANDLED)
    order = list(Status)
    if action in _NOT_YET and sources and all(order.index(current) < order.index(s) for s in sources):
        return _NOT_YET[action]
    now = STATUS_LABELS[current][1]
    if action in (Action.accept, Action.reject, Action.return_):
        return f"cannot {action.value} a case that is already {now}"
    where = " or ".join(STATUS_LABELS[s][1] for s in sources)
    return f"cannot {ACTION_LABELS[action][1]} when the case is {now}; only when it is {where}"


def _moves_for(kind: Kind) -> Mapping[Status, Mapping[Action, Status]]:
    return _COMPLAINT_MOVES if kind is Kind.complaint else _ANSWERED_MOVES


def _coerce(enum: type[_E], value: Any, field: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidValue(field, f"unknown {field} {value!r}; one of {choices}") from None


# ---------------------------------------------------------------- payloads


_PAYLOAD_FIELDS: Mapping[Action, frozenset[str]] = {
    Action.accept: frozenset(),
    Action.reject: frozenset({"reason"}),
    Action.dispatch: frozenset({"user_id", "team_id"}),
    Action.start: frozenset(),
    Action.rectify: frozenset({"due_at", "requirement"}),
    Action.reply: frozenset({"summary"}),
    Action.revisit: frozenset({"satisfaction", "comment", "method"}),
    Action.close: frozenset(),
    Action.extend: frozenset({"days", "reason"}),
    Action.answer: frozenset({"answer"}),
    Action.return_: frozenset({"reason"}),
    Action.transfer: frozenset({"department_id", "reason"}),
    Action.handover: frozenset({"department_id", "reason"}),
    Action.cohandle: frozenset({"department_id"}),
}


def _read_payload(
    action: Action, payload: Mapping[str, Any], *, limits: deadlines.TimeLimits | None
) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidPayload("payload", "must be an object")
    allowed = _PAYLOAD_FIELDS[action] | {"note"}
    for key in payload:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise InvalidPayload(str(key), f"not a field of {action.value}; expected: {expected}")
    fields: dict[str, Any] = {"note": _optional_text(payload, "note")}

    if action is Action.reject:
        if payload.get("reason") is None:
            reasons = ", ".join(r.value for r in RejectReason)
            raise InvalidPayload("reason", f"a rejection needs a reason: one of {reasons}")
        fields["reject_reason"] = _coerce_payload(RejectReason, payload["reason"], "reason")
    elif action is Action.dispatch:
        fields["assignee"] = _read_assignee(payload)
    elif action is Action.rectify:
        fields["rectification_due_at"] = _read_moment(payload.get("due_at"), "due_at")
        fields["text"] = _optional_text(payload, "requirement")
    elif action is Action.reply:
        fields["text"] = _required_text(payload, "summary")
    elif action is Action.answer:
        fields["text"] = _required_text(payload, "answer")
    elif action is Action.revisit:
        if payload.get("satisfaction") is None:
            raise InvalidPayload("satisfaction", "a revisit must record the complainant's satisfaction")
        fields["satisfaction"] = _coerce_payload(Satisfaction, payload["satisfaction"], "satisfaction")
        fields["text"] = _optional_text(payload, "comment")
        if payload.get("method") is not None:
            fields["method"] = _coerce_payload(ContactMethod, payload["method"], "method")
    elif action is Action.extend:
        max_days = (limits or deadlines.load_time_limits()).extension_max_days
        days = payload.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= max_days:
            raise InvalidPayload("days", f"an extension is 1 to {max_days} days, got {days!r}")
        fields["extension_days"] = days
        fields["reason"] = _required_text(payload, "reason")
    elif action is Action.return_:
        if payload.get("reason") is None:
            reasons = ", ".join(r.value for r in ReturnReason)
            raise InvalidPayload("reason", f"a return needs a reason: one of {reasons}")
        fields["return_reason"] = _coerce_payload(ReturnReason, payload["reason"], "reason")
        if fields["note"] is None:
            raise InvalidPayload("note", "a return needs a note for the platform saying what is wrong")
    elif action in (Action.transfer, Action.handover, Action.cohandle):
        fields["department_id"] = _read_id(payload.get("department_id"), "department_id")
        if action is not Action.cohandle:
            fields["reason"] = _required_text(payload, "reason")
    return fields


def _read_id(value: Any, field: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidPayload(field, "must be the id of a department")
    return value


def _read_assignee(payload: Mapping[str, Any]) -> Assignee:
    given = [
        (kind, payload[f"{kind}_id"]) for kind in ("user", "team") if payload.get(f"{kind}_id") is not None
    ]
    if len(given) != 1:
        raise InvalidPayload("user_id", "dispatch to exactly one of user_id or team_id")
    kind, ident = given[0]
    if isinstance(ident, bool) or not isinstance(ident, int | str) or ident == "":
        raise InvalidPayload(f"{kind}_id", "must be an id")
    return Assignee(kind=kind, id=ident)


def _read_moment(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidPayload(field, f"not an ISO 8601 date-time: {value!r}") from None
    if not isinstance(value, datetime):
        raise InvalidPayload(field, "a date-time is required")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPayload(field, "must carry a time zone")
    return value


def _coerce_payload(enum: type[_E], value: Any, field: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidPayload(field, f"unknown value {value!r}; one of {choices}") from None


def _required_text(payload: Mapping[str, Any], field: str) -> str:
    text = _optional_text(payload, field)
    if text is None:
        raise InvalidPayload(field, "must not be empty")
    return text


def _optional_text(payload: Mapping[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayload(field, "must be text")
    return value.strip() or None


# ---------------------------------------------------------------- rework (返工)

REOPEN_EVENT = "reopen"  # the case_events action of a reopening
REOPEN_LABELS = ("返工", "reopened (rework)")
REOPENED_STATUS = Status.accepted


@dataclass(frozen=True)
class Reopening:
    """A closed case reopened by a repeat complaint: where it goes and its new counts."""

    from_status: Status
    status: Status
    handling_count: int
    rework_count: int


def reopen_on_repeat(*, status: str, kind: str, facts: CaseFacts, rework_count: int,
                     closed_at: datetime | None, received_at: datetime) -> Reopening | None:
    """What a repeat complaint received at ``received_at`` does to the case it joins: a closed
    complaint case closed at or before that moment is reopened (rework); anything else is left as
    it is (None)."""
    current = _coerce(Status, status, "status")
    kind_ = _coerce(Kind, kind, "kind")
    if current is not Status.closed or kind_ is not Kind.complaint:
        return None
    if closed_at is not None and received_at < closed_at:
        return None
    return Reopening(from_status=current, status=REOPENED_STATUS, handling_count=facts.handling_count + 1,
                     rework_count=rework_count + 1)
