"""The OGC API documents (landing page, conformance, collections, features) and TileJSON, as models.

Shapes follow OGC API - Features - Part 1 (17-069r4) and TileJSON 3.0.0; names are the specs' own
(``numberMatched``, ``itemType``), hence the camelCase fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None
    templated: bool | None = None


class Landing(BaseModel):
    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    conformsTo: list[str]


class SpatialExtent(BaseModel):
    bbox: list[list[float]]
    crs: str = CRS84


class TemporalExtent(BaseModel):
    interval: list[list[str | None]]
    trs: str = GREGORIAN


class Extent(BaseModel):
    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class Collection(BaseModel):
    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent | None = None
    itemType: Literal["feature"] = "feature"
    crs: list[str] = [CRS84]
    storageCrs: str = CRS84


class Collections(BaseModel):
    links: list[Link]
    collections: list[Collection]


class Geometry(BaseModel):
    """A GeoJSON geometry as PostGIS writes it (RFC 7946 winding: exterior rings counterclockwise)."""

    model_config = ConfigDict(extra="allow")
    type: str
    coordinates: Any = None


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int | str
    geometry: Geometry | None
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    links: list[Link]
    numberMatched: int
    numberReturned: int
    timeStamp: str


class VectorLayer(BaseModel):
    id: str
    description: str
    fields: dict[str, str]
    minzoom: int
    maxzoom: int


class TileJSON(BaseModel):
    tilejson: Literal["3.0.0"] = "3.0.0"
    name: str
    description: str
    version: str = "1.0.0"
    scheme: Literal["xyz"] = "xyz"
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: list[float] = Field(min_length=4, max_length=4)
    center: list[float] | None = None
    vector_layers: list[VectorLayer]
