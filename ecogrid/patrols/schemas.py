"""Request and response shapes of patrol planning: risk-ranked targets, "double random" draws, conflicts
of interest, routes and their stops."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import Day, Id
from api.read_types import Geometry, Point, Timestamp

Number = int | float


class DrawCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "zone": "370299005", "unit_classes": ["key", "ordinary"], "inspectors_per_target": 2,
        "quarter": "2026Q2"}})

    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="default: a fresh random seed, stored")
    zone: str | None = Field(default=None, description="zone code: sources in that zone and every zone in it")
    industry: str | None = None
    unit_classes: list[str] | None = Field(default=None, description="key, special, ordinary")
    rates: dict[str, float] | None = Field(default=None, description="override of the sampling rate per class")
    inspectors_per_target: int = Field(default=2, ge=2)
    weighted_by_risk: bool = False
    quarter: str | None = Field(default=None, max_length=32, description="label, e.g. 2026Q1")


class ConflictCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"user_id": 7, "source_id": 12,
                                                             "reason": "配偶在该企业任职"}})

    user_id: Id
    source_id: Id
    reason: str | None = Field(default=None, max_length=2000)


class RouteCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"date": "2026-05-06", "draw_id": 1}})

    date: Day
    source_ids: list[Id] | None = Field(default=None, description="the sources to visit (or draw_id)")
    draw_id: Id | None = Field(default=None, description="visit the targets of this approved draw")
    inspector_ids: list[Id] | None = None


class StopDone(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"inspection_id": 42}})

    inspection_id: Id


# ---------------------------------------------------------------- targets


class TargetItem(BaseModel):
    kind: Literal["source"] = "source"
    source_id: int
    name: str
    credit_code: str
    industry: str
    unit_class: str
    key_discharger: bool
    score: float
    factors: dict[str, Number] = Field(description="each factor's raw value (count, weighted count, days)")
    parts: dict[str, Number] = Field(description="each factor's weighted share of the score")
    last_inspected_at: Timestamp | None
    geometry: Point


class TargetCell(BaseModel):
    kind: Literal["cell"] = "cell"
    cell: str = Field(examples=["EPSG:32651/500/132/1999"])
    score: float
    complaints: int
    weighted_complaints: float
    unresolved_cases: int
    centre: Point
    geometry: Geometry


class TargetWindow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: Timestamp = Field(alias="from")
    end: Timestamp = Field(alias="to")
    half_life_days: float


class TargetRanking(BaseModel):
    items: list[TargetItem]
    total: int
    cells: list[TargetCell] = Field(description="hot cells in the bbox (empty without one)")
    window: TargetWindow
    area: list[float] | None = Field(description="the bbox the cells were looked for in")
    weights: dict[str, float]


# ---------------------------------------------------------------- draws


class DrawTarget(BaseModel):
    target_id: int
    source_id: int
    unit_class: str | None
    inspector_ids: list[int]


class ClassCount(BaseModel):
    population: int
    drawn: int
    rate: float


class DrawLists(BaseModel):
    units: int
    inspectors: int
    conflicts: int


class DrawRead(BaseModel):
    id: int
    kind: Literal["draw"]
    seed: int | None
    status: str = Field(examples=["drawn"], description="drawn or approved")
    algorithm: str | None
    inputs_digest: str | None
    quarter: str | None
    filters: dict[str, Any] = Field(description="what the draw was made from (zone, industry, classes, rates)")
    targets: list[DrawTarget]
    counts: dict[str, ClassCount] = Field(description="per unit class")
    lists: DrawLists = Field(description="sizes of the lists drawn from")
    created_by_id: int | None
    created_at: Timestamp
    approved_by_id: int | None
    approved_at: Timestamp | None


class DrawVerification(BaseModel):
    id: int
    seed: int | None = None
    algorithm: str | None = None
    inputs_digest: str | None = None
    match: bool = Field(description="digest, result and targets all as stored")
    digest_match: bool
    result_match: bool
    targets_match: bool
    reason: str | None = Field(default=None, description="why the draw could not be replayed")


class PublishedItem(BaseModel):
    unit_name: str
    credit_code: str
    unit_class: str
    inspectors: list[str]
    status: str = Field(examples=["pending"], description="done or pending")
    checked_on: date | None
    conclusion: str | None
    publish_by: date | None


class DrawPublication(BaseModel):
    """The public list of an approved draw (no complaint or complainant data)."""

    draw_id: int
    quarter: str | None
    drawn_at: Timestamp
    approved_at: Timestamp | None
    seed: int | None
    inputs_digest: str | None
    complete: bool
    items: list[PublishedItem]
    total: int


class ConflictRead(BaseModel):
    user_id: int
    source_id: int
    reason: str | None
    declared_at: Timestamp


# ---------------------------------------------------------------- routes


class RouteStopRead(BaseModel):
    target_id: int
    seq: int
    source_id: int
    name: str
    credit_code: str
    address: str | None
    geometry: Point
    leg_m: float | None
    cumulative_m: float
    inspector_ids: list[int]
    inspectors: list[str]
    done: bool
    inspection_id: int | None
    done_by: str | None
    conclusion: str | None


class RouteRead(BaseModel):
    id: int
    kind: Literal["route"]
    date: date | None
    status: str
    draw_id: int | None
    total_m: float | None
    return_leg_m: float
    office: Point
    path: Geometry
    stops: list[RouteStopRead]
    done: int
    total: int
    created_by_id: int | None
    created_at: Timestamp
