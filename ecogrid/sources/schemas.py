"""Request and response shapes of the source registry, the industry table and suspected sources."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id
from api.read_types import Feature, FeatureCollection, Point, Timestamp
from ecogrid.core.vocabulary import Category, Crs

_SOURCE_EXAMPLE: dict[str, Any] = {"name": "示范化工1号", "credit_code": "913702997M70FTJ57K", "industry": "chemical",
                   "lon": 120.4495, "lat": 36.1038, "crs": "wgs84", "stack_height_m": 20.0,
                   "address": "示范区化工路135号"}


class SourceCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _SOURCE_EXAMPLE})

    name: str = Field(min_length=1, max_length=256)
    credit_code: str = Field(description="统一社会信用代码 (18 characters, check digit verified)")
    industry: str = Field(description="an industry code of GET /api/v1/industries")
    categories: list[Category] | None = Field(default=None, description="what it emits; default: its industry's")
    key_discharger: bool | None = None
    lon: float
    lat: float
    crs: Crs = Crs.wgs84
    stack_height_m: float | None = None
    address: str | None = None


class SourceUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"key_discharger": True, "stack_height_m": 25.0}})

    name: str | None = Field(default=None, min_length=1, max_length=256)
    credit_code: str | None = None
    industry: str | None = None
    categories: list[Category] | None = None
    key_discharger: bool | None = None
    lon: float | None = None
    lat: float | None = None
    crs: Crs | None = None
    stack_height_m: float | None = None
    address: str | None = None


class IndustryPut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"categories": ["odour", "voc"],
                                                             "label_zh": "化工", "label_en": "Chemical"}})

    categories: list[Category]
    label_zh: str | None = None
    label_en: str | None = None


class SourceProperties(BaseModel):
    id: int
    name: str
    credit_code: str
    industry: str
    categories: list[str]
    categories_from_industry: bool = Field(description="no categories of its own: its industry's")
    key_discharger: bool
    unit_class: str = Field(examples=["key"], description="key, special or ordinary (for the random draw)")
    address: str | None
    stack_height_m: float | None
    zone_id: int | None
    zone_code: str | None


class SourceRead(SourceProperties):
    lon: float
    lat: float
    footprint: dict[str, Any] | None = Field(description="the site's outline as a GeoJSON geometry")


class SourceList(BaseModel):
    items: list[SourceRead]
    total: int


class SourceFeature(Feature[SourceProperties]):
    id: int
    geometry: Point  # type: ignore[assignment]


class SourceFeatureCollection(FeatureCollection[SourceProperties]):
    """A page of matching sources as GeoJSON (``format=geojson``), with ``next`` in ``links``."""

    features: list[SourceFeature]  # type: ignore[assignment]
    total: int = Field(description="how many match before paging")


class IndustryRead(BaseModel):
    code: str
    label_zh: str | None
    label_en: str | None
    categories: list[str]


class IndustryList(BaseModel):
    items: list[IndustryRead]
    total: int


# ---------------------------------------------------------------- suspects


class SourceConfirm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"source_id": 61, "note": "现场确认为该企业喷漆车间"}})

    source_id: Id
    note: str | None = Field(default=None, max_length=2000)


class SourceConfirmed(BaseModel):
    case_id: int
    confirmed_source_id: int | None
    confirmed_by_id: int | None
    confirmed_at: Timestamp | None


class WindRead(BaseModel):
    kind: str = Field(examples=["weather_record"], description="weather_record or reading")
    id: int
    station: str | None
    observed_at: Timestamp
    wind_from_deg: float
    wind_speed_ms: float | None
    distance_m: float


class ConfirmedSourceRead(BaseModel):
    source_id: int
    name: str | None
    confirmed_by_id: int | None
    confirmed_at: Timestamp | None


class MonitorNoteRead(BaseModel):
    """What the source's own online monitor showed around the case's opening (the alarm, else the highest)."""

    station_id: int
    station: str
    code: str = Field(description="HJ 212 pollutant code")
    interval: str
    measured_at: Timestamp
    value: float
    unit: str | None
    exceeded: bool | None
    limit: float | None = None
    standard: str | None = None
    alarm_id: int | None = None


class SuspectRead(BaseModel):
    source_id: int
    name: str
    industry: str
    distance_m: float
    score: float = Field(description="the weighted sum of the parts, 0 to 1")
    parts: dict[str, float] = Field(description="distance, category, wind and history parts, each 0 to 1")
    explanation: list[str]
    bearing_deg: float | None
    categories: list[str]
    key_discharger: bool
    lon: float | None
    lat: float | None
    explanation_en: list[str]
    history: dict[str, int] = Field(description="earlier confirmations (same category, other) and exceedances")
    monitor: MonitorNoteRead | None = None


class SuspectRanking(BaseModel):
    case_id: int
    category: str
    radius_m: float
    weights: dict[str, float]
    candidates: int = Field(description="sources within the radius")
    wind_used: bool
    wind: WindRead | None
    confirmed_source: ConfirmedSourceRead | None
    items: list[SuspectRead]
    total: int
