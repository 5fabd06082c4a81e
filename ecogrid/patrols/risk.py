"""Risk ranking of regulated units and hotspot cells for patrol planning, computed in PostGIS.

Every factor of a source's score is one common table expression of one query (no Python loop
over complaints), scaled to 0..1 before weighting, and returned with its raw value so a
planner can see why a unit ranks where it does:

- ``complaints``: recency-weighted complaints (weight ``0.5 ** (age_days / half_life)``) that
  are within their category's search radius of the source and of a category the source can
  cause, or whose case was confirmed to the source; scaled by the largest among candidates;
- ``cases``: unresolved cases plus repeat cases (repeat_count > 0) nearby or confirmed to the
  source; scaled by the largest among candidates;
- ``exceedances``: readings over their limit on the source's inspections plus cases confirmed
  to the source with an exceedance; scaled by the largest among candidates;
- ``key_discharger``: 1 for a key discharger (flag or unit class ``key``);
- ``days_since_inspection``: days since the source's last inspection, capped (never inspected
  counts as the cap) and divided by the cap.

Distances are metres on the geography type; a bounding-box test on the geometry (degrees
widened for the latitude) comes first so the GiST index on complaints does the coarse work.
Hotspot cells are ``cell_size_m`` squares of ST_SquareGrid in a UTM projection (metres).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.bbox import BBox

FACTORS = ("complaints", "cases", "exceedances", "key_discharger", "days_since_inspection")
# Case statuses that no longer need anything from the bureau.
FINISHED_STATUSES = ("closed", "rejected")


@dataclass(frozen=True)
class RiskWeights:
    complaints: float
    cases: float
    exceedances: float
    key_discharger: float
    days_since_inspection: float

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in FACTORS}


@dataclass(frozen=True)
class SourceRisk:
    source_id: int
    name: str
    credit_code: str
    industry: str
    unit_class: str
    key_discharger: bool
    lon: float
    lat: float
    score: float
    # Raw value of each factor (count, weighted count, days) and its weighted share of the score.
    factors: dict[str, float] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)
    last_inspected_at: datetime | None = None


@dataclass(frozen=True)
class HotspotCell:
    cell: str
    complaints: int
    weighted_complaints: float
    unresolved_cases: int
    score: float
    lon: float
    lat: float
    polygon: dict[str, Any]


_RANK_SQL = """
WITH radii AS (
    SELECT key AS category, value::float8 AS radius_m FROM jsonb_each_text(CAST(:radii AS jsonb))
),
cand AS (
    SELECT s.id, s.name, s.credit_code, s.industry, s.unit_class, s.key_discharger, s.categories, s.geom
    FROM sources s
    WHERE (CAST(:zone AS text) IS NULL OR EXISTS (
              SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, s.geom)))
      AND (CAST(:source_ids AS int[]) IS NULL OR s.id = ANY(CAST(:source_ids AS int[])))
      AND (CAST(:unit_classes AS text[]) IS NULL OR s.unit_class = ANY(CAST(:unit_classes AS text[])))
      AND (CAST(:industry AS text) IS NULL OR s.industry = CAST(:industry AS text))
),
box AS (
    SELECT id, ST_Expand(geom, :max_radius / (111320.0 * greatest(cos(radians(ST_Y(geom))), 0.01)),
                         :max_radius / 110574.0) AS b
    FROM cand
),
source_complaints AS (
    SELECT cand.id AS source_id, c.id AS complaint_id, c.received_at
    FROM cand
    JOIN box ON box.id = cand.id
    JOIN complaints c ON c.geom && box.b
    JOIN radii r ON r.category = c.category
    WHERE c.received_at >= :start AND c.received_at < :end
      AND (cardinality(cand.categories) = 0 OR c.category = ANY(cand.categories))
      AND ST_DWithin(cand.geom::geography, c.geom::geography, r.radius_m)
    UNION
    SELECT cand.id, c.id, c.received_at
    FROM cand
    JOIN cases k ON k.confirmed_source_id = cand.id
    JOIN complaints c ON c.case_id = k.id
    WHERE c.received_at >= :start AND c.received_at < :end
),
f_complaints AS (
    SELECT source_id,
           sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - received_at)) / 86400.0
                          / :half_life)) AS value
    FROM source_complaints GROUP BY source_id
),
source_cases AS (
    SELECT cand.id AS source_id, k.id AS case_id, k.status, k.repeat_count
    FROM cand
    JOIN box ON box.id = cand.id
    JOIN cases k ON k.geom && box.b
    JOIN radii r ON r.category = k.category
    WHERE ((k.opened_at >= :start AND k.opened_at < :end) OR k.status <> ALL(CAST(:finished AS text[])))
      AND (cardinality(cand.categories) = 0 OR k.category = ANY(cand.categories))
      AND ST_DWithin(cand.geom::geography, k.geom::geography, r.radius_m)
    UNION
    SELECT cand.id, k.id, k.status, k.repeat_count
    FROM cand JOIN cases k ON k.confirmed_source_id = cand.id
    WHERE (k.opened_at >= :start AND k.opened_at < :end) OR k.status <> ALL(CAST(:finished AS text[]))
),
f_cases AS (
    SELECT source_id,
           count(*) FILTER (WHERE status <> ALL(CAST(:finished AS text[]))) AS unresolved,
           count(*) FILTER (WHERE repeat_count > 0) AS repeat
    FROM source_cases GROUP BY source_id
),
f_exceedances AS (
    SELECT source_id, sum(n) AS value FROM (
        SELECT i.source_id, count(*) AS n
        FROM inspections i JOIN readings rd ON rd.inspection_id = i.id
        WHERE i.source_id IN (SELECT id FROM cand) AND rd.exceeded
        GROUP BY i.source_id
        UNION ALL
        SELECT k.confirmed_source_id, count(*)
        FROM cases k
        WHERE k.confirmed_source_id IN (SELECT id FROM cand) AND k.exceedance
        GROUP BY k.confirmed_source_id
    ) e GROUP BY source_id
),
f_inspected AS (
    SELECT i.source_id, max(coalesce(i.started_at, i.submitted_at)) AS last_at
    FROM inspections i WHERE i.source_id IN (SELECT id FROM cand) AND coalesce(i.started_at, i.submitted_at) < :end
    GROUP BY i.source_id
),
raw AS (
    SELECT cand.id, cand.name, cand.credit_code, cand.industry, cand.unit_class,
           (cand.key_discharger OR cand.unit_class = 'key') AS key_discharger,
           ST_X(cand.geom) AS lon, ST_Y(cand.geom) AS lat,
           coalesce(fc.value, 0) AS complaints,
           coalesce(fk.unresolved, 0) AS unresolved_cases,
           coalesce(fk.repeat, 0) AS repeat_cases,
           coalesce(fk.unresolved, 0) + coalesce(fk.repeat, 0) AS cases,
           coalesce(fe.value, 0) AS exceedances,
           fi.last_at,
           least(coalesce(extract(epoch FROM (CAST(:end AS timestamptz) - fi.last_at)) / 86400.0, :gap_cap),
                 :gap_cap) AS days
    FROM cand
    LEFT JOIN f_complaints fc ON fc.source_id = cand.id
    LEFT JOIN f_cases fk ON fk.source_id = cand.id
    LEFT JOIN f_exceedances fe ON fe.source_id = cand.id
    LEFT JOIN f_inspected fi ON fi.source_id = cand.id
),
scaled AS (
    SELECT raw.*,
           complaints / nullif(max(complaints) OVER (), 0) AS s_complaints,
           cases::float8 / nullif(max(cases) OVER (), 0) AS s_cases,
           exceedances::float8 / nullif(max(exceedances) OVER (), 0) AS s_exceedances,
           CASE WHEN key_discharger THEN 1.0 ELSE 0.0 END AS s_key,
           days / :gap_cap AS s_days,
           count(*) OVER () AS total
    FROM raw
),
scored AS (
    SELECT scaled.*,
           :w_complaints * coalesce(s_complaints, 0) AS p_complaints,
           :w_cases * coalesce(s_cases, 0) AS p_cases,
           :w_exceedances * coalesce(s_exceedances, 0) AS p_exceedances,
           :w_key * s_key AS p_key,
           :w_days * s_days AS p_days
    FROM scaled
)
SELECT scored.*, p_complaints + p_cases + p_exceedances + p_key + p_days AS score
FROM scored
ORDER BY score DESC, id
LIMIT :limit OFFSET :offset
"""


def rank_sources(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    radii_m: Mapping[str, float],
    half_life_days: float,
    gap_cap_days: int,
    weights: RiskWeights,
    zone: str | None = None,
    industry: str | None = None,
    unit_classes: Sequence[str] | None = None,
    source_ids: Sequence[int] | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[SourceRisk], int]:
    """Sources ranked by risk score (highest first, ties by id) and how many were ranked."""
    rows = session.execute(text(_RANK_SQL), {
        "radii": json.dumps({k: float(v) for k, v in radii_m.items()}),
        "max_radius": max((float(v) for v in radii_m.values()), default=1000.0),
        "zone": zone,
        "industry": industry,
        "unit_classes": list(unit_classes) if unit_classes is not None else None,
        "source_ids": list(source_ids) if source_ids is not None else None,
        "start": start,
        "end": end,
        "half_life": float(half_life_days),
        "gap_cap": float(gap_cap_days),
        "finished": list(FINISHED_STATUSES),
        "w_complaints": weights.complaints,
        "w_cases": weights.cases,
        "w_exceedances": weights.exceedances,
        "w_key": weights.key_discharger,
        "w_days": weights.days_since_inspection,
        "limit": limit,
        "offset": offset,
    }).mappings().all()
    total = int(rows[0]["total"]) if rows else _count_candidates(
        session, zone=zone, industry=industry, unit_classes=unit_classes, source_ids=source_ids)
    items = [
        SourceRisk(
            source_id=r["id"], name=r["name"], credit_code=r["credit_code"], industry=r["industry"],
            unit_class=r["unit_class"], key_discharger=bool(r["key_discharger"]),
            lon=float(r["lon"]), lat=float(r["lat"]), score=round(float(r["score"]), 6),
            factors={
                "complaints": round(float(r["complaints"]), 4),
                "unresolved_cases": int(r["unresolved_cases"]),
                "repeat_cases": int(r["repeat_cases"]),
                "exceedances": int(r["exceedances"]),
                "key_discharger": 1.0 if r["key_discharger"] else 0.0,
                "days_since_inspection": round(float(r["days"]), 2),
            },
            parts={
                "complaints": round(float(r["p_complaints"]), 6),
                "cases": round(float(r["p_cases"]), 6),
                "exceedances": round(float(r["p_exceedances"]), 6),
                "key_discharger": round(float(r["p_key"]), 6),
                "days_since_inspection": round(float(r["p_days"]), 6),
            },
            last_inspected_at=r["last_at"],
        )
        for r in rows
    ]
    return items, total


def _count_candidates(session: Session, *, zone: str | None, industry: str | None,
                      unit_classes: Sequence[str] | None, source_ids: Sequence[int] | None) -> int:
    return int(session.execute(text("""
        SELECT count(*) FROM sources s
        WHERE (CAST(:zone AS text) IS NULL OR EXISTS (
                  SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, s.geom)))
          AND (CAST(:source_ids AS int[]) IS NULL OR s.id = ANY(CAST(:source_ids AS int[])))
          AND (CAST(:unit_classes AS text[]) IS NULL OR s.unit_class = ANY(CAST(:unit_classes AS text[])))
          AND (CAST(:industry AS text) IS NULL OR s.industry = CAST(:industry AS text))
    """), {"zone": zone, "industry": industry,
           "unit_classes": list(unit_classes) if unit_classes is not None else None,
           "source_ids": list(source_ids) if source_ids is not None else None}).scalar_one())


def utm_srid(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone holding (lon, lat): a metric projection for grids."""
    zone = min(60, max(1, math.floor((lon + 180) / 6) + 1))
    return (32600 if lat >= 0 else 32700) + zone


# Cells are found by arithmetic on the projected points (floor of x / size, y / size: the numbering
# of ST_SquareGrid and ST_Square), over the complaints inside the area only: the work grows with the
# complaints counted, never with the area, and no grid is ever generated.
_CELLS_SQL = """
WITH pts AS (
    SELECT c.received_at, c.case_id, ST_Transform(c.geom, CAST(:srid AS int)) AS g
    FROM complaints c
    WHERE c.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
      AND c.received_at >= :start AND c.received_at < :end
      AND (CAST(:zone AS text) IS NULL OR EXISTS (
              SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, c.geom)))
),
counted AS (
    SELECT floor(ST_X(pts.g) / :size)::int AS i, floor(ST_Y(pts.g) / :size)::int AS j,
           count(*) AS n,
           sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - pts.received_at)) / 86400.0
                          / :half_life)) AS w,
           count(DISTINCT k.id) FILTER (WHERE k.status <> ALL(CAST(:finished AS text[]))) AS unresolved
    FROM pts
    LEFT JOIN cases k ON k.id = pts.case_id
    GROUP BY 1, 2
    HAVING sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - pts.received_at)) / 86400.0
                          / :half_life)) >= :min_weight
),
top AS (
    SELECT counted.*, w / nullif(max(w) OVER (), 0) AS score,
           ST_Square(:size, i, j, ST_SetSRID(ST_MakePoint(0, 0), CAST(:srid AS int))) AS geom
    FROM counted
    ORDER BY w DESC, i, j
    LIMIT :limit
)
SELECT i, j, n, w, unresolved, score,
       ST_X(ST_Transform(ST_Centroid(geom), 4326)) AS lon,
       ST_Y(ST_Transform(ST_Centroid(geom), 4326)) AS lat,
       ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(geom, 4326)), 6) AS polygon
FROM top
ORDER BY w DESC, i, j
"""


def hotspot_cells(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    half_life_days: float,
    cell_size_m: float,
    min_weight: float,
    srid: int,
    area: BBox,
    zone: str | None = None,
    limit: int = 20,
) -> list[HotspotCell]:
    """Grid cells of ``area`` (WGS-84 box, see geo.query_bounds) where recent complaints concentrate,
    densest first.

    A cell is named ``EPSG:<srid>/<size>/<i>/<j>`` (ST_SquareGrid's column and row), so the same
    cell keeps its name between calls. ``score`` is the cell's weighted count over the densest.
    """
    rows = session.execute(text(_CELLS_SQL), {
        "srid": srid, "size": float(cell_size_m), "start": start, "end": end, "zone": zone,
        "west": area.west, "south": area.south, "east": area.east, "north": area.north,
        "half_life": float(half_life_days), "min_weight": float(min_weight),
        "finished": list(FINISHED_STATUSES), "limit": limit,
    }).mappings().all()
    return [
        HotspotCell(
            cell=f"EPSG:{srid}/{cell_size_m:g}/{r['i']}/{r['j']}", complaints=int(r["n"]),
            weighted_complaints=round(float(r["w"]), 4), unresolved_cases=int(r["unresolved"]),
            score=round(float(r["score"] or 0), 6), lon=float(r["lon"]), lat=float(r["lat"]),
            polygon=json.loads(r["polygon"]),
        )
        for r in rows
    ]


def load_stop_points(session: Session, *, source_ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """(lon, lat) of each listed source that exists."""
    rows = session.execute(
        text("SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM sources WHERE id = ANY(CAST(:ids AS int[]))"),
        {"ids": list(source_ids)},
    ).all()
    return {r.id: (float(r.lon), float(r.lat)) for r in rows}
