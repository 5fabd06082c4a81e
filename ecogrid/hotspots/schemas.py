"""Response shapes of the zone figures, grid counts and Gi* hotspots (all GeoJSON FeatureCollections).

Rates are fractions, null when nothing was counted; the definitions are ``ecogrid.cases.rules``'.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.read_types import FeatureCollection, Timestamp


class CaseFigures(BaseModel):
    new_cases: int
    open: int
    overdue: int
    closed: int
    closed_on_time: int
    revisits: int
    satisfied: int = Field(description="revisits judged satisfied or basically satisfied")
    on_time_rate: float | None
    satisfaction_rate: float | None = Field(description="satisfied / revisits (per revisit, 满意率)")
    extended: int = Field(default=0, description="closed cases whose time limit had been extended")
    closings: int = Field(default=0, description="close events (销号) in the period")
    reworked: int = Field(default=0, description="of those closings, undone by a reopening (返工)")
    replied: int = Field(default=0, description="cases replied to (办结) in the period")
    replied_revisited: int = Field(default=0, description="of those, revisited after their last reply")
    closure_rate: float | None = Field(default=None, description="办结率: closed / (closed + open)")
    rework_rate: float | None = Field(default=None, description="返工率: reworked / closings")
    extension_rate: float | None = Field(default=None, description="延期率: extended / closed")
    mean_days_to_close: float | None = Field(default=None, description="平均办结天数 of the closed cases")
    revisit_coverage: float | None = Field(default=None, description="回访率: replied_revisited / replied")


class ZoneFigures(CaseFigures):
    code: str
    name: str
    level: str
    parent_code: str | None
    complaints: int
    repeats: int
    cases: int
    repeat_rate: float | None


class ZoneFiguresCollection(FeatureCollection[ZoneFigures]):
    """One feature per zone of the level; cases outside every zone and without a zone in the totals."""

    cut_off: Timestamp = Field(description="when stock figures (open, overdue) are counted")
    total: CaseFigures
    outside_jurisdiction: CaseFigures
    unassigned: CaseFigures


class GridCell(BaseModel):
    i: int
    j: int
    count: int
    lon: float = Field(description="the cell's centre")
    lat: float


class GridCollection(FeatureCollection[GridCell]):
    cell_m: float
    shape: str = Field(examples=["square"])
    srid: int = Field(description="the metric projection the cells are drawn in")


class HotspotCell(BaseModel):
    i: int
    j: int
    count: int
    previous: int = Field(description="the count of the period before, as long")
    z: float | None
    p: float | None
    hot_cold: str = Field(examples=["hot"], description="hot, cold or not_significant")
    confidence: int | None = Field(description="90, 95 or 99 (after the false-discovery correction)")
    trend: str | None = Field(examples=["rising"])


class HotspotPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: Timestamp = Field(alias="from")
    end: Timestamp = Field(alias="to")
    previous_from: Timestamp


class HotspotCollection(FeatureCollection[HotspotCell]):
    cell_m: float
    shape: str
    period: HotspotPeriod
