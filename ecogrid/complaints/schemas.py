"""Request and response shapes of the complaint API: a complaint in (ComplaintCreate), out (ComplaintRead)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.params import Moment
from api.read_types import Feature, FeatureCollection, Point, Timestamp
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


class SuspectBrief(BaseModel):
    """A likely source near a new complaint (the full ranking is GET /api/v1/cases/{case_id}/suspects)."""

    source_id: int
    name: str
    industry: str
    distance_m: float
    score: float


class ComplaintFields(BaseModel):
    """A complaint as staff read it; name and phone masked for roles that need not see them."""

    id: int
    channel: str
    kind: str
    category: str
    description: str
    received_at: Timestamp
    external_ref: str | None
    address: str | None
    complainant_name: str | None
    complainant_phone: str | None
    urgency: str
    crs: str = Field(description="the coordinate system the location was given in")
    orig_lon: float | None = Field(description="the location as given, in crs")
    orig_lat: float | None
    orig_crs: str
    zone: ZoneRef | None
    case_id: int | None
    repeat: bool
    status: str | None = Field(description="the status of the complaint's case")
    due_at: Timestamp | None
    out_of_jurisdiction: bool
    nearest_zone: NearestZoneRef | None
    needs_geocoding: bool
    media_url: str | None = None


class ComplaintRead(ComplaintFields):
    lon: float | None = Field(description="WGS-84 longitude (null until geocoded)")
    lat: float | None
    suspects: list[SuspectBrief] = Field(default_factory=list, description="on registration only")


class ComplaintList(BaseModel):
    items: list[ComplaintRead]
    total: int


class ComplaintFeature(Feature[ComplaintFields]):
    id: int
    geometry: Point | None  # type: ignore[assignment]


class ComplaintFeatureCollection(FeatureCollection[ComplaintFields]):
    """The same page of complaints as GeoJSON (``format=geojson``); ``total`` counts before paging."""

    features: list[ComplaintFeature]  # type: ignore[assignment]
    total: int
