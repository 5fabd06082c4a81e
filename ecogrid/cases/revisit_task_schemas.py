"""Bodies and answers of the revisit tasks (回访; rules in ``ecogrid.cases.revisit_tasks``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import BigId
from api.read_types import Timestamp


class TasksGenerate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 30}, {"quarter": "2026Q4"}]})

    days: int | None = Field(default=None, ge=1, le=366,
                             description="scheduled revisits this many days after each closing (default: the setting)")
    quarter: str | None = Field(default=None, pattern=r"^\d{4}Q[1-4]$",
                                description="also draw the sample revisits of this quarter, like 2026Q4")
    rate: float | None = Field(default=None, gt=0, le=1, description="the share sampled (default: the setting)")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="the seed of the draw (default: a new one)")


class TasksGenerated(BaseModel):
    scheduled_created: int
    scheduled_stored: int
    sample_created: int | None = None
    sample_stored: int | None = None
    seed: int | None = None


class TaskDone(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "电话回访，投诉人表示满意"}]})

    contact_id: BigId | None = Field(default=None, description="the contact with the complainant that did it")
    note: str | None = Field(default=None, max_length=4000)


class TaskRead(BaseModel):
    id: int | None = Field(description="none for a progress notice: it is done by recording a contact")
    case_id: int
    kind: Literal["scheduled", "sample", "progress_notice"]
    kind_label: str
    due_on: date
    quarter: str | None
    seed: int | None
    assignee_id: int | None
    done: bool
    done_at: Timestamp | None
    done_by_id: int | None
    contact_id: int | None
    note: str | None


class TaskList(BaseModel):
    items: list[TaskRead]
    total: int
