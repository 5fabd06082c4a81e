"""Response shapes of the reports: the daily bulletin (日通报) and period figures with last year's.

Rates are fractions (0.9143 = 91.43%), null when nothing was counted; the definitions are those of
``ecogrid.cases.rules`` (on-time closure, satisfaction per revisit, repeat rate).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.read_types import Timestamp


class SatisfactionCounts(BaseModel):
    revisits: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    rate: float | None = Field(description="(satisfied + basically satisfied) / revisits")


class AssessmentRates(BaseModel):
    """The figures the assessments use, defined in ``ecogrid.cases.rules``; null when nothing was counted."""

    closure_rate: float | None = Field(description="办结率: closed ÷ (closed + in stock at the cut-off)")
    rework_rate: float | None = Field(description="返工率: closings of the period a repeat reopened (by the cut-off) "
                                                  "÷ closings of the period")
    extension_rate: float | None = Field(description="延期率: closed cases that were extended ÷ closed cases")
    mean_days_to_close: float | None = Field(description="平均办结天数: mean days from opening to closing of the "
                                                         "closed cases")
    revisit_coverage: float | None = Field(description="回访率: cases replied to in the period and revisited after "
                                                       "that reply ÷ cases replied to")


class AssessmentFigures(AssessmentRates):
    closings: int = Field(description="close events (销号) in the period")
    reworked: int = Field(description="of those closings, undone by a reopening (返工) by the cut-off")
    extended: int = Field(description="closed cases whose time limit had been extended")
    replied: int = Field(description="cases replied to (办结) in the period")
    replied_revisited: int = Field(description="of those, revisited after their last reply in the period")


class StreetRow(AssessmentFigures):
    zone_id: int | None
    code: str | None = Field(description="the street's zone code; null for the rows outside every street")
    name: str = Field(examples=["中心街道"])
    new_cases: int
    in_stock: int
    closed: int
    overdue: int
    returned: int = Field(description="cases returned to the dispatching platform (退单) in the period")
    transferred: int = Field(description="cases transferred to another department or handed over to the police "
                             "(转办, 移交公安) in the period")


class OfficerRow(AssessmentFigures):
    user_id: int
    username: str
    name: str
    in_stock: int
    closed: int
    overdue: int


class OwnedOpenCase(BaseModel):
    case_id: int
    category: str
    category_label: str
    status: str
    status_label: str = Field(examples=["已派单"])
    zone_id: int | None
    owner_id: int
    owner_name: str | None


class DailyBulletin(AssessmentFigures):
    """One Beijing day's figures; stock figures (in stock, overdue) at the cut-off."""

    date: date
    cut_off: Timestamp
    new_cases: int
    new_complaints: int
    in_stock: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None
    overdue: int
    returned: int = Field(description="cases returned to the dispatching platform (退单) in the period")
    transferred: int = Field(description="cases transferred to another department or handed over to the police "
                             "(转办, 移交公安) in the period")
    repeat_complaints: int
    repeat_rate: float | None
    satisfaction: SatisfactionCounts
    by_street: list[StreetRow]
    by_officer: list[OfficerRow]
    owned_cases: list[OwnedOpenCase] = Field(default_factory=list, description="open cases at the cut-off owned "
                                             "by a leader (领导包案), with the owner then; at most 50")


class SingledOutCase(BaseModel):
    case_id: int
    category: str
    category_label: str
    status: str
    zone_id: int | None
    repeat_complaints: int


class PeriodCounts(AssessmentFigures):
    """The figures of one period (from and to are the first and last day, Beijing time)."""

    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    accepted: int
    rejected: int
    returned: int = Field(description="cases returned to the dispatching platform (退单) in the period")
    transferred: int = Field(description="cases transferred to another department or handed over to the police "
                             "(转办, 移交公安) in the period")
    acceptance_rate: float | None = Field(description="accepted / (accepted + rejected + returned)")
    closed: int
    closed_on_time: int
    on_time_rate: float | None
    cut_off: Timestamp
    in_stock: int
    overdue: int
    revisits: int
    satisfied: int
    satisfaction_rate: float | None
    complaints: int
    repeat_complaints: int
    repeat_rate: float | None
    by_category: dict[str, int] = Field(description="complaints per category")
    by_channel: dict[str, int] = Field(description="complaints per channel")


class YearOnYear(BaseModel):
    """Counts: relative change (0.25 = +25%); rates: difference in points (0.05 = +5 pp); mean days to close:
    difference in days."""

    accepted: float | None
    rejected: float | None
    returned: float | None
    transferred: float | None
    closed: float | None
    revisits: float | None
    complaints: float | None
    repeat_complaints: float | None
    acceptance_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    repeat_rate: float | None
    closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    mean_days_to_close: float | None
    revisit_coverage: float | None


class PeriodSummary(PeriodCounts):
    cases_with_5_plus_repeats: list[SingledOutCase]
    previous_year: PeriodCounts
    year_on_year: YearOnYear
