"""Revisit tasks (回访): the clerk's list of complainants to call back, and the rules that fill it.

- ``scheduled`` (定期回访): every closing gets one revisit ``Settings.revisit_after_days`` (Beijing days) after it
  (``generate_scheduled``); a case closed, reopened and closed again gets one per closing.
- ``sample`` (抽查回访): for a quarter (``2026Q4``), a random sample of the cases closed in it, ``revisit_sample_rate``
  of them rounded up (``sample_size``), drawn reproducibly from a seed (``sample``); the seed is kept on the tasks.
  A quarter is drawn once: asking again answers with the tasks stored.
- ``progress_notice`` (通报进展): a case under rectification for ``revisit_progress_notice_days`` or more since the
  latest order with no contact logged since the order. Not stored: the list works it out, so it leaves the list
  by itself once a contact is recorded (or the case leaves rectification).

A stored task is done when a contact with the complainant is recorded on its case (``contacts.record_contact``
calls ``done_by_contact``) or by ``complete`` with a contact of the case or a note.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from ecogrid.cases.states import Action, Status
from ecogrid.core import authorization, text_rules
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ecogrid.core.models import Case, CaseContact, CaseEvent, RevisitTask
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, day_of, rfc3339
from ecogrid.core.vocabulary import Role
from geo import double_random

SCHEDULED, SAMPLE, PROGRESS_NOTICE = "scheduled", "sample", "progress_notice"
KINDS = (SCHEDULED, SAMPLE, PROGRESS_NOTICE)
KIND_LABELS: dict[str, tuple[str, str]] = {SCHEDULED: ("定期回访", "scheduled revisit"),
                                           SAMPLE: ("抽查回访", "sample revisit"),
                                           PROGRESS_NOTICE: ("通报进展", "progress notice due")}
GENERATORS = frozenset({Role.chief.value, Role.admin.value})
READERS = frozenset({Role.clerk.value, Role.chief.value, Role.admin.value})
SAMPLE_ALGORITHM = "ecogrid.revisit_sample/1"
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
NOTE_MAX = 4000


@dataclass(frozen=True)
class Generated:
    created: int
    stored: int
    seed: int | None = None


def quarter_days(quarter: str, *, field: str = "quarter") -> tuple[date, date]:
    """The first day of the quarter and the first day after it; InvalidInput naming ``field`` otherwise."""
    found = QUARTER.match(quarter or "")
    if found is None or not 2000 <= int(found.group(1)) <= 2100:
        raise InvalidInput(f"quarter {quarter!r} is not like 2026Q4", field=field)
    year, q = int(found.group(1)), int(found.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def sample_size(*, rate: float, population: int) -> int:
    """How many of a quarter's closed cases are drawn: the rate's decimal form times the count, rounded up."""
    return math.ceil(Fraction(repr(rate)) * population)


def draw_sample(case_ids: list[int], *, quarter: str, seed: int, rate: float) -> list[int]:
    """The sampled case ids, in id order: the same ids, quarter, seed and rate always give the same sample."""
    ordered = sorted(case_ids)
    digest = hashlib.sha256(f"{SAMPLE_ALGORITHM}|{quarter}|{seed}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:16], "big"))
    return sorted(rng.sample(ordered, sample_size(rate=rate, population=len(ordered))))


def _check_generator(role: str) -> None:
    if role not in GENERATORS:
        raise Forbidden(f"role {role} may not generate revisit tasks; a chief or admin does")


def generate_scheduled(session: Session, *, days: int, role: str = Role.admin.value) -> Generated:
    """A scheduled revisit ``days`` after every closing that has none yet."""
    _check_generator(role)
    if not 1 <= days <= 366:
        raise InvalidInput("days must be between 1 and 366", field="days")
    closings = session.execute(select(Case.id, Case.closed_at).where(Case.status == Status.closed.value,
                                                                    Case.closed_at.is_not(None))).all()
    stored = {(r.case_id, r.due_on) for r in session.execute(
        select(RevisitTask.case_id, RevisitTask.due_on).where(RevisitTask.kind == SCHEDULED))}
    created = 0
    for case_id, closed_at in closings:
        if closed_at is None:
            continue
        due = day_of(closed_at) + timedelta(days=days)
        if (case_id, due) not in stored:
            session.add(RevisitTask(case_id=case_id, kind=SCHEDULED, due_on=due))
            created += 1
    session.flush()
    return Generated(created=created, stored=len(closings) - created)


def generate_sample(session: Session, *, quarter: str, rate: float, seed: int | None = None,
                    role: str = Role.admin.value, now: datetime | None = None) -> Generated:
    """The quarter's sample revisits, drawn once; due on the first day after the quarter (or today, if later)."""
    _check_generator(role)
    start, end = quarter_days(quarter)
    if not 0 < rate <= 1:
        raise InvalidInput("rate must be above 0 and at most 1", field="rate")
    if seed is not None and not 0 <= seed <= double_random.MAX_SEED:
        raise InvalidInput(f"seed must be between 0 and {double_random.MAX_SEED}", field="seed")
    moment = now or datetime.now(UTC)
    if day_of(moment) < end:
        raise InvalidInput(f"quarter {quarter} is not over yet", field="quarter")
    drawn = list(session.scalars(select(RevisitTask).where(RevisitTask.kind == SAMPLE, RevisitTask.quarter == quarter)))
    if drawn:
        return Generated(created=0, stored=len(drawn), seed=drawn[0].seed)
    lower, upper = (datetime.combine(d, datetime.min.time(), BEIJING) for d in (start, end))
    ids = list(session.scalars(select(Case.id).where(Case.status == Status.closed.value, Case.closed_at >= lower,
                                                     Case.closed_at < upper)))
    chosen = double_random.generate_seed() if seed is None else seed
    due = max(end, day_of(moment))
    for case_id in draw_sample(ids, quarter=quarter, seed=chosen, rate=rate):
        session.add(RevisitTask(case_id=case_id, kind=SAMPLE, due_on=due, quarter=quarter, seed=chosen))
    session.flush()
    count = session.scalar(select(func.count()).select_from(RevisitTask).where(RevisitTask.quarter == quarter))
    return Generated(created=int(count or 0), stored=0, seed=chosen)


def done_by_contact(session: Session, *, case_id: int, contact_id: int, user_id: int | None, at: datetime) -> int:
    """A contact recorded on a case does its open revisit tasks; how many."""
    rows = list(session.scalars(select(RevisitTask).where(RevisitTask.case_id == case_id,
                                                          RevisitTask.done_at.is_(None)).with_for_update()))
    for row in rows:
        row.done_at, row.done_by_id, row.contact_id = at, user_id, contact_id
    session.flush()
    return len(rows)


def _read(row: RevisitTask) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "kind_label": KIND_LABELS[row.kind][0],
            "due_on": row.due_on, "quarter": row.quarter, "seed": row.seed, "assignee_id": row.assignee_id,
            "done": row.done_at is not None, "done_at": rfc3339(row.done_at), "done_by_id": row.done_by_id,
            "contact_id": row.contact_id, "note": row.note}


def complete(session: Session, *, task_id: int, contact_id: int | None, note: str | None, user_id: int | None,
             role: str, now: datetime | None = None) -> dict[str, Any]:
    """Mark a task done with a contact of its case or a note. Sent again with the same: the stored task."""
    if role not in READERS:
        raise Forbidden(f"role {role} has no revisit tasks")
    row = session.scalars(select(RevisitTask).where(RevisitTask.id == task_id).with_for_update()).one_or_none()
    if row is None:
        raise NotFound(f"revisit task {task_id} not found")
    authorization.check_sees_case(session, case_id=row.case_id, user_id=user_id, role=role)
    cleaned = (note or "").strip() or None
    if contact_id is None and cleaned is None:
        raise InvalidInput("give the contact made or a note", field="note")
    if cleaned is not None:
        if len(cleaned) > NOTE_MAX:
            raise InvalidInput(f"note is longer than {NOTE_MAX} characters", field="note")
        text_rules.check_text(cleaned, field="note")
    if contact_id is not None:
        contact = session.get(CaseContact, contact_id)
        if contact is None or contact.case_id != row.case_id:
            raise InvalidInput(f"contact {contact_id} is not a contact of case {row.case_id}", field="contact_id")
    if row.done_at is not None:
        if (row.contact_id, row.note) == (contact_id, cleaned) or (contact_id is not None
                                                                     and row.contact_id == contact_id):
            return _read(row)
        raise Conflict("the revisit task is already done")
    row.done_at, row.done_by_id, row.contact_id, row.note = now or datetime.now(UTC), user_id, contact_id, cleaned
    session.flush()
    return _read(row)


def _progress_notices(session: Session, *, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Cases under rectification since the latest order for the threshold or longer, no contact since the order."""
    ordered = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
               .where(CaseEvent.action == Action.rectify.value).group_by(CaseEvent.case_id).subquery())
    limit = now - timedelta(days=settings.revisit_progress_notice_days)
    contacted = exists().where(and_(CaseContact.case_id == Case.id, CaseContact.contacted_at >= ordered.c.at))
    rows = session.execute(select(Case.id, ordered.c.at).join(ordered, ordered.c.case_id == Case.id)
                           .where(Case.status == Status.rectification.value, ordered.c.at <= limit, ~contacted)).all()
    return [{"id": None, "case_id": case_id, "kind": PROGRESS_NOTICE, "kind_label": KIND_LABELS[PROGRESS_NOTICE][0],
             "due_on": day_of(at) + timedelta(days=settings.revisit_progress_notice_days), "quarter": None,
             "seed": None, "assignee_id": None, "done": False, "done_at": None, "done_by_id": None,
             "contact_id": None, "note": None} for case_id, at in rows]


def list_tasks(session: Session, *, settings: Settings, user_id: int | None, role: str, open_only: bool = True,
               kind: str | None = None, due_by: date | None = None, limit: int = 50, offset: int = 0,
               now: datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """Revisit tasks and due progress notices by day, earliest first; (the page, the total).

    ``due_by``: only those due on that Beijing day or before it (the clerk's "due today" is ``day_of(now)``)."""
    if role not in READERS:
        raise Forbidden(f"role {role} has no revisit tasks")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field="kind")
    query = select(RevisitTask)
    if open_only:
        query = query.where(RevisitTask.done_at.is_(None))
    if kind is not None:
        query = query.where(RevisitTask.kind == kind)
    if due_by is not None:
        query = query.where(RevisitTask.due_on <= due_by)
    items = [_read(r) for r in session.scalars(query)]
    if kind in (None, PROGRESS_NOTICE):
        notices = _progress_notices(session, settings=settings, now=now or datetime.now(UTC))
        items += [n for n in notices if due_by is None or n["due_on"] <= due_by]
    reach = authorization.reach_of(session, user_id=user_id, role=role)
    visible = {c.id for c in session.scalars(select(Case).where(Case.id.in_({i["case_id"] for i in items})))
               if authorization.sees_case(role, reach, c)}
    items = sorted((i for i in items if i["case_id"] in visible), key=lambda i: (i["due_on"], i["case_id"], i["kind"]))
    return items[offset:offset + limit], len(items)

