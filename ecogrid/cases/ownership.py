"""Leader ownership (领导包案) and the backlog ledger (信访积案).

- Ownership: a chief or admin names a leader (an active chief or admin) who owns a key case to the end.
  It is not supervision (督办, ``service.assign_supervisor``): a supervisor answers for a red
  satisfaction item and is named by default from the zone's chief; an owner is a leader's personal
  charge of any key case, chosen by a decision. Each naming is one ``own`` event in the case history.
- Backlog: a case is on the ledger when a chief recorded the decision (``backlog`` event, with a reason),
  or, with no decision recorded, when it is a chronic repeat (``rules.CHRONIC_COMPLAINTS``). It leaves
  only by a recorded decision (``backlog_leave`` event, with a reason). Each item has an owner (the
  case's) and a focused-drive flag (集中攻坚).

A request repeated with the same values changes nothing and records nothing more. Nothing here touches
the workflow status: the events carry the status unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session, selectinload

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import rules, states
from ecogrid.cases import service as casework
from ecogrid.core import authorization
from ecogrid.core import value_ranges as ids
from ecogrid.core.errors import Conflict, InvalidInput
from ecogrid.core.models import Case, CaseEvent, User
from ecogrid.core.vocabulary import label

LEADERS = ("chief", "admin")
OWN_EVENT = "own"
BACKLOG_EVENT = "backlog"
LEAVE_EVENT = "backlog_leave"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _locked_case(session: Session, *, case_id: int, actor: casework.Actor) -> Case:
    row = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                        lock=True)
    authorization.check_may_act(session, case=row, user_id=actor.user_id, role=actor.role)
    return row


def _leader(session: Session, user_id: int, *, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput(f"no active user {user_id}", field=field)
    if user.role not in LEADERS:
        raise InvalidInput(f"the owner must be a chief or admin; user {user.id} is {user.role}", field=field)
    return user


def _event(row: Case, *, action: str, actor: casework.Actor, at: datetime, note: str | None,
           data: dict[str, Any]) -> CaseEvent:
    return CaseEvent(case_id=row.id, at=at, actor_id=actor.user_id, action=action, from_status=row.status,
                     to_status=row.status, note=note, data=data)


def _own(session: Session, row: Case, *, user_id: int, actor: casework.Actor, at: datetime,
         field: str = "user_id") -> None:
    leader = _leader(session, user_id, field=field)
    if row.owner_id == leader.id:
        return
    session.add(_event(row, action=OWN_EVENT, actor=actor, at=at, note=None,
                       data={"owner_id": leader.id, "previous": row.owner_id}))
    row.owner_id = leader.id


def owner_name(session: Session, owner_id: int | None) -> str | None:
    if owner_id is None:
        return None
    user = session.get(User, owner_id)
    return (user.full_name or user.username) if user is not None else None


def _summary(session: Session, row: Case, *, now: datetime) -> dict[str, Any]:
    return casework.summarise(row, casework.last_revisits(session, [row.id]).get(row.id), now=now,
                              concluded_at=casework.concluded_times(session, [row.id]).get(row.id))


def assign_owner(session: Session, *, case_id: int, user_id: int, actor: casework.Actor,
                 now: datetime | None = None) -> dict[str, Any]:
    """包案: name the leader who owns the case; the case as a ledger item with ``owner_name``."""
    row = _locked_case(session, case_id=case_id, actor=actor)
    moment = _now(now)
    _own(session, row, user_id=user_id, actor=actor, at=moment)
    session.commit()
    return {**_summary(session, row, now=moment), "owner_name": owner_name(session, row.owner_id)}


# ---------------------------------------------------------------- the backlog ledger


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput("give the reason of the decision", field="reason")
    return reason


def _item(row: Case, summary: dict[str, Any], *, names: dict[int, str]) -> dict[str, Any]:
    return {**summary, "owner_name": names.get(row.owner_id) if row.owner_id is not None else None,
            "complaints": rules.complaints_on_case(row.repeat_count), "chronic": rules.is_chronic(row.repeat_count),
            "decided": row.backlog is not None, "on_backlog": rules.on_backlog(row.backlog, row.repeat_count),
            "backlog_reason": row.backlog_reason, "focused": row.backlog_focused,
            "backlog_at": casework.local_iso(row.backlog_at)}


def _one_item(session: Session, row: Case, *, now: datetime) -> dict[str, Any]:
    names = {row.owner_id: owner_name(session, row.owner_id) or ""} if row.owner_id is not None else {}
    return _item(row, _summary(session, row, now=now), names=names)


def list_on_backlog(session: Session, *, case_id: int, reason: str, actor: casework.Actor,
                    owner_id: int | None = None, focused: bool | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """Put the case on the backlog ledger (or change its reason, owner or focus): a recorded decision."""
    text = _reason(reason)
    row = _locked_case(session, case_id=case_id, actor=actor)
    moment = _now(now)
    if owner_id is not None:
        _own(session, row, user_id=owner_id, actor=actor, at=moment, field="owner_id")
    flag = row.backlog_focused if focused is None else focused
    if (row.backlog, row.backlog_reason, row.backlog_focused) != (rules.BACKLOG_LISTED, text, flag):
        session.add(_event(row, action=BACKLOG_EVENT, actor=actor, at=moment, note=text,
                           data={"reason": text, "focused": flag, "owner_id": row.owner_id}))
        row.backlog, row.backlog_reason, row.backlog_focused, row.backlog_at = rules.BACKLOG_LISTED, text, flag, moment
    session.commit()
    return _one_item(session, row, now=moment)


def leave_backlog(session: Session, *, case_id: int, reason: str, actor: casework.Actor,
                  now: datetime | None = None) -> dict[str, Any]:
    """Take the case off the backlog ledger: a recorded decision with its reason."""
    text = _reason(reason)
    row = _locked_case(session, case_id=case_id, actor=actor)
    moment = _now(now)
    if row.backlog == rules.BACKLOG_LEFT and row.backlog_reason == text:
        session.rollback()
        return _one_item(session, row, now=moment)  # the same decision again: recorded once
    if not rules.on_backlog(row.backlog, row.repeat_count):
        raise Conflict(f"case {row.id} is not on the backlog ledger")
    session.add(_event(row, action=LEAVE_EVENT, actor=actor, at=moment, note=text, data={"reason": text}))
    row.backlog, row.backlog_reason, row.backlog_focused, row.backlog_at = rules.BACKLOG_LEFT, text, False, moment
    session.commit()
    return _one_item(session, row, now=moment)


def backlog_ledger(session: Session, *, focused: bool | None = None, owner_id: int | None = None,
                   chronic: bool | None = None, limit: int = 50, offset: int = 0, now: datetime | None = None,
                   yellow_fraction: float | None = None) -> tuple[list[dict[str, Any]], int]:
    """The cases on the backlog ledger, focused drives first, then the most complaints first."""
    moment = _now(now)
    query = select(Case).where(rules.on_backlog_sql())
    if focused is not None:
        query = query.where(Case.backlog_focused.is_(focused))
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    if chronic is not None:
        query = query.where(rules.chronic_sql() if chronic else ~rules.chronic_sql())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.options(selectinload(Case.zone))
                                .order_by(Case.backlog_focused.desc(), Case.repeat_count.desc(), Case.id)
                                .limit(limit).offset(offset)))
    ids = [c.id for c in rows]
    revisits, concluded = casework.last_revisits(session, ids), casework.concluded_times(session, ids)
    names = _names(session, {c.owner_id for c in rows if c.owner_id is not None})
    calendar = calendar_service.current(session)
    items = [_item(c, casework.summarise(c, revisits.get(c.id), now=moment, yellow_fraction=yellow_fraction,
                                         concluded_at=concluded.get(c.id), calendar=calendar), names=names)
             for c in rows]
    return items, total


def _names(session: Session, user_ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(User.id, User.full_name, User.username).where(User.id.in_(user_ids or {-1})))
    return {i: full or username for i, full, username in rows}


# ---------------------------------------------------------------- the bulletin's list


def owned_open_cases(session: Session, *, cut: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Open cases at ``cut`` with the leader who owned them then (the last ``own`` event by ``cut``)."""
    owned = (select(CaseEvent.case_id, CaseEvent.data["owner_id"].as_integer().label("owner_id"))
             .ext(distinct_on(CaseEvent.case_id))
             .where(CaseEvent.action == OWN_EVENT, CaseEvent.at <= cut)
             .order_by(CaseEvent.case_id, CaseEvent.at.desc(), CaseEvent.id.desc()).subquery())
    rows = session.execute(
        select(Case.id, Case.category, rules.status_at_sql(cut).label("status"), Case.zone_id, owned.c.owner_id)
        .join(owned, owned.c.case_id == Case.id).where(rules.open_at_sql(cut))
        .order_by(Case.id).limit(limit)).all()
    names = _names(session, {r.owner_id for r in rows})
    return [{"case_id": r.id, "category": r.category, "category_label": label(r.category), "status": r.status,
             "status_label": states.STATUS_LABELS[states.Status(r.status)][0], "zone_id": r.zone_id,
             "owner_id": r.owner_id, "owner_name": names.get(r.owner_id)} for r in rows]


def resolve_owner(value: str | None, *, actor: casework.Actor) -> int | None:
    """``owner`` filter: a user id, or "me"."""
    if value is None or value.strip() == "":
        return None
    if value.strip() == "me":
        if actor.user_id is None:
            raise InvalidInput("an API key has no user: 'me' cannot be used", field="owner")
        return actor.user_id
    try:
        return ids.parse_id(value.strip(), field="owner")
    except InvalidInput:
        raise InvalidInput("owner is a user id or 'me'", field="owner") from None
