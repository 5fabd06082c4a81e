"""Where complaints concentrate: per-zone figures, grid cell counts, Gi* hotspots and vector tiles.

Every count is made in PostGIS; Python only shapes the answer (and runs Gi* over at most a few
tens of thousands of cell counts). Plain functions over a session, no web framework.

Metric grid. Cells are laid out in the UTM zone of the data's centre (EPSG:326NN north,
327NN south), chosen from the extent of the zones. Inside one 6-degree zone UTM's scale error is
at most about 0.1 %, so a "200 m" cell is 200 m on the ground to within 20 cm; Web Mercator
(EPSG:3857) would make it 200/cos(lat) m, 24 % too small at 36 N. UTM works for any bureau
anywhere; the CGCS2000 3-degree Gauss-Kruger zones (EPSG:4513-4554) would be as good for China
but only for China. A cell (i, j) of size s covers [i*s, (i+1)*s) x [j*s, (j+1)*s) in that
projection: the same numbering as ST_SquareGrid / ST_Square, so a cell can be rebuilt from
its index alone.

Definitions used by the zone figures here:
- complaints: complaints received in the period (and of the category / channel; with a status
  filter: whose case has that status), counted in the zone at the requested level that holds
  the zone the complaint was assigned to;
- repeats: those complaints marked as repeats of a known case.
Case figures (overdue, on-time closure, satisfaction) are the bureau's rules, not spatial ones:
the caller adds them per zone code from ``ecogrid.cases.figures``, so a zone map, a bulletin and a
summary count them the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.cases.states import Status
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.vocabulary import Category, Channel, ZoneLevel
from ecogrid.zones import query_bounds
from geo import hotspots as hotspot_stats
from geo.bbox import BBox

Shape = Literal["square", "hex"]
SHAPES: tuple[str, ...] = ("square", "hex")
MIN_CELL_M = 20.0
MAX_CELL_M = 100_000.0
# Above this the answer (and Gi*'s weights) would be too big to be useful on a map: ask for larger cells.
MAX_CELLS = 40_000
# Cells a grid may need over its whole area (empty ones included) unless the caller says otherwise;
# the API passes the max_grid_cells setting.
MAX_AREA_CELLS = 200_000
MVT_EXTENT = 4096
MVT_BUFFER = 64
# Below this zoom points are merged per few screen pixels, with a count. One feature per complaint
# from street level on: with a million complaints (bench/heatmap.py) a z=14 tile (2.4 km) of every
# point is 3 MB where complaints concentrate, merged 80 kB; z=15 (1.2 km) is 0.75 MB.
CLUSTER_BELOW_ZOOM = 15
CLUSTER_UNITS = 64  # tile units per merged point: 4096/64 = 64 per tile side, 4 px on a 256 px tile
WEB_MERCATOR_WIDTH_M = 40_075_016.685578488


@dataclass(frozen=True, slots=True)
class Filters:
    """What to count: received (or opened) in [date_from, date_to), of a category, channel, case status."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    category: str | None = None
    channel: str | None = None
    status: str | None = None

    def validated(self) -> Filters:
        _check_choice("category", self.category, [c.value for c in Category])
        _check_choice("channel", self.channel, [c.value for c in Channel])
        _check_choice("status", self.status, [s.value for s in Status])
        if self.date_from and self.date_to and self.date_from >= self.date_to:
            raise InvalidInput("'from' must be before 'to'", field="from")
        return self


def _check_choice(field: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}; got {value!r}", field=field)


def _check_cell(cell_m: float, shape: str) -> None:
    if not (math.isfinite(cell_m) and MIN_CELL_M <= cell_m <= MAX_CELL_M):
        raise InvalidInput(f"cell must be between {MIN_CELL_M:g} and {MAX_CELL_M:g} metres", field="cell")
    _check_choice("shape", shape, SHAPES)


def _filter_conditions(filters: Filters, params: dict[str, Any], *, alias: str, time_column: str,
                       status_alias: str) -> list[str]:
    """The WHERE conditions of the filters set (time on ``time_column``, status on ``status_alias``)."""
    wanted = (("date_from", f"{alias}.{time_column} >= :date_from"), ("date_to", f"{alias}.{time_column} < :date_to"),
              ("category", f"{alias}.category = :category"), ("channel", f"{alias}.channel = :channel"),
              ("status", f"{status_alias}.status = :status"))
    conditions = []
    for name, condition in wanted:
        value = getattr(filters, name)
        if value:
            conditions.append(condition)
            params[name] = value
    return conditions


def _complaint_where(filters: Filters, params: dict[str, Any], *, alias: str = "c") -> tuple[str, str]:
    """(extra JOIN, WHERE conditions) selecting the filtered complaints; fills ``params``."""
    # A complaint's status is its case's.
    join = f"JOIN cases fk ON fk.id = {alias}.case_id" if filters.status else ""
    conditions = [f"{alias}.geom IS NOT NULL",
                  *_filter_conditions(filters, params, alias=alias, time_column="received_at", status_alias="fk")]
    return join, " AND ".join(conditions)


def _bbox_where(bbox: BBox | None, params: dict[str, Any], *, alias: str = "c") -> str:
    if bbox is None:
        return ""
    params.update(west=bbox.west, south=bbox.south, east=bbox.east, north=bbox.north)
    return f" AND {alias}.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)"


# ------------------------------------------------------------------------------------- zones


def aggregate_zones(
    session: Session,
    *,
    filters: Filters = Filters(),
    level: str = "street",
    parent_code: str | None = None,
    simplify_m: float | None = None,
) -> list[dict[str, Any]]:
    """Complaint figures per zone of ``level`` (optionally only under the zone ``parent_code``), each with its
    geometry as a GeoJSON dict (simplified by about ``simplify_m`` metres when given)."""
    filters = filters.validated()
    _check_choice("level", level, [z.value for z in ZoneLevel])
    params: dict[str, Any] = {"level": level}
    target = "SELECT id FROM zones WHERE level = :level"
    if parent_code is not None:
        if session.execute(text("SELECT 1 FROM zones WHERE code = :code"), {"code": parent_code}).first() is None:
            raise InvalidInput(f"no zone with code {parent_code!r}", field="parent")
        params["parent"] = parent_code
        target += """ AND id IN (
            WITH RECURSIVE sub AS (SELECT id FROM zones WHERE code = :parent
                                   UNION ALL SELECT z.id FROM zones z JOIN sub ON z.parent_id = sub.id)
            SELECT id FROM sub)"""
    complaint_join, complaint_where = _complaint_where(filters, params)
    if simplify_m:
        # Degrees per metre of latitude; good enough for a display tolerance.
        params["tolerance"] = float(simplify_m) / 111_320.0
        geom = "ST_SimplifyPreserveTopology(z.geom, :tolerance)"
    else:
        geom = "z.geom"
    # Counted per assigned zone first (one pass over the complaints, a few hundred groups), then
    # rolled up the zone tree: the tree walk touches only the small zones table, never each row.
    sql = f"""
        WITH RECURSIVE targets AS ({target}),
        anc(zone_id, target_id) AS (
            SELECT id, id FROM targets
            UNION ALL
            SELECT z.id, a.target_id FROM zones z JOIN anc a ON z.parent_id = a.zone_id
        ),
        cz AS (
            SELECT c.zone_id, count(*) AS complaints, count(*) FILTER (WHERE c.is_repeat) AS repeats
            FROM complaints c {complaint_join}
            WHERE c.zone_id IS NOT NULL AND {complaint_where}
            GROUP BY c.zone_id
        ),
        cc AS (
            SELECT a.target_id, sum(cz.complaints) AS complaints, sum(cz.repeats) AS repeats
            FROM cz JOIN anc a ON a.zone_id = cz.zone_id
            GROUP BY a.target_id
        )
        SELECT z.id, z.code, z.name, z.level, p.code AS parent_code,
               coalesce(cc.complaints, 0)::bigint AS complaints, coalesce(cc.repeats, 0)::bigint AS repeats,
               ST_AsGeoJSON(ST_ForcePolygonCCW({geom}), 6) AS geometry
        FROM zones z
        JOIN targets t ON t.id = z.id
        LEFT JOIN zones p ON p.id = z.parent_id
        LEFT JOIN cc ON cc.target_id = z.id
        ORDER BY z.code
    """
    rows = session.execute(text(sql), params).mappings().all()
    return [
        {
            "code": r["code"], "name": r["name"], "level": r["level"], "parent_code": r["parent_code"],
            "complaints": r["complaints"], "repeats": r["repeats"],
            "geometry": json.loads(r["geometry"]) if r["geometry"] else None,
        }
        for r in rows
    ]


# -------------------------------------------------------------------------------------- grid


def metric_srid(session: Session) -> int:
    """EPSG code of the UTM zone at the centre of the zones (or, without zones, of the complaints)."""
    row = session.execute(text("""
        SELECT ST_X(c) AS lon, ST_Y(c) AS lat
        FROM (SELECT coalesce((SELECT ST_Centroid(ST_SetSRID(ST_Extent(geom), 4326)) FROM zones),
                              (SELECT ST_Centroid(ST_SetSRID(ST_Extent(geom), 4326)) FROM complaints)) AS c) t
    """)).first()
    lon, lat = (row.lon, row.lat) if row is not None and row.lon is not None else (120.0, 36.0)
    return utm_srid(lon, lat)


def utm_srid(lon: float, lat: float) -> int:
    zone = min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def _cell_geom_sql(shape: str) -> str:
    fn = "ST_Square" if shape == "square" else "ST_Hexagon"
    return f"{fn}(:cell, i, j, ST_SetSRID(ST_MakePoint(0, 0), :srid))"


def _counts_sql(shape: str, filters: Filters, params: dict[str, Any], *, bbox: BBox | None = None,
                grid_from: str | None = None) -> str:
    """SQL giving (i, j, n) per non-empty cell for the filtered complaints.

    Square cells are found by arithmetic (floor of the projected coordinates: no join at all).
    Hexagons have no such closed form in PostGIS, so the hexagons covering the points' extent are
    generated and each is probed through the complaints' GiST index.
    """
    join, where = _complaint_where(filters, params)
    where += _bbox_where(bbox, params)
    if shape == "square":
        return f"""
            SELECT floor(ST_X(p.g) / :cell)::int AS i, floor(ST_Y(p.g) / :cell)::int AS j, count(*) AS n
            FROM (SELECT ST_Transform(c.geom, :srid) AS g FROM complaints c {join} WHERE {where}) p
            GROUP BY 1, 2
        """
    # The hexagons of the area's box only (see geo.query_bounds): never of the complaints' extent.
    grid = grid_from or """
        ST_HexagonGrid(:cell, ST_Transform(ST_MakeEnvelope(:west, :south, :east, :north, 4326), :srid))"""
    return f"""
        SELECT h.i, h.j, count(*) AS n
        FROM {grid} AS h
        JOIN complaints c ON ST_Intersects(c.geom, ST_Transform(h.geom, 4326))
        {join}
        WHERE {where}
        GROUP BY h.i, h.j
    """


def aggregate_grid(
    session: Session,
    *,
    cell_m: float,
    shape: str = "square",
    filters: Filters = Filters(),
    bbox: BBox | None = None,
    srid: int | None = None,
    max_cells: int = MAX_AREA_CELLS,
) -> list[dict[str, Any]]:
    """Complaint counts per grid cell (empty cells omitted), each with the cell as a GeoJSON polygon.

    The grid covers the zones' extent cut to ``bbox`` (nothing when there are no zones or the bbox
    is outside them) and may need at most ``max_cells`` cells there (see geo.query_bounds).
    """
    _check_cell(cell_m, shape)
    filters = filters.validated()
    srid = srid or metric_srid(session)
    area = query_bounds.grid_area(session, bbox=bbox)
    if area is None:
        return []
    query_bounds.check_grid_size(session, area=area, cell_m=cell_m, srid=srid, max_cells=max_cells, field="cell")
    params: dict[str, Any] = {"cell": float(cell_m), "srid": srid}
    counts = _counts_sql(shape, filters, params, bbox=area)
    sql = f"""
        WITH k AS ({counts})
        SELECT i, j, n, ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform({_cell_geom_sql(shape)}, 4326)), 6) AS geometry,
               ST_X(ST_Transform(ST_Centroid({_cell_geom_sql(shape)}), 4326)) AS lon,
               ST_Y(ST_Transform(ST_Centroid({_cell_geom_sql(shape)}), 4326)) AS lat
        FROM k ORDER BY i, j
        LIMIT {MAX_CELLS + 1}
    """
    rows = session.execute(text(sql), params).all()
    if len(rows) > MAX_CELLS:
        raise InvalidInput(f"more than {MAX_CELLS} non-empty cells: use a larger cell or a bbox", field="cell")
    return [
        {"i": r.i, "j": r.j, "count": r.n, "lon": r.lon, "lat": r.lat, "geometry": json.loads(r.geometry)}
        for r in rows
    ]


def suggest_cell_m(session: Session, *, max_cells: int = 2000, minimum_m: float = 100.0) -> float:
    """A round cell size so that the zones' extent holds at most about ``max_cells`` square cells."""
    srid = metric_srid(session)
    row = session.execute(text("""
        SELECT ST_Area(ST_Transform(ST_SetSRID(ST_Extent(geom), 4326), :srid)) AS a FROM zones
    """), {"srid": srid}).first()
    area = row.a if row is not None and row.a else 0.0
    raw = max(minimum_m, math.sqrt(area / max_cells)) if area else 500.0
    # Round up to 1, 2 or 5 times a power of ten so the legend can say "500 m cells".
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return float(step * power)
    return float(10 * power)


# ---------------------------------------------------------------------------------- hotspots


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


def resolve_period(*, date_from: datetime | None, date_to: datetime | None, now: datetime,
                   default_days: int = 90) -> Period:
    """The period studied: given bounds, else the ``default_days`` before ``date_to`` (or now)."""
    end = date_to or now
    start = date_from or end - timedelta(days=default_days)
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", field="from")
    return Period(start, end)


def compute_hotspots(
    session: Session,
    *,
    cell_m: float,
    shape: str = "square",
    period: Period,
    filters: Filters = Filters(),
    parent_code: str | None = None,
    srid: int | None = None,
    max_cells: int = MAX_AREA_CELLS,
) -> list[dict[str, Any]]:
    """Gi* per cell over every cell of the studied area (zero counts included), with trend.

    The area is the top-level zones (or the zone ``parent_code``); the grid covers it entirely,
    so empty cells weigh in the mean and cold spots can be found (see geo.hotspots). The
    previous period has the same length and ends where this one starts.
    """
    _check_cell(cell_m, shape)
    filters = Filters(date_from=None, date_to=None, category=filters.category, channel=filters.channel,
                      status=filters.status).validated()
    srid = srid or metric_srid(session)
    if parent_code is not None:
        area_where = "code = :parent"
        if session.execute(text("SELECT 1 FROM zones WHERE code = :parent"), {"parent": parent_code}).first() is None:
            raise InvalidInput(f"no zone with code {parent_code!r}", field="parent")
    else:
        area_where = "parent_id IS NULL"
    area = query_bounds.grid_area(session, zone=parent_code)
    if area is None:
        raise NotFound("no zones to study: import zones first")
    query_bounds.check_grid_size(session, area=area, cell_m=cell_m, srid=srid, max_cells=max_cells, field="cell")
    base: dict[str, Any] = {"cell": float(cell_m), "srid": srid, "parent": parent_code}
    grid_fn = "ST_SquareGrid" if shape == "square" else "ST_HexagonGrid"
    cells_sql = f"""
        WITH area AS (SELECT ST_Union(ST_Transform(geom, :srid)) AS g FROM zones WHERE {area_where})
        SELECT cell.i, cell.j, ST_X(ST_Centroid(cell.geom)) AS x, ST_Y(ST_Centroid(cell.geom)) AS y,
               ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(cell.geom, 4326)), 6) AS geometry
        FROM area, {grid_fn}(:cell, area.g) AS cell
        WHERE ST_Intersects(cell.geom, area.g)
        LIMIT {MAX_CELLS + 1}
    """
    cells = session.execute(text(cells_sql), base).all()
    if not cells:
        raise NotFound("no zones to study: import zones first")
    if len(cells) > MAX_CELLS:
        raise InvalidInput(f"the area holds more than {MAX_CELLS} cells: use a larger cell", field="cell")
    if len(cells) < 3:
        raise InvalidInput("the area holds fewer than 3 cells: use a smaller cell", field="cell")

    def counts(p: Period) -> dict[tuple[int, int], int]:
        params = dict(base)
        f = Filters(date_from=p.start, date_to=p.end, category=filters.category, channel=filters.channel,
                    status=filters.status)
        sql = _counts_sql(shape, f, params, bbox=area)
        return {(r.i, r.j): r.n for r in session.execute(text(sql), params)}

    current = counts(period)
    previous = counts(period.previous)
    keys = [(c.i, c.j) for c in cells]
    stats = hotspot_stats.gi_star(
        ids=[f"{i}:{j}" for i, j in keys],
        xs=[c.x for c in cells], ys=[c.y for c in cells],
        values=[current.get(k, 0) for k in keys],
        previous=[previous.get(k, 0) for k in keys],
        neighbours="distance",
        # Queen neighbours: a square's 8 (diagonal at 1.41 cells), a hexagon's 6 (at 1.73 edges).
        distance_m=float(cell_m) * (1.5 if shape == "square" else 1.8),
    )
    return [
        {"i": c.i, "j": c.j, "count": int(s.value), "previous": int(s.previous or 0), "z": s.z, "p": s.p,
         "hot_cold": s.hot_cold, "confidence": s.confidence, "trend": s.trend,
         "geometry": json.loads(c.geometry)}
        for c, s in zip(cells, stats, strict=True)
    ]


# ------------------------------------------------------------------------------------- tiles


def complaint_tile(session: Session, *, z: int, x: int, y: int, filters: Filters = Filters()) -> bytes:
    """One Mapbox vector tile (layer ``complaints``) of the filtered complaints.

    From zoom ``CLUSTER_BELOW_ZOOM`` on, one feature per complaint: id, category, status (of its
    case), received_at (epoch seconds), case_id. Below, complaints are merged per few screen pixels
    into points with a ``count`` (and the most frequent category), so a city-wide tile stays small.
    """
    if not (0 <= z <= 22):
        raise InvalidInput("z must be between 0 and 22", field="z")
    if not (0 <= x < 2**z):
        raise InvalidInput(f"x must be between 0 and {2**z - 1} at zoom {z}", field="x")
    if not (0 <= y < 2**z):
        raise InvalidInput(f"y must be between 0 and {2**z - 1} at zoom {z}", field="y")
    filters = filters.validated()
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "extent": MVT_EXTENT, "buffer": MVT_BUFFER,
                              "margin": MVT_BUFFER / MVT_EXTENT}
    join, where = _complaint_where(filters, params)
    # The envelopes are written inline, not in a CTE, so the planner sees a constant box: it
    # estimates the rows from the GiST statistics and probes the geom index before anything else.
    # Points are transformed to 3857 only once they are in the (buffered) tile.
    tile_box = "ST_TileEnvelope(:z, :x, :y)"
    in_tile = f"c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AND {where}"
    if z >= CLUSTER_BELOW_ZOOM:
        # ST_AsMVT skips the rows whose ST_AsMVTGeom is NULL (outside the buffered tile): no
        # second filter that would evaluate it twice.
        sql = f"""
            SELECT ST_AsMVT(f, 'complaints', :extent, 'geom') FROM (
                SELECT c.id, c.category, k.status, extract(epoch FROM c.received_at)::bigint AS received_at,
                       c.case_id,
                       ST_AsMVTGeom(ST_Transform(c.geom, 3857), {tile_box}, :extent, :buffer, true) AS geom
                FROM complaints c {join} LEFT JOIN cases k ON k.id = c.case_id
                WHERE {in_tile}
            ) f
        """
    else:
        params["snap"] = WEB_MERCATOR_WIDTH_M / (2**z) / MVT_EXTENT * CLUSTER_UNITS
        sql = f"""
            SELECT ST_AsMVT(f, 'complaints', :extent, 'geom') FROM (
                SELECT g.count, g.category, ST_AsMVTGeom(g.p, {tile_box}, :extent, :buffer, true) AS geom
                FROM (
                    SELECT ST_SnapToGrid(ST_Transform(c.geom, 3857), :snap) AS p, count(*) AS count,
                           mode() WITHIN GROUP (ORDER BY c.category) AS category
                    FROM complaints c {join}
                    WHERE {in_tile}
                    GROUP BY 1
                ) g
            ) f
        """
    # ST_AsMVTGeom's high declared cost makes any tile of a few thousand points pass
    # jit_above_cost; compiling the plan then takes longer than running it (40-60 ms a tile).
    session.execute(text("SET LOCAL jit = off"))
    tile = session.execute(text(sql), params).scalar()
    return bytes(tile) if tile else b""


# ------------------------------------------------------------------------------------ sources


def source_suspect_counts(
    session: Session, *, radii_m: Mapping[str, float], since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Each pollution source with the number of cases that point at it: the source was confirmed,
    or the case is of one of the source's categories and lies within that category's radius."""
    params: dict[str, Any] = {"radii": json.dumps({k: float(v) for k, v in radii_m.items()}),
                              "max_r": float(max(radii_m.values(), default=0.0))}
    period = ""
    if since is not None:
        period += " AND k.opened_at >= :since"
        params["since"] = since
    if until is not None:
        period += " AND k.opened_at < :until"
        params["until"] = until
    sql = f"""
        SELECT s.id, s.name, s.industry, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
               (SELECT count(*) FROM cases k
                WHERE (k.confirmed_source_id = s.id
                       OR (k.category = ANY(s.categories)
                           AND ST_DWithin(k.geom::geography, s.geom::geography, :max_r)
                           AND ST_DWithin(k.geom::geography, s.geom::geography,
                                          coalesce((CAST(:radii AS jsonb) ->> k.category)::float8, 0))))
                {period}) AS suspect_cases
        FROM sources s
        ORDER BY s.id
    """
    return [dict(r) for r in session.execute(text(sql), params).mappings()]


# ------------------------------------------------------------------------------ heatmap page


def collect_heatmap(
    session: Session,
    *,
    filters: Filters,
    period: Period,
    suspect_radii_m: Mapping[str, float],
    max_cells: int = 2000,
    max_sources: int = 3000,
) -> dict[str, Any]:
    """Everything the heatmap page draws, aggregated so that its size does not grow with complaints.

    The cell size is chosen from the zones' extent (at most about ``max_cells`` cells); zone
    outlines are simplified to a fraction of a cell; only significant hotspot cells are kept;
    sources beyond ``max_sources`` (the ones pointed at least) are left out.
    """
    filters = filters.validated()
    srid = metric_srid(session)
    cell_m = suggest_cell_m(session, max_cells=max_cells)
    period_filters = Filters(date_from=period.start, date_to=period.end, category=filters.category,
                             channel=filters.channel, status=filters.status)
    heat = aggregate_grid(session, cell_m=cell_m, filters=period_filters, srid=srid)
    zones = aggregate_zones(session, filters=period_filters, level="street", simplify_m=cell_m / 10)
    try:
        cells = compute_hotspots(session, cell_m=cell_m, period=period, filters=filters, srid=srid)
    except (InvalidInput, NotFound):
        cells = []  # no zones yet, or an area too small for a grid: nothing to test
    sources = source_suspect_counts(session, radii_m=suspect_radii_m, since=period.start, until=period.end)
    if len(sources) > max_sources:
        sources = sorted(sources, key=lambda s: -s["suspect_cases"])[:max_sources]
    extent = session.execute(text("""
        SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
        FROM (SELECT ST_Extent(geom) AS e FROM zones) t
    """)).first()
    bounds = None
    if extent is not None and extent.w is not None:
        bounds = (extent.w, extent.s, extent.e, extent.n)
    return {
        "cell_m": cell_m,
        "bounds": bounds,
        "heat": [(c["lon"], c["lat"], c["count"]) for c in heat],
        "zones": zones,
        "hotspots": [c for c in cells if c["confidence"] is not None],
        "sources": sources,
    }
