"""Post-enforcement checks (执法后督察): going back after a case is dealt with to see the work holds.

Once a case is concluded (replied, revisited) or closed, a chief who answers for it (``authorization.
check_may_act``: their zones, or its source's for a cross-district case) or admin schedules a check: the day
and the inspector who goes, with an optional note. The case keeps it (``case_checks``, a ``schedule_check``
event in its history) and the inspector finds it among their tasks (``list_checks``) until they record
what they found (``complete_check``, a ``check`` event). A check is one per case, inspector and day: the
same scheduling sent again answers with the one stored. The day is today (Beijing) or later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecogrid.cases.states import Status
from ecogrid.core import authorization, text_rules, value_ranges
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ecogrid.core.models import CaseCheck, CaseEvent, User
from ecogrid.core.time import day_of, rfc3339
from ecogrid.core.vocabulary import Role

SCHEDULE_EVENT = "schedule_check"
CHECK_EVENT = "check"
# Dealt with: the handling concluded (办结) and after, closed (销号) included.
CHECKABLE: tuple[str, ...] = (Status.replied.value, Status.revisited.value, Status.closed.value)
SCHEDULERS = frozenset({Role.chief.value, Role.admin.value})
# Who has checks to read: the schedulers and the inspectors sent.
READERS = SCHEDULERS | {Role.inspector.value}
EVENT_LABELS: dict[str, tuple[str, str]] = {SCHEDULE_EVENT: ("安排执法后督察", "post-enforcement check scheduled"),
                                            CHECK_EVENT: ("执法后督察", "post-enforcement check")}
TEXT_MAX = 4000


def _read(row: CaseCheck) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "due_on": row.due_on, "assignee_id": row.assignee_id,
            "note": row.note, "scheduled_by_id": row.scheduled_by_id, "scheduled_at": rfc3339(row.scheduled_at),
            "done": row.done_at is not None, "done_at": rfc3339(row.done_at), "done_by_id": row.done_by_id,
            "finding": row.finding}


def _text(value: str | None, *, field: str, required: bool) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput("say what was found", field=field)
        return None
    if len(cleaned) > TEXT_MAX:
        raise InvalidInput(f"{field} is longer than {TEXT_MAX} characters", field=field)
    text_rules.check_text(cleaned, field=field)
    return cleaned


def schedule_check(session: Session, *, case_id: int, due_on: date, assignee_id: int, note: str | None,
                   user_id: int | None, role: str, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Schedule a check of a dealt-with case; (the check, whether it was stored now).

    Raises Forbidden (not a chief or admin, or a chief who does not answer for the case), NotFound, Conflict
    (the case is not concluded or closed), InvalidInput naming ``due_on`` or ``assignee_id``.
    """
    if role not in SCHEDULERS:
        raise Forbidden(f"role {role} may not schedule post-enforcement checks; a chief does")
    moment = now or datetime.now(UTC)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role, lock=True)
    authorization.check_may_act(session, case=case, user_id=user_id, role=role)
    if case.status not in CHECKABLE:
        raise Conflict("a post-enforcement check follows the handling: the case must be concluded or closed")
    value_ranges.check_date(due_on, field="due_on")
    if due_on < day_of(moment):
        raise InvalidInput("due_on lies in the past", field="due_on")
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role != Role.inspector.value:
        raise InvalidInput(f"no active inspector {assignee_id}", field="assignee_id")
    cleaned = _text(note, field="note", required=False)
    stored = session.scalars(select(CaseCheck).where(CaseCheck.case_id == case.id, CaseCheck.due_on == due_on,
                                                     CaseCheck.assignee_id == assignee_id)).one_or_none()
    if stored is not None:
        return _read(stored), False
    row = CaseCheck(case_id=case.id, due_on=due_on, assignee_id=assignee_id, note=cleaned, scheduled_by_id=user_id,
                    scheduled_at=moment)
    session.add(row)
    session.flush()
    session.add(CaseEvent(case_id=case.id, at=moment, actor_id=user_id, action=SCHEDULE_EVENT,
                          from_status=case.status, to_status=case.status, note=cleaned,
                          data={"check_id": row.id, "due_on": due_on.isoformat(), "assignee_id": assignee_id}))
    session.flush()
    return _read(row), True


def complete_check(session: Session, *, check_id: int, finding: str, user_id: int | None, role: str,
                   now: datetime | None = None) -> dict[str, Any]:
    """The assigned inspector records what the check found. Sent again after it is done: the stored check if the
    finding is the same, Conflict otherwise. NotFound for a check that is not the caller's."""
    row = session.scalars(select(CaseCheck).where(CaseCheck.id == check_id).with_for_update()).one_or_none()
    if row is None or (role != Role.admin.value and row.assignee_id != user_id):
        raise NotFound(f"check {check_id} not found")
    cleaned = _text(finding, field="finding", required=True)
    if row.done_at is not None:
        if row.finding == cleaned:
            return _read(row)
        raise Conflict("the check is already done")
    moment = now or datetime.now(UTC)
    row.done_at, row.done_by_id, row.finding = moment, user_id, cleaned
    status = session.scalar(select(CaseEvent.to_status).where(CaseEvent.case_id == row.case_id)
                            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1))
    session.add(CaseEvent(case_id=row.case_id, at=moment, actor_id=user_id, action=CHECK_EVENT, from_status=status,
                          to_status=status, note=cleaned, data={"check_id": row.id}))
    session.flush()
    return _read(row)


def list_checks(session: Session, *, user_id: int | None, role: str, case_id: int | None = None,
                assignee_id: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    """Checks by day, earliest first: an inspector's own (their task list); chiefs and admin any, of a case or an
    inspector. A case the caller may not see is NotFound."""
    if case_id is not None:
        authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role)
    query = select(CaseCheck)
    if role == Role.inspector.value:
        query = query.where(CaseCheck.assignee_id == user_id)
    elif role not in READERS:
        raise Forbidden(f"role {role} has no post-enforcement checks")
    if case_id is not None:
        query = query.where(CaseCheck.case_id == case_id)
    if assignee_id is not None:
        query = query.where(CaseCheck.assignee_id == assignee_id)
    if open_only:
        query = query.where(CaseCheck.done_at.is_(None))
    return [_read(r) for r in session.scalars(query.order_by(CaseCheck.due_on, CaseCheck.id))]
