"""Request bodies and responses of the monitoring API: one model per action."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from api.params import Id
from api.read_types import Timestamp
from ecogrid.core.vocabulary import Crs, StationKind

Interval = Literal["rtd", "minute", "hour", "day"]


class PollutantIn(BaseModel):
    code: str = Field(min_length=1, max_length=16, description="HJ 212-2017 pollutant code, e.g. a21028")
    unit: str | None = Field(default=None, max_length=16, description="unit the station sends; default the code's")


class PollutantRead(BaseModel):
    code: str
    unit: str
    parameter: str | None
    label_zh: str
    label_en: str


class StationCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=256)
    kind: StationKind
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    crs: Crs = Crs.wgs84
    mn: str | None = Field(default=None, max_length=24, description="HJ 212 device number (MN)")
    password: str | None = Field(default=None, max_length=32, description="HJ 212 access password (PW)")
    source_id: Id | None = None
    pollutants: list[PollutantIn] = Field(default_factory=list, max_length=64)
    noise_class: str | None = Field(default=None, max_length=4)
    active: bool = True


class StationUpdate(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=256)
    kind: StationKind | None = None
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    crs: Crs | None = None
    mn: str | None = Field(default=None, max_length=24)
    password: str | None = Field(default=None, max_length=32)
    source_id: Id | None = None
    pollutants: list[PollutantIn] | None = Field(default=None, max_length=64)
    noise_class: str | None = Field(default=None, max_length=4)
    active: bool | None = None


class StationRead(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    kind_zh: str
    mn: str | None
    has_password: bool
    source_id: int | None
    lon: float
    lat: float
    pollutants: list[PollutantRead]
    noise_class: str | None
    active: bool
    created_at: Timestamp
    updated_at: Timestamp


class StationList(BaseModel):
    items: list[StationRead]
    total: int


class ReadingRow(BaseModel):
    station: str = Field(min_length=1, max_length=64, description="station code or MN")
    code: str | None = Field(default=None, max_length=16)
    parameter: str | None = Field(default=None, max_length=32)
    interval: Interval = "hour"
    measured_at: str = Field(min_length=1, max_length=40, description="ISO 8601; without offset Beijing time",
                             json_schema_extra={"format": "date-time"})
    value: float = Field(allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=16)
    flag: str = Field(default="N", max_length=2)


class ReadingsImport(BaseModel):
    items: list[ReadingRow] = Field(min_length=1, max_length=10_000)


class WeatherRow(BaseModel):
    station: str = Field(min_length=1, max_length=64)
    observed_at: str = Field(min_length=1, max_length=40, description="ISO 8601; without offset Beijing time",
                             json_schema_extra={"format": "date-time"})
    wind_from_deg: float = Field(ge=0, le=360, description="where the wind comes from, clockwise from north")
    wind_speed_ms: float = Field(ge=0, le=75)


class WeatherImport(BaseModel):
    items: list[WeatherRow] = Field(min_length=1, max_length=10_000)


class ImportResultRead(BaseModel):
    rows: int
    stored: int
    duplicates: int
    alarm_ids: list[int]


class PermitLimitIn(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    limit_value: float = Field(gt=0, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=16)
    interval: Literal["rtd", "minute", "hour", "day", "any"] = "any"
    basis: str = Field(min_length=1, max_length=256, description="the permit or standard the figure comes from")


class PermitLimitsPut(BaseModel):
    items: list[PermitLimitIn] = Field(max_length=64)


class PermitLimitRead(BaseModel):
    id: int
    source_id: int
    code: str
    limit_value: float
    unit: str
    interval: str
    basis: str


class PermitLimitList(BaseModel):
    items: list[PermitLimitRead]
    total: int


class AlarmRead(BaseModel):
    id: int
    station_id: int
    station_code: str
    station_name: str
    source_id: int | None
    code: str
    parameter: str | None
    label_zh: str
    label_en: str
    interval: str
    first_at: Timestamp
    last_at: Timestamp
    value: float
    peak_value: float
    unit: str | None
    limit_value: float
    standard: str
    standard_name: str | None
    readings: int
    status: str
    case_id: int | None


class AlarmList(BaseModel):
    items: list[AlarmRead]
    total: int


class AlarmCaseRead(BaseModel):
    alarm: AlarmRead
    case_id: int
    created: bool


class PointRead(BaseModel):
    at: str
    value: float


class SeriesRead(BaseModel):
    code: str
    label_zh: str
    label_en: str
    unit: str | None
    interval: str
    bucket_s: int | None
    points: list[PointRead]
    limit: float | None
    standard: str | None


class StationSeriesRead(BaseModel):
    station_id: int
    start: str
    end: str
    series: list[SeriesRead]


class NearbyStationRead(BaseModel):
    station_id: int
    code: str
    name: str
    kind: str
    source_id: int | None
    distance_m: float
    series: list[SeriesRead]


class WindRead(BaseModel):
    complaint_at: Timestamp
    station: str | None
    observed_at: Timestamp | None
    wind_from_deg: float | None
    wind_speed_ms: float | None
    distance_m: float | None


class CaseMonitoringRead(BaseModel):
    case_id: int
    start: str
    end: str
    complaint_times: list[str]
    stations: list[NearbyStationRead]
    winds: list[WindRead]


class DayRead(BaseModel):
    day: date
    complaints: int
    reading: float | None


class PeriodRead(BaseModel):
    days: int
    complaints: int
    complaints_per_day: float
    mean_reading: float | None
    days_with_reading: int
    correlation: float | None


class CorrelationRead(BaseModel):
    source_id: int
    source: str
    station_id: int
    station: str
    code: str
    unit: str | None
    radius_m: float
    category: str | None
    rectified_on: date
    days: list[DayRead]
    before: PeriodRead
    after: PeriodRead
    overall: PeriodRead


class CodeRead(BaseModel):
    code: str
    name_zh: str
    name: str
    parameter: str | None
    unit: str
    category: str | None


class FlagRead(BaseModel):
    flag: str
    label_zh: str
    label: str
    judged: bool


class KindRead(BaseModel):
    kind: str
    label_zh: str
    label_en: str


class VocabularyRead(BaseModel):
    kinds: list[KindRead]
    codes: list[CodeRead]
    flags: list[FlagRead]
