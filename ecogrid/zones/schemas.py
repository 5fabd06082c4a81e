"""Request and response shapes of the zone API: zones as GeoJSON, the import body and its report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id
from api.read_types import Feature, FeatureCollection, Geometry


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "officer_id": 2, "noise_class": "2", "responsible_unit": "示范区生态环境分局"}})
    officer_id: Id | None = Field(default=None, description="the user who answers for the zone")
    noise_class: str | None = Field(default=None, pattern="^(0|1|2|3|4a|4b)$",
                                    description="GB 3096 acoustic environment class")
    responsible_unit: str | None = Field(default=None, max_length=256)


class ZoneProperties(BaseModel):
    id: int = Field(description="the zone's id, as cases show it in zone_id")
    code: str = Field(examples=["370299005"])
    name: str = Field(examples=["中心街道"])
    level: str = Field(examples=["street"])
    parent: str | None = Field(description="the parent zone's code")
    officer_id: int | None
    noise_class: str | None
    responsible_unit: str | None


class ZoneFeature(Feature[ZoneProperties]):
    id: str = Field(description="the zone's code")


class ZoneCollection(FeatureCollection[ZoneProperties]):
    features: list[ZoneFeature]  # type: ignore[assignment]
    total: int | None = Field(default=None, description="how many zones match before paging (lists only)")


class FeatureIn(BaseModel):
    """One zone of the file: its polygon and the properties named by code_field, name_field, parent_field."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"] = "Feature"
    geometry: Geometry | None = None
    properties: dict[str, Any] | None = Field(default=None, description="free properties of the source file")


class ZoneFileIn(BaseModel):
    """A GeoJSON FeatureCollection of zone polygons (e.g. a DataV or statistics-bureau export)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"adcode": "370299005", "name": "中心街道"},
                      "geometry": {"type": "Polygon", "coordinates": [[[120.38, 36.06], [120.40, 36.06],
                                                                       [120.40, 36.08], [120.38, 36.06]]]}}]}})

    type: Literal["FeatureCollection"]
    features: list[FeatureIn]


class ZoneOverlap(BaseModel):
    a: str
    b: str
    area_m2: float


class ZoneRepair(BaseModel):
    feature: str = Field(examples=["feature 3 (adcode=370299005)"])
    reason: str


class ZoneImportRead(BaseModel):
    created: list[str] = Field(description="codes of the new zones")
    updated: list[str]
    repaired: list[ZoneRepair] = Field(description="features whose polygon was invalid and was repaired")
    overlaps: list[ZoneOverlap]
    warnings: list[str]
