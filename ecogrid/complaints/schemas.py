"""Request and response shapes of the complaint API: a complaint in (ComplaintCreate), out (ComplaintRead)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.params import Moment
from ecogrid.complaints import limits
from ecogrid.core.vocabulary import Category, Channel, Crs, Kind


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    kind: Kind
    category: Category
    description: str = Field(min_length=1, max_length=limits.DESCRIPTION)
    received_at: Moment | None = None
    external_ref: str | None = Field(default=None, max_length=limits.EXTERNAL_REF)
    address: str | None = Field(default=None, max_length=limits.ADDRESS)
    complainant_name: str | None = Field(default=None, max_length=limits.COMPLAINANT_NAME)
    complainant_phone: str | None = Field(default=None, max_length=limits.COMPLAINANT_PHONE)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    crs: Crs = Crs.wgs84
    urgency: str = Field(default="ordinary", pattern="^(urgent|ordinary|complex)$")


class ZoneRef(BaseModel):
    code: str
    name: str
    level: str


class NearestZoneRef(BaseModel):
    code: str
    name: str
    distance_m: float | None


class ComplaintRead(BaseModel):
    id: int
    channel: str
    kind: str
    category: str
    description: str
    received_at: str
    external_ref: str | None
    address: str | None
    complainant_name: str | None
    complainant_phone: str | None
    urgency: str
    lon: float | None
    lat: float | None
    crs: str
    orig_lon: float | None
    orig_lat: float | None
    orig_crs: str
    zone: ZoneRef | None
    case_id: int | None
    repeat: bool
    status: str | None
    due_at: str | None
    out_of_jurisdiction: bool
    nearest_zone: NearestZoneRef | None
    needs_geocoding: bool
    media_url: str | None = None
    suspects: list[dict[str, Any]] = []


class ComplaintList(BaseModel):
    items: list[ComplaintRead]
    total: int
