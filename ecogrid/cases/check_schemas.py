"""Bodies and answers of the post-enforcement checks (执法后督察; rules in ``ecogrid.cases.checks``)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.params import Day, Id
from api.read_types import Timestamp


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "due_on": "2026-12-20", "assignee_id": 7, "note": "查看整改设施是否正常运行"}]})

    due_on: Day = Field(description="the day of the check (today or later, Beijing)")
    assignee_id: Id = Field(description="the inspector who goes")
    note: str | None = Field(default=None, max_length=4000)


class CheckDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finding: str = Field(min_length=1, max_length=4000, description="what the check found")


class CheckRead(BaseModel):
    id: int
    case_id: int
    due_on: date
    assignee_id: int
    note: str | None
    scheduled_by_id: int | None
    scheduled_at: Timestamp
    done: bool
    done_at: Timestamp | None
    done_by_id: int | None
    finding: str | None


class CheckList(BaseModel):
    items: list[CheckRead]
    total: int
