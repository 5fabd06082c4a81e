"""A layer as a file a GIS analyst or a spreadsheet opens as it is: GeoPackage (EPSG:4326, typed fields)
or CSV with coordinates (UTF-8 with a BOM, for Excel in a Chinese locale).

The rows are those of the OGC API items (same filters, :mod:`ecogrid.ogc.features`), every one of them
up to ``export_max_rows``. Complainants' names and phones are columns only for the roles that may see
them (:mod:`ecogrid.core.privacy`), and then one audit entry names every complaint whose data left in
the file, as the ledger export does; the caller commits it once the file is built.

GeoPackage is written by pyogrio (GDAL in its wheel): already in the environment through geopandas,
so it adds no weight, and it writes whole columns at once instead of a Python call per feature.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import shapely
from sqlalchemy.orm import Session

from ecogrid.core import privacy
from ecogrid.core.errors import InvalidInput
from ecogrid.core.export_cells import export_cell
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, rfc3339
from ecogrid.ogc import features
from ecogrid.ogc.layers import Layer, Property

FileFormat = Literal["gpkg", "csv"]
MEDIA_TYPES = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8"}
# GDAL's time zone flag of UTC: GeoPackage stores date-times in UTC only (``...Z``, its spec's 1.1.1.1.4).
UTC_TZ_FLAG = 100
GPKG_GEOMETRY = {"Point": "Point", "MultiPolygon": "MultiPolygon", "Polygon": "Polygon"}


@dataclass(frozen=True)
class Viewer:
    """Who exports: the role decides the layers and the personal columns; the names go into the audit."""

    role: str
    user_id: int | None
    name: str


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    media_type: str
    filename: str
    rows: int


def export_layer(session: Session, layer: Layer, *, file_format: FileFormat, viewer: Viewer,
                 query: features.FeatureQuery, settings: Settings, now: datetime | None = None) -> ExportFile:
    moment = now or datetime.now(UTC)
    personal = bool(layer.personal) and privacy.may_see_personal_data(viewer.role)
    cap = features.FeatureQuery(bbox=query.bbox, interval=query.interval, filters=query.filters,
                                limit=settings.export_max_rows + 1)
    if layer.rows is None:
        rows = features.cell_rows(session, cap, now=moment, settings=settings)
    else:
        rows = features.table_rows(session, layer, cap, now=moment, personal=personal)
    if len(rows) > settings.export_max_rows:
        raise InvalidInput(f"more than {settings.export_max_rows} rows: narrow the export with bbox, datetime "
                           "or a filter", field="limit")
    columns = list(layer.properties) + (list(layer.personal) if personal else [])
    body = _gpkg(layer, columns, rows) if file_format == "gpkg" else _csv(layer, columns, rows)
    if personal and layer.audit_column:
        shown = [row[layer.audit_column] for row in rows if any(row[p.name] for p in layer.personal)]
        privacy.log_personal_read(session, actor_id=viewer.user_id, actor_name=viewer.name, entity="complaint",
                                  entity_ids=shown, purpose="export")
    stamp = moment.astimezone(BEIJING).strftime("%Y%m%d-%H%M")
    return ExportFile(body, MEDIA_TYPES[file_format], f"{layer.id}-{stamp}.{file_format}", len(rows))


# ------------------------------------------------------------------------------------- CSV


def _csv(layer: Layer, columns: list[Property], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    # The BOM lets Excel in a Chinese locale open the UTF-8 file with the right characters.
    out.write("\ufeff")
    writer = csv.writer(out)
    points = layer.geometry_type == "Point"
    # Points as lon/lat; areas also as WKT, which QGIS reads as the geometry of a CSV layer.
    writer.writerow(["id", "lon", "lat", *([] if points else ["wkt"]), *(p.name for p in columns)])
    # Whole columns at once (shapely's vectorised functions), not one geometry object per row.
    geoms = shapely.from_wkb(np.array([row["geometry"] for row in rows], dtype=object))
    anchors = geoms if points else shapely.point_on_surface(geoms)
    xs, ys = np.round(shapely.get_x(anchors), 7), np.round(shapely.get_y(anchors), 7)
    shapes = None if points else shapely.to_wkt(geoms, rounding_precision=7, trim=True)
    for n, row in enumerate(rows):
        coords = ["", ""] if geoms[n] is None else [float(xs[n]), float(ys[n])]
        shape_cells = [] if shapes is None else [shapes[n] or ""]
        writer.writerow([export_cell(row["fid"]), *coords, *shape_cells,
                         *(_csv_cell(p, row[p.name]) for p in columns)])
    return out.getvalue().encode("utf-8")


def _csv_cell(prop: Property, value: Any) -> Any:
    if value is None:
        return ""
    if prop.kind == "datetime":
        return value if isinstance(value, str) else rfc3339(value)
    if prop.kind == "boolean":
        return "true" if value else "false"
    return export_cell(value)


# ------------------------------------------------------------------------------- GeoPackage


def _gpkg(layer: Layer, columns: list[Property], rows: list[dict[str, Any]]) -> bytes:
    import pyogrio.raw  # GDAL's libraries are loaded by the first GeoPackage, not by every start of the app

    id_prop = Property("id", layer.id_kind, "id")
    names, data, masks, offsets = [], [], [], {}
    for prop, key in [(id_prop, "fid"), *((p, p.name) for p in columns)]:
        values, mask = _column(prop, [row[key] for row in rows])
        names.append(prop.name)
        data.append(values)
        masks.append(mask)
        if prop.kind == "datetime":
            offsets[prop.name] = np.full(len(rows), UTC_TZ_FLAG, dtype=np.int32)
    geometry = np.array([row["geometry"] for row in rows], dtype=object)
    out = io.BytesIO()
    pyogrio.raw.write(out, geometry, data, names, field_mask=masks, layer=layer.id, driver="GPKG",
                      geometry_type=GPKG_GEOMETRY[layer.geometry_type], crs="EPSG:4326", encoding="UTF-8",
                      promote_to_multi=layer.geometry_type == "MultiPolygon", gdal_tz_offsets=offsets,
                      layer_metadata={"DESCRIPTION": f"{layer.title}: {layer.description}"})
    return out.getvalue()


def _column(prop: Property, values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    missing = np.array([v is None for v in values], dtype=bool)
    mask = missing if missing.any() else None
    if prop.kind == "integer":
        return np.array([0 if v is None else int(v) for v in values], dtype=np.int64), mask
    if prop.kind == "number":
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64), None
    if prop.kind == "boolean":
        return np.array([bool(v) for v in values], dtype=bool), mask
    if prop.kind == "datetime":
        # UTC wall time, its zone passed beside it (GDAL's way of carrying a time zone).
        utc = [np.datetime64("NaT") if v is None else
               np.datetime64(_aware(v).astimezone(UTC).replace(tzinfo=None), "ms") for v in values]
        return np.array(utc, dtype="datetime64[ms]"), None
    return np.array([None if v is None else str(v) for v in values], dtype=object), mask


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
