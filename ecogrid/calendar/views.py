"""The official calendar API (admin): load a year's schedule, read a year as the deadlines count it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import DbSession, Principal, require_roles
from api.errors import BadRequestInput
from ecogrid.calendar import flows
from ecogrid.calendar import schemas as s
from ecogrid.calendar import service as calendar_service

router = APIRouter(prefix="/api/v1/admin/calendar", tags=["calendar"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="the calendar year, e.g. 2027")]


def year_read(view: flows.YearView) -> s.CalendarYearRead:
    return s.CalendarYearRead(
        year=view.year, source_kind=view.source_kind,  # type: ignore[arg-type]
        estimated=view.estimated, source=view.source, loaded_at=view.loaded_at, holidays=view.holidays,
        workdays=view.workdays,
        days=[s.CalendarDayRead(date=day, kind=kind, name=name, weekday=day.isoweekday())  # type: ignore[arg-type]
              for day, kind, name in view.days])


def entries(body: s.CalendarSchedule) -> list[calendar_service.DayEntry]:
    return [calendar_service.DayEntry(day=d.date, kind=d.kind, name=d.name) for d in body.days]


@router.get("/{year}", response_model=s.CalendarYearRead)
def get_calendar_year(year: Year, session: DbSession, _: Admin) -> s.CalendarYearRead:
    """The year's loaded official schedule (if any) and what decides its working days."""
    return year_read(flows.show_year(session, year=year))


@router.post("/{year}", response_model=s.CalendarLoadRead,
             responses={422: {"description": "a row is refused (its row and field named); nothing is loaded"}})
def load_calendar_year(year: Year, body: s.CalendarSchedule, session: DbSession,
                       principal: Admin) -> s.CalendarLoadRead:
    """Make the body the whole official schedule of ``year`` (replacing an earlier one at once) and count
    again the deadlines of the open cases that run through the year."""
    if body.year != year:
        raise BadRequestInput(f"the schedule is for {body.year}, the address for {year}", loc=["body", "year"])
    try:
        result = flows.load_year(session, year=year, source=body.source, days=entries(body),
                                 actor_id=principal.user_id, actor_name=principal.name)
    except calendar_service.ScheduleRefused as exc:
        session.rollback()
        first = exc.errors[0]
        raise BadRequestInput(exc.message, loc=["body", "days", first.row - 1, first.field]) from None
    session.commit()
    view = year_read(result.view)
    return s.CalendarLoadRead(**view.model_dump(), replaced=result.replaced,
                              recomputed_cases=result.recomputed_cases)
