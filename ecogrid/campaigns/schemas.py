"""The campaign API's bodies and answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id
from api.read_types import Timestamp
from ecogrid.campaigns.rules import MAX_DESCRIPTION, MAX_NAME, MAX_TARGETS
from ecogrid.core.vocabulary import Category

_EXAMPLE: dict[str, Any] = {
    "name": "2027年中高考期间噪声专项行动", "start_date": "2027-06-01", "end_date": "2027-06-10",
    "categories": ["noise_construction", "noise_social"], "zone_ids": [3], "source_ids": [12, 15],
    "description": "考点周边施工噪声、社会生活噪声夜查"}


class CampaignCreate(BaseModel):
    """A new special campaign (专项行动)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": _EXAMPLE})

    name: str = Field(min_length=1, max_length=MAX_NAME, description="the campaign's name (unique)")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    start_date: dt.date = Field(description="its first day (Beijing), YYYY-MM-DD")
    end_date: dt.date = Field(description="its last day (Beijing, inclusive), not before start_date")
    categories: list[Category] = Field(default_factory=list, max_length=len(Category),
                                       description="the complaint categories it is about; empty: every one")
    zone_ids: list[Id] = Field(default_factory=list, max_length=1000,
                               description="the zones it covers, each with its subtree; empty: the whole city")
    source_ids: list[Id] = Field(default_factory=list, max_length=MAX_TARGETS,
                                 description="its target units (pollution source ids) to be inspected")


class CampaignUpdate(BaseModel):
    """A change: the fields given replace the stored ones (lists replaced whole); the rest stay."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"end_date": "2027-06-12"}})

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    categories: list[Category] | None = Field(default=None, max_length=len(Category))
    zone_ids: list[Id] | None = Field(default=None, max_length=1000)
    source_ids: list[Id] | None = Field(default=None, max_length=MAX_TARGETS)


class CaseFiguresRead(BaseModel):
    """The bulletin's case figures (``ecogrid.cases.figures``) over the period, of the campaign's cases alone."""

    new_cases: int
    open: int = Field(description="in stock at the cut-off")
    overdue: int = Field(description="open and past their deadline at the cut-off")
    closed: int
    closed_on_time: int
    revisits: int
    satisfied: int
    extended: int
    closings: int
    reworked: int
    replied: int
    replied_revisited: int
    returned: int
    transferred: int
    on_time_rate: float | None
    satisfaction_rate: float | None
    closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    mean_days_to_close: float | None
    revisit_coverage: float | None


class TargetUnitRead(BaseModel):
    source_id: int
    name: str
    inspections: int = Field(description="inspections of the unit submitted during the period")
    last_inspected_at: Timestamp | None


class ProgressRead(BaseModel):
    cut_off: Timestamp = Field(description="the stock figures are counted at this moment: the period's end, or now")
    cases: int = Field(description="cases linked to the campaign")
    figures: CaseFiguresRead
    target_units: int
    inspected: int = Field(description="target units inspected during the period")
    not_inspected: int = Field(description="target units not yet inspected during the period")
    inspections_for_campaign: int = Field(description="inspections recorded with this campaign_id")
    units: list[TargetUnitRead]


class CampaignRead(BaseModel):
    id: int
    name: str
    description: str | None
    start_date: dt.date
    end_date: dt.date
    categories: list[str]
    zone_ids: list[int]
    source_ids: list[int]
    case_ids: list[int]
    created_at: Timestamp
    updated_at: Timestamp
    progress: ProgressRead


class CampaignList(BaseModel):
    items: list[CampaignRead]
    total: int


class CampaignCaseRead(BaseModel):
    campaign_id: int
    case_id: int
    linked: bool = Field(description="whether the case belongs to the campaign now")
    changed: bool = Field(description="false when it already was (or was not) linked: the call changed nothing")
