"""Request and response shapes of the duty roster (值班)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id, Moment
from api.read_types import Timestamp
from ecogrid.cases.schemas import NOTE_MAX


class DutyShiftCreate(BaseModel):
    """One roster entry: who is on duty from when to when (at most 31 days; a time without an offset is
    Beijing time)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "user_id": 5, "starts_at": "2026-12-04T17:30:00+08:00", "ends_at": "2026-12-05T08:30:00+08:00",
        "note": "夜间值班"}})
    user_id: Id = Field(description="an active chief, clerk, inspector or admin")
    starts_at: Moment
    ends_at: Moment = Field(description="after starts_at")
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class DutyShiftRead(BaseModel):
    id: int
    user_id: int
    user_name: str | None
    starts_at: Timestamp
    ends_at: Timestamp
    note: str | None


class DutyShiftList(BaseModel):
    items: list[DutyShiftRead]
    total: int = Field(description="matching entries before paging")


class OnDuty(BaseModel):
    """Who is on duty at a moment, and whether that moment is out of hours."""

    at: Timestamp
    out_of_hours: bool = Field(description="not a working day, or outside the office hours of one")
    shift: DutyShiftRead | None
