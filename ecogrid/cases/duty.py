"""The duty roster (值班): who receives urgent complaints out of hours.

- Out of hours: a moment (read in Asia/Shanghai) on a day that is not a working day, or on a working
  day before ``duty_office_start`` or from ``duty_office_end`` on (settings). Which days are working
  days is ``deadlines.is_working_day`` under the loaded calendar: the one rule the deadlines use.
- On duty at a moment: the roster entry with ``starts_at <= moment < ends_at`` whose person is active;
  with several, the one that began last (a later shift takes over), then the lowest id.
- At intake, a new case from an urgent complaint received out of hours is recorded for the person on
  duty then (``cases.duty_user_id`` and a ``duty`` event); nothing is recorded when nobody is.

Roster entries are kept by admin and chiefs; the same entry again is stored once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import deadlines
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import Case, CaseEvent, DutyShift, User
from ecogrid.core.time import BEIJING, rfc3339

DUTY_EVENT = "duty"
DUTY_ROLES = ("chief", "clerk", "inspector", "admin")
LONGEST_SHIFT = timedelta(days=31)
URGENT = "urgent"


def out_of_hours(moment: datetime, *, office_start: time, office_end: time,
                 calendar: deadlines.WorkCalendar | None = None) -> bool:
    """Outside the office hours of a working day (see the module docstring)."""
    local = moment.astimezone(BEIJING)
    if not deadlines.is_working_day(local.date(), calendar):
        return True
    return not office_start <= local.time() < office_end


def on_duty(session: Session, *, at: datetime) -> DutyShift | None:
    return session.scalars(
        select(DutyShift).join(User, User.id == DutyShift.user_id)
        .where(DutyShift.starts_at <= at, DutyShift.ends_at > at, User.active.is_(True))
        .order_by(DutyShift.starts_at.desc(), DutyShift.id).limit(1)).first()


def record_for_duty(session: Session, *, case: Case, received_at: datetime, urgency: str, office_start: time,
                    office_end: time) -> int | None:
    """At intake: record a new urgent case received out of hours for the person on duty; their id, if any."""
    if urgency != URGENT or not out_of_hours(received_at, office_start=office_start, office_end=office_end,
                                             calendar=calendar_service.current(session)):
        return None
    shift = on_duty(session, at=received_at)
    if shift is None:
        return None
    case.duty_user_id = shift.user_id
    session.add(CaseEvent(case_id=case.id, at=received_at, actor_id=None, action=DUTY_EVENT,
                          from_status=case.status, to_status=case.status, note=None,
                          data={"user_id": shift.user_id, "shift_id": shift.id}))
    return shift.user_id


# ---------------------------------------------------------------- keeping the roster


def describe(shift: DutyShift, name: str | None) -> dict[str, Any]:
    return {"id": shift.id, "user_id": shift.user_id, "user_name": name, "starts_at": rfc3339(shift.starts_at),
            "ends_at": rfc3339(shift.ends_at), "note": shift.note}


def user_name(session: Session, user_id: int) -> str | None:
    user = session.get(User, user_id)
    return (user.full_name or user.username) if user is not None else None


def add_shift(session: Session, *, user_id: int, starts_at: datetime, ends_at: datetime, note: str | None,
              created_by_id: int | None) -> tuple[dict[str, Any], bool]:
    """A roster entry (and whether it is new: the same person and times again answer the first entry)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput(f"no active user {user_id}", field="user_id")
    if user.role not in DUTY_ROLES:
        raise InvalidInput(f"a {user.role} is not put on duty; one of {', '.join(DUTY_ROLES)}", field="user_id")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must come after starts_at", field="ends_at")
    if ends_at - starts_at > LONGEST_SHIFT:
        raise InvalidInput("a roster entry lasts at most 31 days", field="ends_at")
    same = select(DutyShift).where(DutyShift.user_id == user_id, DutyShift.starts_at == starts_at,
                                   DutyShift.ends_at == ends_at)
    existing = session.scalars(same).first()
    if existing is not None:
        return describe(existing, user_name(session, user_id)), False
    shift = DutyShift(user_id=user_id, starts_at=starts_at, ends_at=ends_at, note=note, created_by_id=created_by_id)
    try:
        with session.begin_nested():
            session.add(shift)
    except IntegrityError:  # the same entry sent twice at once: the first one stands
        return describe(session.scalars(same).one(), user_name(session, user_id)), False
    session.commit()
    return describe(shift, user_name(session, user_id)), True


def list_shifts(session: Session, *, start: datetime | None, end: datetime | None, user_id: int | None,
                limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Roster entries overlapping [start, end), earliest first."""
    query = select(DutyShift)
    if start is not None:
        query = query.where(DutyShift.ends_at > start)
    if end is not None:
        query = query.where(DutyShift.starts_at < end)
    if user_id is not None:
        query = query.where(DutyShift.user_id == user_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(DutyShift.starts_at, DutyShift.id).limit(limit).offset(offset)))
    names = {i: full or username for i, full, username in session.execute(
        select(User.id, User.full_name, User.username).where(User.id.in_({r.user_id for r in rows} or {-1})))}
    return [describe(r, names.get(r.user_id)) for r in rows], total


def delete_shift(session: Session, *, shift_id: int) -> None:
    shift = session.get(DutyShift, shift_id)
    if shift is None:
        raise NotFound(f"roster entry {shift_id} not found")
    session.delete(shift)
    session.commit()


def recorded_cases(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """The cases recorded for a person on duty at intake (urgent, out of hours), newest first: the case, who
    was on duty, when it was recorded (its ``duty`` event)."""
    rows = session.execute(
        select(Case.id, Case.category, Case.status, Case.duty_user_id, CaseEvent.at)
        .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.action == DUTY_EVENT))
        .where(Case.duty_user_id.is_not(None))
        .order_by(CaseEvent.at.desc(), Case.id.desc()).limit(limit)).all()
    names = {i: full or username for i, full, username in session.execute(
        select(User.id, User.full_name, User.username).where(User.id.in_({r.duty_user_id for r in rows} or {-1})))}
    return [{"case_id": r.id, "category": r.category, "status": r.status, "user_id": r.duty_user_id,
             "user_name": names.get(r.duty_user_id), "at": rfc3339(r.at)} for r in rows]


def rostered_people(session: Session) -> list[User]:
    """The active people who may be put on duty (``DUTY_ROLES``), by role then name."""
    return list(session.scalars(select(User).where(User.role.in_(DUTY_ROLES), User.active.is_(True))
                                .order_by(User.role, User.username)))
