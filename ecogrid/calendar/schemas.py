"""The schedule file and the calendar API's bodies and answers.

A year's schedule is one JSON document, the same as a file for ``ecogrid calendar load FILE`` and as
the body of ``POST /api/v1/admin/calendar/{year}``::

    {"year": 2027,
     "source": "国务院办公厅关于2027年部分节假日安排的通知",
     "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
              {"date": "2027-02-20", "kind": "workday", "name": "春节调休上班"}]}

``days`` lists every holiday (including the weekend days inside a holiday period) and every make-up
working day (a Saturday or Sunday worked); every other day of the year is a working day Monday to
Friday. ``kind`` is ``holiday`` or ``workday``; each date once, inside ``year``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.read_types import Timestamp

DayKind = Literal["holiday", "workday"]
MAX_NAME = 64
MAX_SOURCE = 500

_EXAMPLE: dict[str, Any] = {
    "year": 2027,
    "source": "EXAMPLE ONLY, not the official schedule: 国务院办公厅关于2027年部分节假日安排的通知",
    "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
             {"date": "2027-02-20", "kind": "workday", "name": "春节调休上班"}],
}


class CalendarDayIn(BaseModel):
    """One listed day: a holiday, or a make-up working day on a weekend."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="the day, YYYY-MM-DD (in the schedule's year)")
    kind: DayKind = Field(description="holiday (a day off) or workday (a make-up working day, 调休上班)")
    name: str = Field(min_length=1, max_length=MAX_NAME, description="the holiday's name, e.g. 春节")


class CalendarSchedule(BaseModel):
    """A year's official schedule, as the State Council publishes it (the file format)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": _EXAMPLE})

    year: int = Field(ge=2000, le=2100, description="the year the schedule is for")
    source: str = Field(min_length=1, max_length=MAX_SOURCE,
                        description="where the schedule comes from (the notice's title and number)")
    days: list[CalendarDayIn] = Field(min_length=1, max_length=366,
                                      description="every holiday and every make-up working day of the year")


class CalendarDayRead(BaseModel):
    date: dt.date
    kind: DayKind
    name: str
    weekday: int = Field(description="1 = Monday ... 7 = Sunday")


class CalendarYearRead(BaseModel):
    """A year's calendar as the deadlines count it."""

    year: int
    source_kind: Literal["official", "chinesecalendar", "holidays", "weekdays"] = Field(
        description="what decides the year's working days: the loaded official schedule, the chinesecalendar "
                    "package, the holidays package's rule-based festivals (an estimate), or Monday-Friday "
                    "(an estimate)")
    estimated: bool = Field(description="deadlines counted through this year are estimates (due_estimated)")
    source: str | None = Field(description="the loaded schedule's source, when one is loaded")
    loaded_at: Timestamp | None
    holidays: int
    workdays: int
    days: list[CalendarDayRead] = Field(description="the loaded schedule's days (empty when none is loaded)")


class CalendarLoadRead(CalendarYearRead):
    replaced: int = Field(description="days of an earlier schedule of the year that were replaced")
    recomputed_cases: int = Field(description="open cases whose deadline was counted again with this schedule")
