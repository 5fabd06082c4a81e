"""Reading a layer's features: the query (bbox, datetime, property filters, paging) and its rows.

The same filtered rows feed the OGC API items (GeoJSON, one page) and the exports (every row, with
geometry as WKB). Geometry leaves PostGIS through ``ST_ForcePolygonCCW``: RFC 7946 wants exterior rings
counterclockwise and holes clockwise, and GeoPackage readers do not mind either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shapely import wkb
from shapely.geometry import box, mapping, shape
from shapely.geometry.polygon import orient
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import Source, Zone
from ecogrid.core.settings import Settings
from ecogrid.core.time import TimeFormatError, read_time, rfc3339
from ecogrid.core.value_ranges import BIGINT_MAX, date_in_range
from ecogrid.hotspots import aggregates
from ecogrid.ogc.layers import Layer, Property
from geo.bbox import BBox

# Query parameters every items request may carry besides property filters. ``f`` and ``crs`` are the
# specs' own (only GeoJSON in CRS84 is served); ``api_key`` is read by the sign-in dependency.
RESERVED = frozenset({"bbox", "datetime", "limit", "offset", "f", "crs", "bbox-crs", "api_key"})
GEOJSON_DIGITS = 7  # about 1 cm: the precision of the coordinates stored


@dataclass(frozen=True)
class Interval:
    """A closed time interval; an open end is None. An instant is an interval of one moment."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class FeatureQuery:
    bbox: BBox | None = None
    interval: Interval | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class Page:
    features: list[dict[str, Any]]
    matched: int


def parse_interval(raw: str | None) -> Interval | None:
    """RFC 3339 ``instant``, ``start/end``, ``../end`` or ``start/..`` (OGC API Features, 7.15.4)."""
    if raw is None or raw.strip() == "":
        return None
    parts = raw.split("/")
    if len(parts) > 2:
        raise InvalidInput("datetime must be an instant or start/end", field="datetime")
    moments = [_moment(p) for p in parts]
    if len(moments) == 1:
        if moments[0] is None:
            raise InvalidInput("datetime must be an instant or start/end", field="datetime")
        return Interval(moments[0], moments[0])
    start, end = moments
    if start is None and end is None:
        raise InvalidInput("datetime: at least one end of the interval is needed", field="datetime")
    if start and end and start > end:
        raise InvalidInput("datetime: the start is after the end", field="datetime")
    return Interval(start, end)


def _moment(text: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        moment = read_time(text)
    except TimeFormatError:
        raise InvalidInput(f"datetime: {text!r} is not an RFC 3339 date-time", field="datetime") from None
    if not date_in_range(moment):
        raise InvalidInput(f"datetime: {text!r} lies outside the dates handled", field="datetime")
    return moment


def parse_filters(layer: Layer, params: Mapping[str, str]) -> dict[str, Any]:
    """Property filters (``?category=odour``) of the layer's filterable properties, typed; any other
    parameter is refused naming it, so a misspelt filter never silently returns everything."""
    filters: dict[str, Any] = {}
    for name, raw in params.items():
        if name in RESERVED:
            continue
        prop = layer.property(name)
        if prop is None or not prop.filterable:
            allowed = ", ".join(p.name for p in layer.properties if p.filterable)
            raise InvalidInput(f"unknown parameter {name!r}; the filters of {layer.id} are: {allowed}", field=name)
        filters[name] = _typed(prop, raw)
    return filters


def _typed(prop: Property, raw: str) -> Any:
    if prop.kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise InvalidInput(f"{prop.name} must be true or false", field=prop.name)
        return raw.lower() == "true"
    if prop.kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"{prop.name} must be an integer", field=prop.name) from None
        if abs(value) > BIGINT_MAX:
            raise InvalidInput(f"{prop.name} is out of range", field=prop.name)
        return value
    if len(raw) > 256:
        raise InvalidInput(f"{prop.name} is longer than 256 characters", field=prop.name)
    return raw


def check_format(f: str | None) -> None:
    if f not in (None, "", "json", "geojson", "application/geo+json", "application/json"):
        raise InvalidInput("f: only json (GeoJSON) is served", field="f")


# ------------------------------------------------------------------------------- table layers


def _filtered(layer: Layer, query: FeatureQuery, *, now: datetime) -> tuple[Any, list[ColumnElement[bool]]]:
    assert layer.rows is not None
    rows = layer.rows(now).subquery("f")
    conditions: list[ColumnElement[bool]] = []
    if query.bbox:
        b = query.bbox
        conditions.append(func.ST_Intersects(rows.c.geom, func.ST_MakeEnvelope(b.west, b.south, b.east, b.north,
                                                                                4326)))
    if query.interval and layer.time_property:
        moment = rows.c[layer.time_property]
        if query.interval.start is not None:
            conditions.append(moment >= query.interval.start)
        if query.interval.end is not None:
            conditions.append(moment <= query.interval.end)
    for name, value in query.filters.items():
        conditions.append(rows.c[name] == value)
    return rows, conditions


def _page_select(layer: Layer, query: FeatureQuery, *, now: datetime, geometry: Literal["geojson", "wkb"],
                 personal: bool) -> tuple[Any, Select]:
    rows, conditions = _filtered(layer, query, now=now)
    columns = [rows.c[p.name] for p in layer.properties]
    if personal:
        columns += [rows.c[p.name] for p in layer.personal]
        if layer.audit_column:
            columns.append(rows.c[layer.audit_column])
    geom = func.ST_ForcePolygonCCW(rows.c.geom)
    output = func.ST_AsBinary(geom) if geometry == "wkb" else func.ST_AsGeoJSON(geom, GEOJSON_DIGITS)
    stmt = select(rows.c.fid, output.label("geometry"), *columns).where(*conditions).order_by(rows.c.fid)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    if query.offset:
        stmt = stmt.offset(query.offset)
    return rows, stmt


def _value(prop: Property, value: Any) -> Any:
    if prop.kind == "datetime":
        return rfc3339(value)
    return value


def _count(session: Session, layer: Layer, query: FeatureQuery, *, now: datetime) -> int:
    rows, conditions = _filtered(layer, query, now=now)
    return int(session.scalar(select(func.count()).select_from(rows).where(*conditions)) or 0)


def _table_page(session: Session, layer: Layer, query: FeatureQuery, *, now: datetime) -> Page:
    _, stmt = _page_select(layer, query, now=now, geometry="geojson", personal=False)
    features = [_feature(layer, dict(row)) for row in session.execute(stmt).mappings()]
    return Page(features, _count(session, layer, query, now=now))


def _feature(layer: Layer, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": row["fid"], "geometry": json.loads(row["geometry"]) if row["geometry"] else None,
            "properties": {p.name: _value(p, row[p.name]) for p in layer.properties}}


def table_rows(session: Session, layer: Layer, query: FeatureQuery, *, now: datetime,
               personal: bool) -> list[dict[str, Any]]:
    """Every filtered row for an export: ``fid``, ``geometry`` (WKB or None), properties, and the
    personal columns (plus the audit column) when ``personal``."""
    _, stmt = _page_select(layer, query, now=now, geometry="wkb", personal=personal)
    return [dict(row) for row in session.execute(stmt).mappings()]


# ------------------------------------------------------------------------------- hotspot cells


def _cells(session: Session, query: FeatureQuery, *, now: datetime, settings: Settings) -> list[dict[str, Any]]:
    interval = query.interval
    period = aggregates.resolve_period(date_from=interval.start if interval else None,
                                       date_to=interval.end if interval else None, now=now)
    rows = aggregates.compute_hotspots(session, cell_m=settings.ogc_hotspot_cell_m, shape="square", period=period,
                                       max_cells=settings.max_grid_cells)
    area = box(query.bbox.west, query.bbox.south, query.bbox.east, query.bbox.north) if query.bbox else None
    cells = []
    for row in rows:
        polygon = orient(shape(row["geometry"]), sign=1.0)
        if area is not None and not polygon.intersects(area):
            continue
        properties = {"count": row["count"], "previous": row["previous"], "z": row["z"], "p": row["p"],
                      "hot_cold": row["hot_cold"], "confidence": row["confidence"], "trend": row["trend"],
                      "period_from": rfc3339(period.start), "period_to": rfc3339(period.end)}
        if any(properties.get(name) != value for name, value in query.filters.items()):
            continue
        cells.append({"type": "Feature", "id": f"{row['i']}_{row['j']}", "geometry": mapping(polygon),
                      "properties": properties})
    return cells


def _cell_page(session: Session, query: FeatureQuery, *, now: datetime, settings: Settings) -> Page:
    cells = _cells(session, query, now=now, settings=settings)
    end = None if query.limit is None else query.offset + query.limit
    return Page(cells[query.offset:end], len(cells))


def cell_rows(session: Session, query: FeatureQuery, *, now: datetime, settings: Settings) -> list[dict[str, Any]]:
    """Hotspot cells as export rows (geometry as WKB)."""
    out = []
    for cell in _cells(session, query, now=now, settings=settings):
        out.append({"fid": cell["id"], "geometry": wkb.dumps(shape(cell["geometry"])), **cell["properties"]})
    return out


# ---------------------------------------------------------------------------------- the API


def page(session: Session, layer: Layer, query: FeatureQuery, *, settings: Settings,
         now: datetime | None = None) -> Page:
    moment = now or datetime.now(UTC)
    if layer.rows is None:
        return _cell_page(session, query, now=moment, settings=settings)
    return _table_page(session, layer, query, now=moment)


def one(session: Session, layer: Layer, feature_id: str, *, settings: Settings,
        now: datetime | None = None) -> dict[str, Any]:
    """One feature by its id (as in the items' ``id``)."""
    moment = now or datetime.now(UTC)
    missing = NotFound(f"no feature {feature_id!r} in {layer.id}", field="featureId")
    if layer.rows is None:
        found = [c for c in _cells(session, FeatureQuery(), now=moment, settings=settings) if c["id"] == feature_id]
        if not found:
            raise missing
        return found[0]
    key: Any = feature_id
    if layer.id_kind == "integer":
        if not feature_id.isdigit() or not 0 < int(feature_id) <= BIGINT_MAX:
            raise missing
        key = int(feature_id)
    rows, stmt = _page_select(layer, FeatureQuery(limit=1), now=moment, geometry="geojson", personal=False)
    row = session.execute(stmt.where(rows.c.fid == key)).mappings().one_or_none()
    if row is None:
        raise missing
    return _feature(layer, dict(row))


def spatial_extent(session: Session, layer: Layer) -> list[float] | None:
    """The layer's bounding box: the sources' own, else the jurisdiction's (complaints and cases lie in it,
    and their extent would cost a scan of the largest tables)."""
    column = Source.geom if layer.id == "sources" else Zone.geom
    row = session.execute(select(func.ST_XMin(func.ST_Extent(column)), func.ST_YMin(func.ST_Extent(column)),
                                 func.ST_XMax(func.ST_Extent(column)), func.ST_YMax(func.ST_Extent(column)))).one()
    return None if row[0] is None else [float(v) for v in row]


def temporal_extent(session: Session, layer: Layer, *, now: datetime | None = None) -> list[str | None] | None:
    if layer.rows is None or not layer.time_property:
        return None
    rows = layer.rows(now or datetime.now(UTC)).subquery("f")
    column = rows.c[layer.time_property]
    first, last = session.execute(select(func.min(column), func.max(column))).one()
    return None if first is None else [rfc3339(first), rfc3339(last)]
