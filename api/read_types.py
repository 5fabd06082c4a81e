"""Types shared by response models: times as the API writes them, and GeoJSON members.

``Timestamp`` takes a ``datetime`` or an ISO 8601 text (a service may hand either) and always
writes RFC 3339 with +08:00 (``ecogrid.core.time.rfc3339``), so no response can carry a ``Z`` or
``+00:00`` time. A bare time is Beijing time, as everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ecogrid.core.time import as_aware, read_time, rfc3339


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        return read_time(value)
    if isinstance(value, datetime):
        return as_aware(value)
    return value


Timestamp = Annotated[
    datetime,
    BeforeValidator(_moment),
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-05-01T09:30:00+08:00"],
                    "description": "RFC 3339, Beijing time (+08:00)"}),
]


class Point(BaseModel):
    """A GeoJSON Point in WGS-84: ``[lon, lat]``."""

    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=3, examples=[[120.3826, 36.0671]])


class Geometry(BaseModel):
    """A GeoJSON geometry in WGS-84 (Polygon, MultiPolygon, LineString, Point, ...)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["MultiPolygon"])
    coordinates: list[Any] = Field(default_factory=list)


P = TypeVar("P", bound=BaseModel)


class Feature(BaseModel, Generic[P]):
    type: Literal["Feature"] = "Feature"
    geometry: Geometry | None
    properties: P


class PageLink(BaseModel):
    """A link of a paged list (OGC API Features style): ``self``, ``next``, ``prev``."""

    href: str
    rel: str
    type: str
    title: str | None = None


class FeatureCollection(BaseModel, Generic[P]):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature[P]]
    links: list[PageLink] | None = Field(default=None, description="self, and next while more remain")


GEOJSON_MEDIA_TYPE = "application/geo+json"
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


def file_response(media_type: str, description: str, *, also: dict[int | str, dict[str, Any]] | None = None
                  ) -> dict[int | str, dict[str, Any]]:
    """``responses`` of a route answering a file: its media type (binary) in the 200 answer."""
    schema = {"type": "string"} if media_type.startswith("text/") else {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}, **(also or {})}


class GeoJSONResponse(JSONResponse):
    """A JSON answer that is GeoJSON (RFC 7946), said by its media type."""

    media_type = GEOJSON_MEDIA_TYPE


def geojson_alternative(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """``responses`` of a route that answers JSON, or with ``format=geojson`` the GeoJSON ``model``.

    The route's ``response_model`` must name ``model`` (e.g. ``List | Collection``) so that its schema is
    among the document's components.
    """
    return {200: {"description": description,
                  "content": {GEOJSON_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}
