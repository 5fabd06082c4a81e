"""Loading a year's official schedule: replace the year, then count again the deadlines of the open
cases that run through it (they were counted with the estimate), and record who loaded it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import deadlines
from ecogrid.cases import service as case_service
from ecogrid.core import audit


@dataclass(frozen=True)
class YearView:
    """A year's calendar as the deadlines count it, and the loaded schedule's days if any."""

    year: int
    source_kind: str
    estimated: bool
    source: str | None
    loaded_at: datetime | None
    days: list[tuple[date, str, str]] = field(default_factory=list)

    @property
    def holidays(self) -> int:
        return sum(1 for _, kind, _ in self.days if kind == "holiday")

    @property
    def workdays(self) -> int:
        return sum(1 for _, kind, _ in self.days if kind == "workday")


@dataclass(frozen=True)
class LoadResult:
    view: YearView
    replaced: int
    recomputed_cases: int


def show_year(session: Session, *, year: int) -> YearView:
    rows = calendar_service.year_days(session, year=year)
    kind = deadlines.calendar_source(year, calendar_service.current(session))
    return YearView(year=year, source_kind=kind.value, estimated=kind not in deadlines.OFFICIAL_SOURCES,
                    source=rows[0].source if rows else None, loaded_at=rows[0].loaded_at if rows else None,
                    days=[(r.day, r.kind, r.name) for r in rows])


def load_year(session: Session, *, year: int, source: str, days: Sequence[calendar_service.DayEntry],
              actor_id: int | None, actor_name: str) -> LoadResult:
    """Make ``days`` the whole official schedule of ``year`` (the caller commits)."""
    replaced = calendar_service.replace_year(session, year=year, source=source, days=days)
    calendar = calendar_service.current(session)
    recomputed = case_service.recount_deadlines(session, year=year, calendar=calendar)
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="calendar.load", entity="calendar",
                 entity_id=year, detail={"days": len(days), "replaced": replaced, "source": source.strip(),
                                         "recomputed_cases": recomputed})
    return LoadResult(view=show_year(session, year=year), replaced=replaced, recomputed_cases=recomputed)
