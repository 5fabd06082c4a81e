"""Case workflow flows: list and read cases, take workflow actions, keep the supervision ledger.

The rules (which action is legal, who may take it, what a payload must hold) live in the pure
modules under ``ecogrid.workflow``; this module persists what they decide. Each action locks the
case row (SELECT ... FOR UPDATE), so two clerks revisiting the same case at once cannot both win,
and appends one ``case_events`` row with who, when and a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import colours, deadlines, departments, rules, states
from ecogrid.core import authorization, privacy
from ecogrid.core import value_ranges as ids
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput
from ecogrid.core.models import (
    Case,
    CaseCoHandler,
    CaseEvent,
    Complaint,
    Department,
    Inspection,
    Revisit,
    User,
    Zone,
)
from ecogrid.core.time import BEIJING, day_start, rfc3339
from ecogrid.core.vocabulary import DISPATCHING_PLATFORMS

FINISHED = rules.FINISHED


@dataclass(frozen=True)
class Actor:
    """Who acts or reads: the signed-in user (or an API key acting in a role)."""

    user_id: int | None
    name: str
    role: str


@dataclass(frozen=True)
class CaseFilters:
    zone_id: int | None = None
    zone: str | None = None  # a zone code: that zone and every zone in it
    category: str | None = None
    status: str | None = None
    channel: str | None = None
    assigned_to: int | None = None
    overdue: bool | None = None
    colour: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    updated_since: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north (WGS-84): a map cell
    owner_id: int | None = None  # the leader who owns the case (领导包案)
    owned: bool | None = None  # owned by a leader (True) or by none (False)
    cross_district: bool | None = None  # the case and its confirmed source lie in different districts


local_iso = rfc3339  # every time leaves the API as RFC 3339 with +08:00


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


# ---------------------------------------------------------------- querying


def zone_and_descendants(zone_id: int | None = None, *, code: str | None = None) -> Select[int]:
    """Ids of the zone ``zone_id`` (or the zone of ``code``) and every zone nested in it."""
    start = Zone.id == zone_id if code is None else Zone.code == code
    tree = select(Zone.id).where(start).cte("zone_tree", recursive=True)
    tree = tree.union_all(select(Zone.id).where(Zone.parent_id == tree.c.id))
    return select(tree.c.id)


def default_yellow_fraction() -> float:
    """The data file's threshold, used when the caller (the API, from settings) gives none."""
    return deadlines.load_time_limits().yellow_fraction


def progress_colour_sql(*, now: datetime, yellow_fraction: float) -> ColumnElement[str | None]:
    """The 挂图督办 colour as a SQL expression (the same rule as colours.progress_colour)."""
    started = func.extract("epoch", func.coalesce(Case.accepted_at, Case.opened_at))
    due = func.extract("epoch", Case.due_at)
    yellow = literal(now.timestamp()) - started >= (due - started) * yellow_fraction
    return case(
        (Case.status.not_in(rules.HANDLING), literal("green")),
        (Case.due_at.is_(None), literal(None)),
        (Case.due_at < now, literal("red")),
        (yellow, literal("yellow")),
        else_=literal("blue"),
    )


def filtered_cases(filters: CaseFilters, *, now: datetime, yellow_fraction: float) -> Select[Case]:
    query = select(Case)
    if filters.zone_id is not None:
        query = query.where(Case.zone_id.in_(zone_and_descendants(filters.zone_id)))
    if filters.zone is not None:
        query = query.where(Case.zone_id.in_(zone_and_descendants(code=filters.zone)))
    for column, value in ((Case.category, filters.category), (Case.status, filters.status),
                          (Case.channel, filters.channel), (Case.assigned_to_id, filters.assigned_to)):
        if value is not None:
            query = query.where(column == value)
    if filters.owner_id is not None:
        query = query.where(Case.owner_id == filters.owner_id)
    if filters.owned is not None:
        query = query.where(Case.owner_id.is_not(None) if filters.owned else Case.owner_id.is_(None))
    if filters.overdue is not None:
        overdue = rules.overdue_sql(now)
        query = query.where(overdue if filters.overdue else ~overdue)
    if filters.colour is not None:
        if filters.colour not in ("green", "blue", "yellow", "red"):
            raise InvalidInput("colour is one of green, blue, yellow, red", field="colour")
        query = query.where(progress_colour_sql(now=now, yellow_fraction=yellow_fraction) == filters.colour)
    if filters.bbox is not None:
        query = query.where(func.ST_Intersects(Case.geom, func.ST_MakeEnvelope(*filters.bbox, 4326)))
    if filters.opened_from is not None:
        query = query.where(Case.opened_at >= day_start(filters.opened_from))
    if filters.opened_to is not None:
        query = query.where(Case.opened_at < day_start(filters.opened_to + timedelta(days=1)))
    if filters.updated_since is not None:
        query = query.where(Case.updated_at >= filters.updated_since)
    if filters.cross_district is not None:
        query = query.where(rules.cross_district_sql() if filters.cross_district else ~rules.cross_district_sql())
    return query


def check_zone_code(session: Session, code: str | None) -> None:
    """A zone filter names a known zone, or the answer would be an empty list that looks true."""
    if code is not None and session.scalar(select(Zone.id).where(Zone.code == code)) is None:
        raise InvalidInput(f"no zone with code {code!r}", field="zone")


def last_revisits(session: Session, case_ids: Sequence[int]) -> dict[int, Revisit]:
    if not case_ids:
        return {}
    rows = session.scalars(
        select(Revisit).where(Revisit.case_id.in_(case_ids))
        .ext(distinct_on(Revisit.case_id)).order_by(Revisit.case_id, Revisit.at.desc(), Revisit.id.desc())
    )
    return {r.case_id: r for r in rows}


CONCLUDING_ACTIONS = rules.CONCLUDING_ACTIONS


def concluded_times(session: Session, case_ids: Sequence[int]) -> dict[int, datetime]:
    """When each case was last concluded (办结): its last reply, or the answer of a consultation."""
    if not case_ids:
        return {}
    return dict(session.execute(
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_(CONCLUDING_ACTIONS))
        .group_by(CaseEvent.case_id)).all())


# The orders a ledger may be sorted in: ``sort=due`` (earliest first) or ``sort=-due`` (latest first).
SORT_KEYS: dict[str, Any] = {"opened": Case.opened_at, "due": Case.due_at, "id": Case.id, "status": Case.status,
                             "category": Case.category, "channel": Case.channel, "repeats": Case.repeat_count}
DEFAULT_SORT = "-opened"


def order_cases(query: Select[Any], sort: str | None) -> Select[Any]:
    """``query`` in the order ``sort`` names (ties broken by id, the same way); InvalidInput naming ``sort``."""
    chosen = sort or DEFAULT_SORT
    descending = chosen.startswith("-")
    column = SORT_KEYS.get(chosen.removeprefix("-"))
    if column is None:
        keys = ", ".join(sorted(SORT_KEYS))
        raise InvalidInput(f"sort is one of {keys}, with '-' in front for the reverse order", field="sort")
    # NULLS LAST only where a column can be null: on a NOT NULL column it would stop PostgreSQL
    # reading the newest page off the column's index.
    if descending:
        key = column.desc().nulls_last() if column.expression.nullable else column.desc()
        return query.order_by(key, Case.id.desc())
    return query.order_by(column.asc().nulls_last() if column.expression.nullable else column.asc(), Case.id.asc())


def list_cases(session: Session, *, filters: CaseFilters, limit: int = 50, offset: int = 0,
               now: datetime | None = None, yellow_fraction: float | None = None,
               viewer: Actor | None = None, sort: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of cases (newest first, or in the ``sort`` order) with their deadline and colour marks, and
    the total.

    With a ``viewer``, only the cases they may see (an inspector: their own and their team's).
    """
    moment = _now(now)
    fraction = yellow_fraction or default_yellow_fraction()
    check_zone_code(session, filters.zone)
    query = visible_to(session, filtered_cases(filters, now=moment, yellow_fraction=fraction), viewer)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # The zone's code for each item, without its boundary.
    page = order_cases(query.options(selectinload(Case.zone).load_only(Zone.code)), sort)
    rows = list(session.scalars(page.limit(limit).offset(offset)))
    ids = [c.id for c in rows]
    revisits, concluded = last_revisits(session, ids), concluded_times(session, ids)
    calendar = calendar_service.current(session)
    crossing = set(session.scalars(select(Case.id).where(Case.id.in_(ids), rules.cross_district_sql())))
    return [summarise(c, revisits.get(c.id), now=moment, yellow_fraction=fraction, concluded_at=concluded.get(c.id),
                      calendar=calendar, cross_district=c.id in crossing) for c in rows], total


def visible_to(session: Session, query: Select[Any], viewer: Actor | None) -> Select[Any]:
    """``query`` narrowed to the cases ``viewer`` may see (all of them without a viewer)."""
    if viewer is None:
        return query
    reach = authorization.reach_of(session, user_id=viewer.user_id, role=viewer.role)
    return query.where(authorization.visible_cases(viewer.role, reach))


def summarise(row: Case, last_revisit: Revisit | None, *, now: datetime, yellow_fraction: float | None = None,
              concluded_at: datetime | None = None, calendar: deadlines.WorkCalendar | None = None,
              cross_district: bool | None = None) -> dict[str, Any]:
    """A case as a list item: deadline, time left, colours, counts (no personal data). ``due_estimated``
    says the deadline was counted through a year without an official schedule (``calendar``: the
    schedules loaded; read from the row's session when not given); ``cross_district`` likewise."""
    marks = case_marks(row, last_revisit, now=now, yellow_fraction=yellow_fraction, concluded_at=concluded_at)
    owner = object_session(row)
    if calendar is None:
        calendar = calendar_service.current(owner) if owner is not None else None
    if cross_district is None:
        cross_district = owner is not None and authorization.cross_district_source_zone(owner, row) is not None
    return {
        "id": row.id, "kind": row.kind, "category": row.category, "status": row.status,
        "status_label": states.STATUS_LABELS[states.Status(row.status)][0], "channel": row.channel,
        "urgency": row.urgency, "zone_id": row.zone_id, "zone_code": row.zone.code if row.zone is not None else None,
        "opened_at": local_iso(row.opened_at),
        "accepted_at": local_iso(row.accepted_at), "closed_at": local_iso(row.closed_at),
        "due_at": local_iso(row.due_at),
        "due_estimated": deadlines.is_estimate(row.accepted_at or row.opened_at, row.due_at, calendar=calendar,
                                               channel=row.channel),
        "assigned_to_id": row.assigned_to_id,
        "assigned_team": row.assigned_team, "supervisor_id": row.supervisor_id,
        "owner_id": row.owner_id, "duty_user_id": row.duty_user_id,
        "repeat_count": row.repeat_count, "handling_count": row.handling_count, "rework_count": row.rework_count,
        "extended": row.extended, "cross_district": cross_district,
        "satisfaction": row.satisfaction, **marks,
    }


def case_marks(row: Case, last_revisit: Revisit | None, *, now: datetime, yellow_fraction: float | None = None,
               concluded_at: datetime | None = None) -> dict[str, Any]:
    """Time left, progress colour, satisfaction colour and (once closed) whether it closed on time.

    On time (按期办结) means concluded by the deadline: the last reply (or answer) at or before
    ``due_at``; the revisit and 销号 that follow are the bureau's own checks, not the handler's time.
    Without a recorded conclusion the closing time is used.
    """
    finished = row.status not in rules.HANDLING  # done (green) once concluded
    started = row.accepted_at or row.opened_at
    progress = None
    left = None
    if finished:
        progress = "green"
    elif row.due_at is not None:
        left = colours.time_left(now, row.due_at)
        if row.due_at > started:
            progress = colours.progress_colour(now=now, started_at=started, due_at=row.due_at,
                                               yellow_fraction=yellow_fraction)
        else:
            progress = "red" if now > row.due_at else "yellow"
    on_time = rules.closed_on_time(row.status, row.due_at, concluded_at, row.closed_at)
    sat_colour = None
    if last_revisit is not None:
        sat_colour = colours.satisfaction_colour(handlings=max(1, last_revisit.handling),
                                                 last_satisfaction=last_revisit.satisfaction, closed_once=True)
    return {
        "time_left_seconds": None if left is None else int(left.total_seconds()),
        "time_left": None if left is None else _human(left),
        "overdue": rules.is_overdue(row.status, row.due_at, now),
        "progress_colour": progress,
        "satisfaction_colour": sat_colour,
        "closed_on_time": on_time,
    }


def _human(span: timedelta) -> str:
    """'3d 4h' / '-1d 2h': the way a ledger shows time left."""
    sign = "-" if span < timedelta(0) else ""
    seconds = abs(int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    return f"{sign}{days}d {rest // 3600}h"


def get_case(session: Session, *, case_id: int, viewer: Actor, now: datetime | None = None,
             yellow_fraction: float | None = None) -> dict[str, Any]:
    """One case with its complaints (personal data per role, audited), history, revisits and the
    actions the viewer may take now. A case the viewer may not see is NotFound, like a missing one."""
    # The zone's code comes in the same round trip, without its boundary.
    row = authorization.check_sees_case(session, case_id=case_id, user_id=viewer.user_id, role=viewer.role,
                                        options=(joinedload(Case.zone).load_only(Zone.code),))
    moment = _now(now)
    revisits = list(session.scalars(select(Revisit).where(Revisit.case_id == case_id)
                                    .order_by(Revisit.at, Revisit.id)))
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                  .order_by(CaseEvent.at, CaseEvent.id)))
    body = summarise(row, revisits[-1] if revisits else None, now=moment, yellow_fraction=yellow_fraction,
                     concluded_at=rules.concluded_at(events))
    complaints = list(session.scalars(select(Complaint).where(Complaint.case_id == case_id).order_by(Complaint.id)))
    body["complaints"] = complainant_view(session, complaints, viewer=viewer)
    body["history"] = [{"id": e.id, "at": local_iso(e.at), "actor_id": e.actor_id, "action": e.action,
                        "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
                        "data": e.data} for e in events]
    body["revisits"] = [{"id": r.id, "at": local_iso(r.at), "by_id": r.by_id, "satisfaction": r.satisfaction,
                         "handling": r.handling, "note": r.note, "method": r.method} for r in revisits]
    body["allowed_actions"] = [a.value for a in allowed_for(row, session=session, actor=viewer, revisits=revisits)]
    body["reject_reason"] = row.reject_reason
    body["extension_reason"] = row.extension_reason
    body["rectification_due_at"] = local_iso(row.rectification_due_at)
    owner = session.get(User, row.owner_id) if row.owner_id is not None else None
    body["owner_name"] = (owner.full_name or owner.username) if owner is not None else None
    body["on_backlog"] = rules.on_backlog(row.backlog, row.repeat_count)
    body.update(routing(session, row))
    return body


def routing(session: Session, row: Case) -> dict[str, Any]:
    """Where the work went and who shares it: return reason (退单), the department it was transferred or
    handed over to and why (转办, 移交公安), the co-handling bodies (会同), whether a rectification was re-checked."""
    transferred = session.get(Department, row.transferred_to_id) if row.transferred_to_id is not None else None
    joint = session.execute(select(CaseCoHandler, Department)
                            .join(Department, Department.id == CaseCoHandler.department_id)
                            .where(CaseCoHandler.case_id == row.id)
                            .order_by(CaseCoHandler.at, CaseCoHandler.id)).all()
    under_rectification = row.status == states.Status.rectification.value
    return {
        "return_reason": row.return_reason,
        "transferred_to": departments.describe(transferred) if transferred is not None else None,
        "transfer_reason": row.transfer_reason,
        "co_handlers": [{"department": departments.describe(d), "at": local_iso(c.at), "by_id": c.by_id,
                         "note": c.note} for c, d in joint],
        "rectification_rechecked": (not rectification_unchecked(session, row)) if under_rectification else None,
    }


def rectification_unchecked(session: Session, row: Case) -> bool:
    """复查 pending: the case is under rectification and no inspection of it began after the last order.

    An inspection begins at its ``started_at`` (its submission time when the field form gave none), so the
    inspection that led to the order, even sent in later, does not count as its re-check.
    """
    if row.status != states.Status.rectification.value:
        return False
    ordered = session.scalar(select(func.max(CaseEvent.at)).where(
        CaseEvent.case_id == row.id, CaseEvent.action == states.Action.rectify.value))
    if ordered is None:  # a case brought in under rectification without its history
        return False
    followed = session.scalar(select(Inspection.id).where(
        Inspection.case_id == row.id,
        func.coalesce(Inspection.started_at, Inspection.submitted_at) > ordered).limit(1))
    return followed is None


def complainant_view(session: Session, complaints: Sequence[Complaint], *, viewer: Actor) -> list[dict[str, Any]]:
    """Complaints as the viewer may see them: name/phone unmasked (and audited) only for clerk/chief/admin."""
    unmasked = privacy.may_see_personal_data(viewer.role)
    out = []
    shown: list[int] = []
    for c in complaints:
        name, phone = c.complainant_name, c.complainant_phone
        if unmasked:
            if name or phone:
                shown.append(c.id)
        else:
            name, phone = privacy.mask_name(name), privacy.mask_phone(phone)
        out.append({"id": c.id, "channel": c.channel, "kind": c.kind, "category": c.category,
                    "description": c.description, "received_at": local_iso(c.received_at),
                    "external_ref": c.external_ref, "address": c.address, "is_repeat": c.is_repeat,
                    "complainant_name": name, "complainant_phone": phone})
    if shown:
        privacy.log_personal_read(session, actor_id=viewer.user_id, actor_name=viewer.name,
                                  entity="complaint", entity_ids=shown)
    return out


# ---------------------------------------------------------------- acting


def _facts(session: Session, row: Case, revisits: Sequence[Revisit] | None = None) -> states.CaseFacts:
    """``revisits``, when the caller has them already (ordered by time), spare the query for the last one."""
    if revisits is not None:
        last = revisits[-1].satisfaction if revisits else None
    else:
        last = session.scalars(select(Revisit.satisfaction).where(Revisit.case_id == row.id)
                               .order_by(Revisit.at.desc(), Revisit.id.desc()).limit(1)).first()
    return states.CaseFacts(handling_count=max(1, row.handling_count), extensions_used=1 if row.extended else 0,
                            last_satisfaction=states.Satisfaction(last) if last else None,
                            rectification_unchecked=rectification_unchecked(session, row),
                            from_platform=row.channel in DISPATCHING_PLATFORMS)


def allowed_for(row: Case, *, session: Session, actor: Actor,
                revisits: Sequence[Revisit] | None = None) -> tuple[states.Action, ...]:
    """What ``actor`` may do on the case now: the role's actions, and none on a case not theirs."""
    reach = authorization.reach_of(session, user_id=actor.user_id, role=actor.role)
    try:
        return states.allowed_actions(row.status, row.kind, actor.role, facts=_facts(session, row, revisits),
                                      reach=reach,
                                      assignment=authorization.assignment_of(row))
    except states.InvalidValue:
        return ()


def act(session: Session, *, case_id: int, action: str, payload: Mapping[str, Any] | None, actor: Actor,
        now: datetime | None = None, on_event: Callable[[CaseEvent], None] | None = None) -> dict[str, Any]:
    """Take one workflow action on a case and persist it; returns the case as a list item.

    ``now`` is when the action happens (tests pass a fixed moment; the API passes nothing).
    ``on_event`` is handed the new history row before the commit, to add what must be stored with it.
    Raises Conflict (illegal now, with the reason), Forbidden (wrong role, or a chief outside their
    zones), InvalidInput (payload field), NotFound (no such case, or an inspector's case not theirs).
    """
    moment = _now(now)
    try:
        # The role first: a refusal that holds for every case says nothing about this one.
        states.check_role(action, actor.role)
    except states.RoleNotAllowed as exc:
        raise Forbidden(exc.reason) from None
    except states.InvalidValue as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    row = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                        lock=True)
    reach = authorization.reach_of(session, user_id=actor.user_id, role=actor.role)
    payload = dict(payload or {})
    target_field = "user_id"
    if action == states.Action.dispatch.value:
        if "team" in payload:
            payload["team_id"] = payload.pop("team")
            target_field = "team"
        elif "team_id" in payload:
            target_field = "team_id"
    try:
        step = states.transition(status=row.status, kind=row.kind, action=action, role=actor.role,
                                 payload=payload, facts=_facts(session, row), reach=reach,
                                 assignment=authorization.assignment_of(row))
    except states.RoleNotAllowed as exc:
        raise Forbidden(exc.reason) from None
    except states.IllegalTransition as exc:
        raise Conflict(exc.reason) from None
    except states.InvalidValue as exc:
        raise InvalidInput(str(exc), field=exc.field) from None

    data: dict[str, Any] = {}
    note = step.note
    match step.action:
        case states.Action.accept:
            row.accepted_at = moment
            row.due_at = _conclusion_due(row, accepted_at=moment, calendar=calendar_service.current(session))
            data["due_at"] = local_iso(row.due_at)
        case states.Action.reject:
            assert step.reject_reason is not None
            row.reject_reason = step.reject_reason.value
            data["reason"] = step.reject_reason.value
        case states.Action.dispatch:
            assert step.assignee is not None
            target = authorization.check_dispatch_target(
                session, step.assignee, field="user_id" if step.assignee.kind == "user" else target_field)
            if isinstance(target, User):
                row.assigned_to_id, row.assigned_team = target.id, None
                data["user_id"] = target.id
            else:
                row.assigned_to_id, row.assigned_team = None, target
                data["team"] = row.assigned_team
        case states.Action.rectify:
            assert step.rectification_due_at is not None
            if step.rectification_due_at <= moment:
                raise InvalidInput("the rectification deadline must be in the future", field="due_at")
            row.rectification_due_at = step.rectification_due_at
            data["due_at"] = local_iso(step.rectification_due_at)
            data["requirement"] = step.text
        case states.Action.reply | states.Action.answer:
            data["text"] = step.text
            if step.action is states.Action.answer:
                row.accepted_at = row.accepted_at or moment
                row.closed_at = moment
        case states.Action.revisit:
            assert step.satisfaction is not None and step.judged_handling is not None
            row.satisfaction = step.satisfaction.value
            row.handling_count = step.handling_count
            method = step.method.value if step.method is not None else None
            session.add(Revisit(case_id=row.id, at=moment, by_id=actor.user_id, satisfaction=step.satisfaction.value,
                                handling=step.judged_handling, note=step.text, method=method))
            data.update(satisfaction=step.satisfaction.value, handling=step.judged_handling,
                        reopened=step.reopened, method=method)
            note = note or step.text
            if colours.on_supervision_ledger(handlings=step.judged_handling,
                                             last_satisfaction=step.satisfaction.value, closed_once=True):
                row.supervisor_id = row.supervisor_id or default_supervisor(session, zone_id=row.zone_id)
                data["supervisor_id"] = row.supervisor_id
        case states.Action.close:
            row.closed_at = moment
            concluded = concluded_times(session, [row.id]).get(row.id) or moment
            data["on_time"] = rules.closed_on_time(states.Status.closed.value, row.due_at, concluded, moment)
        case states.Action.extend:
            assert step.extension_days is not None
            row.extended = True
            row.extension_reason = step.reason
            if row.due_at is not None:
                row.due_at = row.due_at + timedelta(days=step.extension_days)
            data.update(days=step.extension_days, reason=step.reason, due_at=local_iso(row.due_at))
            note = note or step.reason
        case states.Action.return_:
            assert step.return_reason is not None
            row.return_reason = step.return_reason.value
            data["reason"] = step.return_reason.value
        case states.Action.transfer | states.Action.handover:
            assert step.department_id is not None
            police = step.action is states.Action.handover
            department = departments.for_case(session, step.department_id, police=police)
            row.transferred_to_id, row.transfer_reason = department.id, step.reason
            data.update(department_id=department.id, department=department.name, kind=department.kind,
                        reason=step.reason)
            note = note or step.reason
        case states.Action.cohandle:
            assert step.department_id is not None
            department = departments.for_case(session, step.department_id)
            taken = session.scalar(select(CaseCoHandler.id).where(CaseCoHandler.case_id == row.id,
                                                                  CaseCoHandler.department_id == department.id))
            if taken is not None:
                raise Conflict(f"{department.name} already handles this case jointly")
            session.add(CaseCoHandler(case_id=row.id, department_id=department.id, at=moment, by_id=actor.user_id,
                                      note=note))
            data.update(department_id=department.id, department=department.name, kind=department.kind)
    row.status = step.status.value
    event = CaseEvent(case_id=row.id, at=moment, actor_id=actor.user_id, action=step.action.value,
                      from_status=step.from_status.value, to_status=step.status.value, note=note,
                      data={k: v for k, v in data.items() if v is not None})
    session.add(event)
    if on_event is not None:
        on_event(event)
    session.commit()
    return summarise(row, _last_revisit(session, row.id), now=moment,
                     concluded_at=concluded_times(session, [row.id]).get(row.id))


def _last_revisit(session: Session, case_id: int) -> Revisit | None:
    return last_revisits(session, [case_id]).get(case_id)


def _conclusion_due(row: Case, *, accepted_at: datetime, calendar: deadlines.WorkCalendar,
                    received_at: datetime | None = None, extension_days: int = 0) -> datetime | None:
    """The deadline of a handling accepted at ``accepted_at`` of a complaint received at ``received_at``
    (the case's opening unless given: a reworked case counts from the repeat that reopened it)."""
    try:
        return deadlines.due_at(channel=row.channel, urgency=row.urgency, received_at=received_at or row.opened_at,
                                stage="conclusion", stage_started_at=accepted_at, extension_days=extension_days,
                                calendar=calendar)
    except deadlines.DeadlineError as exc:
        # A channel without a configured limit keeps whatever deadline intake gave it.
        if exc.field in ("channel", "stage"):
            return row.due_at
        raise InvalidInput(str(exc), field=exc.field) from None


# ---------------------------------------------------------------- rework (返工)


@dataclass(frozen=True)
class RepeatJoin:
    """A repeat complaint that joined a case: the case, the complaint and when it was received."""

    case_id: int
    complaint_id: int
    received_at: datetime


def reopen_on_repeats(session: Session, *, joins: Sequence[RepeatJoin], actor_id: int | None = None,
                      now: datetime | None = None) -> list[int]:
    """Reopen the closed cases these repeats joined, by ``states.reopen_on_repeat``; the ids reopened.

    The one path of every intake (the API, the console, Open311, the bulk import). Each case is
    locked; of its repeats, the earliest received after its closing reopens it: back to accepted, a
    new handling (``accepted_at`` now, the conclusion deadline counted from that repeat's receipt and
    now), ``handling_count`` and ``rework_count`` + 1, ``closed_at`` cleared, and a ``reopen`` event
    naming the complaint, the closing it undid and the old and new deadlines. The caller commits.
    """
    if not joins:
        return []
    moment = _now(now)
    case_ids = sorted({j.case_id for j in joins})
    rows = session.scalars(select(Case).where(Case.id.in_(case_ids), Case.status == states.Status.closed.value)
                           .order_by(Case.id).with_for_update().execution_options(populate_existing=True)).all()
    reopened = []
    for row in rows:
        after_closing = [j for j in joins
                         if j.case_id == row.id and (row.closed_at is None or j.received_at >= row.closed_at)]
        join = min(after_closing, key=lambda j: (j.received_at, j.complaint_id), default=None)
        if join is None:
            continue
        step = states.reopen_on_repeat(status=row.status, kind=row.kind, facts=_facts(session, row),
                                       rework_count=row.rework_count, closed_at=row.closed_at,
                                       received_at=join.received_at)
        if step is None:
            continue
        previous_closed, previous_due = row.closed_at, row.due_at
        row.status = step.status.value
        row.closed_at = None
        row.accepted_at = moment
        row.handling_count = step.handling_count
        row.rework_count = step.rework_count
        row.due_at = _conclusion_due(row, accepted_at=moment, received_at=join.received_at,
                                     calendar=calendar_service.current(session))
        session.add(CaseEvent(
            case_id=row.id, at=moment, actor_id=actor_id, action=states.REOPEN_EVENT,
            from_status=step.from_status.value, to_status=step.status.value,
            note=f"{states.REOPEN_LABELS[0]}：销号后{_days(previous_closed, join.received_at)}再次投诉"
                 f"（投诉 {join.complaint_id}）",
            data={k: v for k, v in {
                "complaint_id": join.complaint_id, "previous_closed_at": local_iso(previous_closed),
                "previous_due_at": local_iso(previous_due), "due_at": local_iso(row.due_at),
                "handling": step.handling_count, "rework_count": step.rework_count}.items() if v is not None}))
        reopened.append(row.id)
    session.flush()
    return reopened


def _days(start: datetime | None, end: datetime) -> str:
    if start is None:
        return ""
    return f"{max(0, (end - start).days)}天"


def recount_deadlines(session: Session, *, year: int, calendar: deadlines.WorkCalendar) -> int:
    """Count again, with ``calendar``, the deadline of every open case whose count runs through ``year``
    (its clock started before the year ended and it is due after the year began): a new official
    schedule replaces the estimate they were counted with. The rule is the one each deadline was set
    by: the first deadline from receipt until acceptance, then the conclusion deadline from acceptance,
    plus the days of a granted extension. Returns how many deadlines changed."""
    year_start = datetime(year, 1, 1, tzinfo=BEIJING)
    next_year = datetime(year + 1, 1, 1, tzinfo=BEIJING)
    rows = list(session.scalars(
        select(Case).where(Case.status.not_in(FINISHED), Case.due_at >= year_start,
                           func.coalesce(Case.accepted_at, Case.opened_at) < next_year)
        .order_by(Case.id).with_for_update()))
    # A reworked case's handling counts from the repeat that reopened it, and only its own extensions count.
    reopened = _latest_reopenings(session, [row.id for row in rows if row.rework_count])
    extended = {row.id for row in rows if row.extended}
    extension_days: dict[int, int] = {}
    if extended:
        for case_id, at, data in session.execute(select(CaseEvent.case_id, CaseEvent.at, CaseEvent.data).where(
                CaseEvent.case_id.in_(extended), CaseEvent.action == states.Action.extend.value)):
            if case_id in reopened and at < reopened[case_id][0]:
                continue  # granted to an earlier handling
            extension_days[case_id] = extension_days.get(case_id, 0) + int((data or {}).get("days") or 0)
    changed = 0
    for row in rows:
        try:
            if row.accepted_at is None:
                due: datetime | None = deadlines.first_due_at(channel=row.channel, urgency=row.urgency,
                                                              received_at=row.opened_at, calendar=calendar)
            else:
                due = _conclusion_due(row, accepted_at=row.accepted_at, calendar=calendar,
                                      received_at=reopened[row.id][1] if row.id in reopened else None,
                                      extension_days=extension_days.get(row.id, 0))
        except (deadlines.DeadlineError, InvalidInput):
            continue  # a channel without configured limits keeps the deadline it was given
        if due is not None and due != row.due_at:
            row.due_at = due
            changed += 1
    session.flush()
    return changed


def _latest_reopenings(session: Session, case_ids: list[int]) -> dict[int, tuple[datetime, datetime | None]]:
    """For each case, when its latest rework began and when the repeat complaint that reopened it came in."""
    if not case_ids:
        return {}
    latest: dict[int, tuple[datetime, Any]] = {}
    for case_id, at, data in session.execute(
            select(CaseEvent.case_id, CaseEvent.at, CaseEvent.data)
            .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action == states.REOPEN_EVENT)
            .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)):
        latest[case_id] = (at, (data or {}).get("complaint_id"))
    received = dict(session.execute(select(Complaint.id, Complaint.received_at).where(
        Complaint.id.in_([c for _, c in latest.values() if isinstance(c, int)] or [-1]))).all())
    return {case_id: (at, received.get(complaint)) for case_id, (at, complaint) in latest.items()}


def _active_user(session: Session, user_id: int | str) -> User:
    ident = ids.parse_id(user_id, field="user_id")
    user = session.get(User, ident)
    if user is None or not user.active:
        raise InvalidInput(f"no active user {ident}", field="user_id")
    return user


# ---------------------------------------------------------------- supervision ledger


def default_supervisor(session: Session, *, zone_id: int | None) -> int | None:
    """The chief who answers for a zone: the nearest zone up the tree whose officer is a chief."""
    seen = 0
    while zone_id is not None and seen < 10:
        zone = session.get(Zone, zone_id)
        if zone is None:
            return None
        if zone.officer is not None and zone.officer.role == "chief" and zone.officer.active:
            return zone.officer.id
        zone_id = zone.parent_id
        seen += 1
    return None


def assign_supervisor(session: Session, *, case_id: int, user_id: int, actor: Actor,
                      now: datetime | None = None) -> dict[str, Any]:
    """Name the owner of a supervision-ledger item (a chief); recorded in the case history.

    Only a chief whose zones hold the case (or admin) names its supervisor."""
    row = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                        lock=True)
    authorization.check_may_act(session, case=row, user_id=actor.user_id, role=actor.role)
    user = _active_user(session, user_id)
    if user.role not in ("chief", "admin"):
        raise InvalidInput(f"the supervisor must be a chief; user {user.id} is {user.role}", field="user_id")
    moment = _now(now)
    previous = row.supervisor_id
    row.supervisor_id = user.id
    session.add(CaseEvent(case_id=row.id, at=moment, actor_id=actor.user_id, action="supervise",
                          from_status=row.status, to_status=row.status, note=None,
                          data={"supervisor_id": user.id, "previous": previous}))
    session.commit()
    return summarise(row, _last_revisit(session, row.id), now=moment,
                     concluded_at=concluded_times(session, [row.id]).get(row.id))


def supervision_ledger(session: Session, *, zone_id: int | None = None, zone: str | None = None,
                       limit: int = 100, offset: int = 0,
                       now: datetime | None = None, yellow_fraction: float | None = None
                       ) -> tuple[list[dict[str, Any]], int]:
    """Red satisfaction items: unsatisfied at the last revisit after two or more handlings, open."""
    moment = _now(now)
    last = (select(Revisit.case_id, Revisit.satisfaction, Revisit.handling)
            .ext(distinct_on(Revisit.case_id)).order_by(Revisit.case_id, Revisit.at.desc(), Revisit.id.desc())
            .subquery())
    query = (select(Case).join(last, last.c.case_id == Case.id)
             .where(last.c.satisfaction == states.Satisfaction.unsatisfied.value, last.c.handling >= 2,
                    Case.status.not_in(FINISHED)))
    if zone_id is not None:
        query = query.where(Case.zone_id.in_(zone_and_descendants(zone_id)))
    if zone is not None:
        check_zone_code(session, zone)
        query = query.where(Case.zone_id.in_(zone_and_descendants(code=zone)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.options(selectinload(Case.zone))
                                .order_by(Case.due_at.asc().nulls_last(), Case.id).limit(limit).offset(offset)))
    revisits, concluded = last_revisits(session, [c.id for c in rows]), concluded_times(session, [c.id for c in rows])
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_([c.supervisor_id for c in rows if c.supervisor_id]))).all())
    items = []
    calendar = calendar_service.current(session)
    for c in rows:
        item = summarise(c, revisits.get(c.id), now=moment, yellow_fraction=yellow_fraction,
                         concluded_at=concluded.get(c.id), calendar=calendar)
        item["supervisor_name"] = names.get(c.supervisor_id) if c.supervisor_id is not None else None
        items.append(item)
    return items, total


def resolve_assigned(value: str | None, *, actor: Actor) -> int | None:
    """``assigned_to`` filter: a user id, or "me"."""
    if value is None or value == "":
        return None
    if value == "me":
        if actor.user_id is None:
            raise InvalidInput("an API key has no user: 'me' cannot be used", field="assigned_to")
        return actor.user_id
    try:
        return ids.parse_id(value, field="assigned_to")
    except InvalidInput:
        raise InvalidInput("assigned_to is a user id or 'me'", field="assigned_to") from None

