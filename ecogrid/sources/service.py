"""The pollution source registry (污染源名录) and the editable industry-to-category table.

Sources are keyed by their unified social credit code: importing the same file twice updates the
rows instead of duplicating them. Each source's zone is the deepest zone covering it, found in PostGIS.
A source with no categories of its own emits what its industry's row says (read at ranking time,
so editing the industry table changes every such source at once).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ecogrid.core.errors import Conflict, InvalidInput, NotFound, RowError
from ecogrid.core.models import IndustryCategory, Source, Zone
from ecogrid.core.vocabulary import Category
from ecogrid.sources import credit_code
from geo import coords

FIELDS = ("name", "credit_code", "industry", "categories", "key_discharger", "lon", "lat", "crs",
          "stack_height_m", "address")
CATEGORIES = frozenset(c.value for c in Category)
_TRUE = {"1", "true", "t", "yes", "y", "是", "重点", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "", "非重点"}

# Which zone owns a point is defined once, in the database (migration 0002).


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)


# -- reading input ------------------------------------------------------------------------------------

def _parse_bool(value: Any, *, name: str = "key_discharger") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text_value = str(value).strip().lower()
    if text_value in _TRUE:
        return True
    if text_value in _FALSE:
        return False
    raise InvalidInput(f"not a yes/no value: {value!r}", field=name)


def _parse_categories(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    separated = str(value)
    for sep in ("；", ";", "，", "、", "|"):
        separated = separated.replace(sep, ",")
    items = value if isinstance(value, list) else separated.split(",")
    cats = [str(c).strip() for c in items if str(c).strip()]
    bad = [c for c in cats if c not in CATEGORIES]
    if bad:
        raise InvalidInput(f"unknown categories: {', '.join(bad)}", field="categories")
    return sorted(set(cats))


def _industry_categories(session: Session, industry: str) -> list[str]:
    row = session.get(IndustryCategory, industry)
    if row is None:
        raise InvalidInput(f"unknown industry {industry!r}", field="industry")
    return list(row.categories)


def _footprint_wkt(geometry: Mapping[str, Any] | None, crs: str) -> str | None:
    if not geometry or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        return None
    try:
        geom = shape(geometry)
    except Exception as exc:
        raise InvalidInput(f"bad footprint geometry: {exc}", field="footprint") from None
    if crs not in {"wgs84", "cgcs2000"}:
        geom = shapely.transform(geom, lambda xy: np.column_stack(coords.to_wgs84_many(xy[:, 0], xy[:, 1], crs)))
    if not geom.is_valid:
        raise InvalidInput("footprint polygon is not valid", field="footprint")
    if geom.geom_type == "Polygon":
        geom = MultiPolygon([geom])
    return f"SRID=4326;{geom.wkt}"


def clean_row(session: Session, raw: Mapping[str, Any], *, default_crs: str = "wgs84",
              geometry: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One source's columns, validated and converted to WGS-84; InvalidInput names the first bad field."""
    name = str(raw.get("name") or "").strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    code = credit_code.validate(str(raw.get("credit_code") or ""))
    industry = str(raw.get("industry") or "").strip()
    if not industry:
        raise InvalidInput("industry is required", field="industry")
    _industry_categories(session, industry)
    categories = _parse_categories(raw.get("categories"))
    key = _parse_bool(raw.get("key_discharger"))
    crs_value = raw.get("crs") or default_crs
    try:
        crs = coords.normalise_crs(str(crs_value))
    except coords.CoordinateError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    lon_raw, lat_raw = raw.get("lon"), raw.get("lat")
    if (lon_raw in (None, "") or lat_raw in (None, "")) and geometry and geometry.get("type") == "Point":
        lon_raw, lat_raw = geometry["coordinates"][:2]
    footprint = _footprint_wkt(geometry, crs)
    if lon_raw in (None, "") or lat_raw in (None, ""):
        if footprint is None:
            raise InvalidInput("lon and lat (or a point geometry) are required", field="lon")
        # The footprint is still in the input crs here, so its inner point converts like a lon/lat pair.
        point = shape(geometry).representative_point()
        lon_raw, lat_raw = point.x, point.y
    try:
        lon, lat = coords.to_wgs84(float(lon_raw), float(lat_raw), crs)
    except (TypeError, ValueError):
        bad = "lon" if not _is_number(lon_raw) else "lat"
        raise InvalidInput(f"not a number: {raw.get(bad)!r}", field=bad) from None
    except coords.CoordinateError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    stack = raw.get("stack_height_m")
    if stack in (None, ""):
        stack = None
    else:
        try:
            stack = float(stack)
        except (TypeError, ValueError):
            raise InvalidInput(f"not a number: {stack!r}", field="stack_height_m") from None
        if not 0 <= stack <= 500:
            raise InvalidInput("stack height must be between 0 and 500 m", field="stack_height_m")
    row = {"name": name[:256], "credit_code": code, "industry": industry, "categories": categories or [],
           "geom": f"SRID=4326;POINT({lon:.8f} {lat:.8f})", "orig_lon": float(lon_raw), "orig_lat": float(lat_raw),
           "orig_crs": crs, "stack_height_m": stack, "footprint": footprint}
    if key is not None:
        row["key_discharger"] = key
    if raw.get("address"):
        row["address"] = str(raw["address"]).strip()
    return row


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def read_file(path: Path) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Records of a CSV (UTF-8 or GBK, as spreadsheets save them) or GeoJSON file: (properties, geometry)."""
    data = path.read_bytes()
    if path.suffix.lower() in {".geojson", ".json"}:
        doc = json.loads(data.decode("utf-8-sig"))
        features = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
        return [(dict(f.get("properties") or {}), f.get("geometry")) for f in features]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return [(dict(r), None) for r in csv.DictReader(io.StringIO(content))]


def map_record(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Our field names from the file's columns: ``mapping`` says which column holds each field
    (a field not in the mapping is read from a column of its own name)."""
    return {f: record.get(mapping.get(f, f)) for f in FIELDS}


def import_sources(session: Session, *, records: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
                   mapping: Mapping[str, str] | None = None, crs: str = "wgs84") -> ImportReport:
    """Create or update (by credit code) a source per good record; bad records are reported, not stored.
    Rows are numbered from 1 (the first record after the header)."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown fields in the mapping: {', '.join(unknown)}; known: {', '.join(FIELDS)}",
                           field="mapping")
    report = ImportReport()
    seen: dict[str, int] = {}
    good: list[dict[str, Any]] = []
    for number, (record, geometry) in enumerate(records, start=1):
        try:
            row = clean_row(session, map_record(record, mapping), default_crs=crs, geometry=geometry)
        except InvalidInput as exc:
            report.errors.append(RowError(number, exc.field or "", exc.message))
            continue
        if row["credit_code"] in seen:
            report.errors.append(RowError(number, "credit_code",
                                          f"same credit code as row {seen[row['credit_code']]}"))
            continue
        seen[row["credit_code"]] = number
        good.append(row)
    existing = {s.credit_code: s for s in session.scalars(select(Source).where(Source.credit_code.in_(list(seen))))}
    for row in good:
        src = existing.get(row["credit_code"])
        if src is None:
            src = Source(**row)
            session.add(src)
            report.created += 1
        else:
            for k, v in row.items():
                setattr(src, k, v)
            src.updated_at = datetime.now(UTC)
            report.updated += 1
    session.flush()
    report.source_ids = [s.id for s in session.scalars(select(Source).where(Source.credit_code.in_(list(seen))))]
    assign_zones(session, source_ids=report.source_ids)
    return report


# -- CRUD -----------------------------------------------------------------------------------------------

def assign_zones(session: Session, *, source_ids: list[int]) -> None:
    if source_ids:
        session.execute(text("UPDATE sources s SET zone_id = ecogrid_zone_at(s.geom) WHERE s.id = ANY(:ids)"),
                        {"ids": source_ids})
        for src in session.scalars(select(Source).where(Source.id.in_(source_ids))):
            session.refresh(src, ["zone_id", "geom", "footprint"])


def create_source(session: Session, *, data: Mapping[str, Any]) -> Source:
    row = clean_row(session, data, default_crs=str(data.get("crs") or "wgs84"))
    if session.scalar(select(Source.id).where(Source.credit_code == row["credit_code"])):
        raise Conflict(f"a source with credit code {row['credit_code']} exists", field="credit_code")
    src = Source(**row)
    session.add(src)
    session.flush()
    assign_zones(session, source_ids=[src.id])
    return src


def get_source(session: Session, *, source_id: int) -> Source:
    src = session.get(Source, source_id)
    if src is None:
        raise NotFound(f"source {source_id} not found", field="source_id")
    return src


def update_source(session: Session, *, source_id: int, changes: Mapping[str, Any]) -> Source:
    src = get_source(session, source_id=source_id)
    current = {"name": src.name, "credit_code": src.credit_code, "industry": src.industry,
               "categories": src.categories, "key_discharger": src.key_discharger, "lon": src.orig_lon,
               "lat": src.orig_lat, "crs": src.orig_crs, "stack_height_m": src.stack_height_m,
               "address": src.address}
    if src.orig_lon is None:
        lon, lat = session.execute(select(func.ST_X(Source.geom), func.ST_Y(Source.geom))
                                   .where(Source.id == src.id)).one()
        current.update(lon=lon, lat=lat, crs="wgs84")
    if ("lon" in changes or "lat" in changes) and "crs" not in changes:
        current["crs"] = "wgs84"
    merged = {**current, **{k: v for k, v in changes.items() if k in FIELDS}}
    row = clean_row(session, merged)
    if row["credit_code"] != src.credit_code and session.scalar(
            select(Source.id).where(Source.credit_code == row["credit_code"])):
        raise Conflict(f"a source with credit code {row['credit_code']} exists", field="credit_code")
    row.pop("footprint", None)  # a PATCH without a footprint keeps the stored one
    for k, v in row.items():
        setattr(src, k, v)
    src.updated_at = datetime.now(UTC)
    session.flush()
    assign_zones(session, source_ids=[src.id])
    return src


def list_sources(session: Session, *, zone: str | None = None, industry: str | None = None,
                 category: str | None = None, key_discharger: bool | None = None,
                 bbox: tuple[float, float, float, float] | None = None, limit: int | None = 100,
                 offset: int = 0) -> tuple[list[Source], int]:
    query = select(Source)
    if zone:
        root = session.scalar(select(Zone.id).where(Zone.code == zone))
        if root is None:
            raise NotFound(f"zone {zone} not found", field="zone")
        tree = select(Zone.id).where(Zone.id == root).cte("tree", recursive=True)
        tree = tree.union_all(select(Zone.id).where(Zone.parent_id == tree.c.id))
        query = query.where(Source.zone_id.in_(select(tree.c.id)))
    if industry:
        query = query.where(Source.industry == industry)
    if category:
        # The source's own categories, else its industry's (the same rule the ranking applies).
        query = query.where(text(":cat = ANY(COALESCE(NULLIF(sources.categories, '{}'::text[]), "
                                 "(SELECT i.categories FROM industries i WHERE i.code = sources.industry)))")
                            .bindparams(cat=category))
    if key_discharger is not None:
        query = query.where(Source.key_discharger.is_(key_discharger))
    if bbox:
        query = query.where(func.ST_Intersects(Source.geom, func.ST_MakeEnvelope(*bbox, 4326)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Source.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), int(total or 0)


def effective_categories(session: Session, src: Source) -> list[str]:
    return list(src.categories) or _industry_categories(session, src.industry)


# -- industries -----------------------------------------------------------------------------------------

def list_industries(session: Session) -> list[IndustryCategory]:
    return list(session.scalars(select(IndustryCategory).order_by(IndustryCategory.code)))


def put_industry(session: Session, *, code: str, categories: list[str], label_zh: str | None = None,
                 label_en: str | None = None) -> IndustryCategory:
    """Set an industry's categories (and labels); a new code needs both labels."""
    cats = _parse_categories(categories) or []
    row = session.get(IndustryCategory, code)
    if row is None:
        if not label_zh or not label_en:
            raise InvalidInput("a new industry needs label_zh and label_en", field="label_zh")
        row = IndustryCategory(code=code, label_zh=label_zh, label_en=label_en, categories=cats)
        session.add(row)
    else:
        row.categories = cats
        row.label_zh = label_zh or row.label_zh
        row.label_en = label_en or row.label_en
    session.flush()
    return row
