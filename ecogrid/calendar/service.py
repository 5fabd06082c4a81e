"""The official schedules: checked, stored a year at a time, and held per process for the deadlines.

A year is replaced whole in one transaction (its rows deleted and the new ones inserted under a
lock on the year), so a reader sees the old schedule or the new one, never a mix, and a refused
schedule leaves the stored one as it was.

The deadlines read the schedules through ``current(session)``: the parsed ``WorkCalendar`` is kept
for the process and read again when the stored data changed (a loading in this process calls
``invalidate()``; a loading by another process, e.g. the command line while the server runs, is
noticed by the cheap version check: the number of stored days and the latest ``loaded_at``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from ecogrid.cases import deadlines
from ecogrid.core.errors import InvalidInput, RowError
from ecogrid.core.models import CalendarDay

KINDS = ("holiday", "workday")


@dataclass(frozen=True)
class DayEntry:
    """One listed day of a schedule (row numbers count from 1 in the order given)."""

    day: date
    kind: str
    name: str


class ScheduleRefused(InvalidInput):
    """A schedule with bad rows: each problem names its row and field; nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"row {first.row}: {first.field}: {first.reason}{more}; nothing loaded", field=first.field)
        self.errors = errors


def check_schedule(*, year: int, source: str, days: Sequence[DayEntry]) -> None:
    """Refuse (``ScheduleRefused``) a schedule whose rows contradict each other or the year."""
    if not source.strip():
        raise InvalidInput("must say where the schedule comes from", field="source")
    errors: list[RowError] = []
    seen: dict[date, int] = {}
    for number, entry in enumerate(days, start=1):
        if entry.day.year != year:
            errors.append(RowError(number, "date", f"{entry.day.isoformat()} is not in {year}",
                                   entry.day.isoformat()))
        if entry.day in seen:
            errors.append(RowError(number, "date", f"{entry.day.isoformat()} is listed twice (also row "
                                                   f"{seen[entry.day]})", entry.day.isoformat()))
        seen.setdefault(entry.day, number)
        if entry.kind not in KINDS:
            errors.append(RowError(number, "kind", "must be holiday or workday", entry.kind))
        elif entry.kind == "workday" and entry.day.weekday() < 5:
            errors.append(RowError(number, "kind", f"{entry.day.isoformat()} is a weekday: a make-up working "
                                                   "day (调休上班) is a Saturday or Sunday", entry.kind))
        if not entry.name.strip():
            errors.append(RowError(number, "name", "must name the holiday"))
    if days and not any(entry.kind == "holiday" for entry in days):
        errors.append(RowError(1, "kind", "a schedule lists at least one holiday"))
    if errors:
        raise ScheduleRefused(errors)


def replace_year(session: Session, *, year: int, source: str, days: Sequence[DayEntry]) -> int:
    """Check the schedule and make it the year's whole schedule (in the caller's transaction);
    returns how many days of an earlier schedule were replaced."""
    check_schedule(year=year, source=source, days=days)
    # Two loadings of one year at once would both delete and then both insert: one waits for the other.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('calendar_days'), :year)"), {"year": year})
    replaced = session.scalar(select(func.count()).where(CalendarDay.year == year)) or 0
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    session.execute(insert(CalendarDay), [{"day": e.day, "kind": e.kind, "name": e.name.strip(), "year": year,
                                           "source": source.strip()} for e in days])
    session.flush()
    invalidate()
    return int(replaced)


def year_days(session: Session, *, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)))


# ---------------------------------------------------------------- the per-process cache

_lock = threading.Lock()
_cached: deadlines.WorkCalendar | None = None


def invalidate() -> None:
    """Forget the cached schedules: the next ``current`` reads them again."""
    global _cached
    with _lock:
        _cached = None


def _version(session: Session) -> tuple[int, datetime | None]:
    count, latest = session.execute(select(func.count(), func.max(CalendarDay.loaded_at))).one()
    return int(count), latest


def current(session: Session) -> deadlines.WorkCalendar:
    """The official schedules loaded, as the deadlines count them (cached for the process)."""
    global _cached
    version = _version(session)
    cached = _cached
    if cached is not None and cached.version == version:
        return cached
    by_year: dict[int, dict[date, bool]] = {}
    for day, kind, year in session.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.year)):
        by_year.setdefault(year, {})[day] = kind == "workday"
    fresh = deadlines.WorkCalendar(
        days=MappingProxyType({y: MappingProxyType(d) for y, d in by_year.items()}), version=version)
    with _lock:
        _cached = fresh
    return fresh
