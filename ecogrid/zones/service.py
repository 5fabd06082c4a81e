"""The jurisdiction grid: zones (district > street > grid > cell), their import, generated grids, lookups.

Which zone owns a point is decided once, in the database function ``ecogrid_zone_at`` (migration
0002): the deepest zone whose polygon covers the point (ST_Covers, so the boundary belongs to the
zone); between zones of the same depth (a point on a shared border or vertex) the smaller code wins.
The same point therefore always lands in the same single zone.

Import accepts GeoJSON Polygons and MultiPolygons (holes kept) in WGS-84, CGCS2000, GCJ-02 or BD-09;
the latter two are converted vertex by vertex. Invalid rings are repaired with ``make_valid`` when the
repaired shape is still polygonal and of about the same area, and refused (naming the feature) when
not. Overlaps between zones of one level are accepted and reported, with their area in m2: real
administrative boundaries overlap by slivers and a bureau must see them, not lose the import.
Vertices are counted per feature and per file before any geometry is built, and a file over
``max_zone_vertices`` / ``max_import_vertices`` is refused: a zone of a million vertices makes
every intake that lands in it several times slower.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity, make_valid
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import User, Zone
from ecogrid.core.settings import Settings, get_settings
from geo import coords

LEVELS = ("district", "street", "grid", "cell")
CELL_LEVEL = "cell"  # generated cells: below every other level, so they own the points inside them
INHERITED = ("officer_id", "noise_class")  # what a generated cell takes from its parent until changed
NOISE_CLASSES = ("0", "1", "2", "3", "4a", "4b")
CRS_ALIASES = {"epsg:4326": "wgs84", "epsg:4490": "cgcs2000", "4326": "wgs84", "4490": "cgcs2000"}
# A repair may move the area by at most this share; more means the shape was not what was meant.
REPAIR_AREA_TOLERANCE = 0.10
# Overlaps smaller than this are digitising noise along shared borders, not reported.
OVERLAP_MIN_M2 = 1.0
GRID_MIN_M, GRID_MAX_M = 10.0, 10_000.0
GRID_MAX_CELLS = 250_000


@dataclass
class ZoneHit:
    id: int
    code: str
    name: str
    level: str


@dataclass
class NearestZone:
    id: int
    code: str
    name: str
    distance_m: float


@dataclass
class Overlap:
    a: str
    b: str
    area_m2: float


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    repaired: list[dict[str, str]] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "repaired": self.repaired,
                "overlaps": [o.__dict__ for o in self.overlaps], "warnings": self.warnings}


def normalise_crs(crs: str | None) -> str:
    name = (crs or "wgs84").strip().lower()
    name = CRS_ALIASES.get(name, name)
    try:
        return coords.normalise_crs(name)
    except coords.CoordinateError as exc:
        raise InvalidInput(str(exc), field="crs") from None


# ------------------------------------------------------------------------------------------ import


def _feature_label(index: int, props: dict[str, Any], code_field: str) -> str:
    code = props.get(code_field)
    return f"feature {index}" + (f" ({code_field}={code})" if code is not None else "")


def _to_wgs84(geom: Any, crs: str) -> Any:
    if crs in ("wgs84", "cgcs2000"):
        return geom

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = coords.to_wgs84_many(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)


def _polygonal(geom: Any) -> MultiPolygon | None:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else None
    if isinstance(geom, MultiPolygon):
        return geom if not geom.is_empty else None
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    polys: list[Polygon] = []
    for g in parts:
        polys.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    return MultiPolygon(polys) if polys else None


def _ring_area(ring: Any) -> float:
    xy = np.asarray(ring.coords)
    return abs(float(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1]))) / 2.0


def _drawn_area(geom: MultiPolygon | Polygon) -> float:
    """The area the rings enclose as drawn (shoelace), which a self-crossing ring makes small."""
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    return sum(_ring_area(p.exterior) - sum(_ring_area(h) for h in p.interiors) for p in polys)


def _clean_geometry(raw: Any, label: str, result: ImportResult) -> MultiPolygon:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        raise InvalidInput(f"{label}: geometry must be a Polygon or MultiPolygon, not {kind}", field="features")
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidInput(f"{label}: unreadable geometry ({exc})", field="features") from None
    if geom.is_empty:
        raise InvalidInput(f"{label}: empty geometry", field="features")
    if geom.is_valid:
        return _polygonal(geom)  # type: ignore[return-value]
    reason = explain_validity(geom)
    repaired = _polygonal(make_valid(geom))
    drawn = _drawn_area(geom)
    if repaired is None or drawn <= 0:
        raise InvalidInput(f"{label}: invalid geometry ({reason}) that cannot be repaired into an area",
                           field="features")
    change = abs(repaired.area - drawn) / drawn
    if change > REPAIR_AREA_TOLERANCE:
        raise InvalidInput(f"{label}: invalid geometry ({reason}); repairing it would change its area by "
                           f"{change:.0%}, so it was refused", field="features")
    result.repaired.append({"feature": label, "reason": reason})
    return repaired





def count_vertices(geometry: Any) -> int:
    """Positions in a GeoJSON Polygon or MultiPolygon as given, without building it (0 if malformed)."""
    if not isinstance(geometry, dict):
        return 0
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry.get("type") == "Polygon" else coordinates
    if not isinstance(polygons, list):
        return 0
    return sum(len(ring) for polygon in polygons if isinstance(polygon, list)
               for ring in polygon if isinstance(ring, list))


def _check_vertex_counts(features: list[Any], *, code_field: str, settings: Settings) -> None:
    total = 0
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            continue
        count = count_vertices(feature.get("geometry"))
        if count > settings.max_zone_vertices:
            label = _feature_label(index, feature.get("properties") or {}, code_field)
            raise InvalidInput(f"{label}: {count:,} vertices, more than the limit of {settings.max_zone_vertices:,} "
                               "per zone (max_zone_vertices); simplify the boundary first", field="features")
        total += count
    if total > settings.max_import_vertices:
        raise InvalidInput(f"the file has {total:,} vertices, more than the limit of "
                           f"{settings.max_import_vertices:,} per import (max_import_vertices); import it in parts",
                           field="features")


def import_zones(session: Session, *, collection: dict[str, Any], level: str, code_field: str, name_field: str,
                 parent_field: str | None = None, crs: str | None = "wgs84",
                 settings: Settings | None = None) -> ImportResult:
    """Create or update (by code) the zones of a GeoJSON FeatureCollection; all or nothing."""
    settings = settings or get_settings()
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}; expected one of {LEVELS}", field="level")
    crs_name = normalise_crs(crs)
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidInput("body must be a GeoJSON FeatureCollection", field="type")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput("the FeatureCollection has no features", field="features")
    _check_vertex_counts(features, code_field=code_field, settings=settings)

    result = ImportResult()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        label = _feature_label(index, props, code_field)
        code, name = props.get(code_field), props.get(name_field)
        if code is None or str(code).strip() == "":
            raise InvalidInput(f"{label}: no value in code field {code_field!r}", field="code_field")
        if name is None or str(name).strip() == "":
            raise InvalidInput(f"{label}: no value in name field {name_field!r}", field="name_field")
        code = str(code).strip()
        if code in seen:
            raise InvalidInput(f"{label}: code {code} appears twice in the file", field="features")
        seen.add(code)
        geom = _clean_geometry(feature.get("geometry"), label, result)
        geom = _to_wgs84(geom, crs_name)
        parent = props.get(parent_field) if parent_field else None
        if isinstance(parent, dict):  # DataV stores {"adcode": ...}
            parent = parent.get("adcode")
        rows.append({"code": code, "name": str(name).strip()[:256], "level": level, "wkb": shapely.to_wkb(geom),
                     "props": json.dumps(props, ensure_ascii=False, default=str), "parent": parent})

    with session.begin_nested():
        for row in rows:
            zone_id, inserted = session.execute(sql.query(__file__, "upsert_zone"), row).one()
            (result.created if inserted else result.updated).append(row["code"])
            row["id"] = zone_id
        _link_parents(session, rows=rows, level=level, result=result)
        result.overlaps = find_overlaps(session, codes=[r["code"] for r in rows], level=level)
    return result


def _link_parents(session: Session, *, rows: list[dict[str, Any]], level: str, result: ImportResult) -> None:
    explicit = [r for r in rows if r["parent"] not in (None, "")]
    for row in explicit:
        parent_id = session.scalar(text("SELECT id FROM zones WHERE code = :c"), {"c": str(row["parent"])})
        if parent_id is None:
            result.warnings.append(f"zone {row['code']}: parent {row['parent']} not found; left without parent")
        session.execute(text("UPDATE zones SET parent_id = :p WHERE id = :id"), {"p": parent_id, "id": row["id"]})
    implicit = [r["id"] for r in rows if r["parent"] in (None, "")]
    if implicit and level != "district":
        # Without a parent field, the parent is the next level up that holds the zone's interior point.
        session.execute(sql.query(__file__, "link_implicit_parents"), {"ids": implicit})


def find_overlaps(session: Session, *, codes: list[str], level: str) -> list[Overlap]:
    rows = session.execute(sql.query(__file__, "find_overlaps"), {"codes": codes, "level": level}).all()
    return [Overlap(r.a, r.b, round(r.m2, 1)) for r in rows if r.m2 >= OVERLAP_MIN_M2]


# ------------------------------------------------------------------------------------------ grid


def generate_grid(session: Session, *, parent_code: str, size_m: float) -> ImportResult:
    """Square cells of ``size_m`` metres clipped to the parent zone, computed in the parent's UTM zone.

    The cells are zones of level ``cell`` (单元网格), one level below their parent and below every
    other level, so the zone lookup (the deepest zone) gives each the points inside it. A new cell
    takes its parent's officer and noise class; it keeps following the parent's (``update_zone``)
    until it is given its own. Cell codes are ``<parent>-<column>-<row>`` counted from the south-west
    corner of the parent's extent, so a re-run with the same size updates the same cells in place
    (their shape only: an officer or noise class set on a cell stays).
    """
    if not (GRID_MIN_M <= size_m <= GRID_MAX_M) or not math.isfinite(size_m):
        raise InvalidInput(f"cell size must be between {GRID_MIN_M:g} and {GRID_MAX_M:g} m", field="size")
    parent = session.execute(sql.query(__file__, "grid_parent"), {"c": parent_code}).one_or_none()
    if parent is None:
        raise NotFound(f"zone {parent_code} not found", field="parent")
    if parent.level == CELL_LEVEL:
        raise InvalidInput(f"zone {parent_code} is itself a grid cell; cover its parent instead", field="parent")
    if parent.m2 / (size_m * size_m) > GRID_MAX_CELLS:
        raise InvalidInput(f"about {parent.m2 / size_m / size_m:.0f} cells: more than {GRID_MAX_CELLS}; "
                           "choose a larger size", field="size")
    srid = coords.utm_srid(parent.lon, parent.lat)
    result = ImportResult()
    with session.begin_nested():
        rows = session.execute(sql.query(__file__, "generate_grid"),
                               {"srid": srid, "pid": parent.id, "size": size_m, "code": parent.code}).all()
    for r in rows:
        (result.created if r.inserted else result.updated).append(r.code)
    result.warnings.append(f"computed in EPSG:{srid}")
    return result


# ------------------------------------------------------------------------------------------ lookups


def zone_at(session: Session, *, lon: float, lat: float) -> ZoneHit | None:
    """The zone that owns a WGS-84 point (see the module docstring for the rule), or None."""
    row = session.execute(sql.query(__file__, "zone_at"), {"lon": lon, "lat": lat}).one_or_none()
    return ZoneHit(row.id, row.code, row.name, row.level) if row else None


def nearest_zone(session: Session, *, lon: float, lat: float) -> NearestZone | None:
    """The nearest zone and the distance in metres on the spheroid, by ``ecogrid_nearest_zone``."""
    row = session.execute(sql.query(__file__, "nearest_zone"), {"lon": lon, "lat": lat}).one_or_none()
    return NearestZone(row.id, row.code, row.name, round(row.d, 1)) if row else None


def get_zone(session: Session, *, code: str) -> Zone:
    zone = session.scalars(select(Zone).where(Zone.code == code)).one_or_none()
    if zone is None:
        raise NotFound(f"zone {code} not found", field="code")
    return zone


def _feature(row: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": row.code, "geometry": row.geometry,
            "properties": {"id": row.id, "code": row.code, "name": row.name, "level": row.level, "parent": row.parent,
                           "officer_id": row.officer_id, "noise_class": row.noise_class,
                           "responsible_unit": row.responsible_unit}}


def list_zones(session: Session, *, level: str | None = None, parent: str | None = None,
               bbox: tuple[float, float, float, float] | None = None, limit: int = 10_000,
               offset: int = 0) -> dict[str, Any]:
    """Zones as a GeoJSON FeatureCollection, filtered by level, parent code and/or bbox; one page of
    ``limit`` from ``offset``, with ``total`` the count before paging."""
    if level and level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}", field="level")
    x0, y0, x1, y1 = bbox or (None, None, None, None)
    params = {"code": None, "level": level or None, "parent": parent or None, "x0": x0, "y0": y0, "x1": x1,
              "y1": y1}
    rows = session.execute(sql.query(__file__, "zone_features"), {**params, "limit": limit, "offset": offset}).all()
    total = session.scalar(sql.query(__file__, "zone_count"), params)
    return {"type": "FeatureCollection", "features": [_feature(r) for r in rows], "total": total}


def zone_feature(session: Session, *, code: str) -> dict[str, Any]:
    row = session.execute(sql.query(__file__, "zone_features"), {
        "code": code, "level": None, "parent": None, "x0": None, "y0": None, "x1": None, "y1": None,
        "limit": 1, "offset": 0,
    }).one_or_none()
    if row is None:
        raise NotFound(f"zone {code} not found", field="code")
    return _feature(row)


def update_zone(session: Session, *, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Set a zone's officer, GB 3096 noise class and/or responsible unit (only the keys given)."""
    zone = get_zone(session, code=code)
    before = {name: getattr(zone, name) for name in INHERITED}
    if "officer_id" in changes:
        officer_id = changes["officer_id"]
        if officer_id is not None and session.get(User, officer_id) is None:
            raise InvalidInput(f"user {officer_id} not found", field="officer_id")
        zone.officer_id = officer_id
    if "noise_class" in changes:
        if changes["noise_class"] is not None and changes["noise_class"] not in NOISE_CLASSES:
            raise InvalidInput(f"noise class must be one of {NOISE_CLASSES}", field="noise_class")
        zone.noise_class = changes["noise_class"]
    for name in INHERITED:
        if name in changes and changes[name] != before[name]:
            # The generated cells that still have the parent's value follow it; a cell given its own keeps it.
            column = getattr(Zone, name)
            session.execute(update(Zone).where(Zone.parent_id == zone.id, Zone.level == CELL_LEVEL,
                                               column.is_not_distinct_from(before[name]))
                            .values({name: changes[name], "updated_at": func.now()}))
    if "responsible_unit" in changes:
        zone.responsible_unit = changes["responsible_unit"]
    zone.updated_at = func.now()
    session.flush()
    return zone_feature(session, code=code)
