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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.cases import rules
from ecogrid.core import sql
from geo.bbox import BBox

FACTORS = ("complaints", "cases", "exceedances", "key_discharger", "days_since_inspection")


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
    rows = session.execute(sql.query(__file__, "rank_sources"), {
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
        "finished": list(rules.FINISHED),
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
    return int(session.execute(sql.query(__file__, "count_candidates"), {
        "zone": zone, "industry": industry,
        "unit_classes": list(unit_classes) if unit_classes is not None else None,
        "source_ids": list(source_ids) if source_ids is not None else None}).scalar_one())


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
    rows = session.execute(sql.query(__file__, "hotspot_cells"), {
        "srid": srid, "size": float(cell_size_m), "start": start, "end": end, "zone": zone,
        "west": area.west, "south": area.south, "east": area.east, "north": area.north,
        "half_life": float(half_life_days), "min_weight": float(min_weight),
        "finished": list(rules.FINISHED), "limit": limit,
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
