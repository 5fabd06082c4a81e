"""Suspected pollution sources for a case: a ranked, explained list (倒查污染源).

One query finds the candidates inside the category's search radius through the spatial index
(ST_DWithin on geography, ix_sources_geog) and brings along what scoring needs: distance, the bearing
from the complaint to the source, the source's categories (its own, else its industry's), and its
history before the cut-off. Scoring runs in Python over those few hundred rows, so every part of a
score can be explained line by line.

Score = w_distance * distance + w_category * category + w_wind * wind + w_history * history, each part
in [0, 1]. Ties: score desc, distance asc, id asc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.errors import NotFound
from ecogrid.core.models import Case, CaseEvent, Source
from ecogrid.core.settings import Settings, get_settings
from ecogrid.core.time import rfc3339
from ecogrid.core.vocabulary import label
from ecogrid.monitoring import suspect_readings

# Categories carried by air: only for these does the wind say where the source is.
AIRBORNE = frozenset({"odour", "voc", "smoke", "dust", "cooking_fumes"})

# Partial credit when the source emits a related category (a VOC plant is smelt as "odour").
RELATED: dict[frozenset[str], float] = {
    frozenset({"odour", "voc"}): 0.6,
    frozenset({"odour", "black_odorous_water"}): 0.5,
    frozenset({"odour", "wastewater"}): 0.3,
    frozenset({"odour", "solid_waste"}): 0.3,
    frozenset({"odour", "smoke"}): 0.4,
    frozenset({"odour", "cooking_fumes"}): 0.3,
    frozenset({"smoke", "dust"}): 0.4,
    frozenset({"smoke", "cooking_fumes"}): 0.4,
    frozenset({"wastewater", "black_odorous_water"}): 0.6,
    frozenset({"solid_waste", "hazardous_waste"}): 0.4,
}
NOISES = ("noise_industrial", "noise_construction", "noise_social", "noise_traffic")
for _a in NOISES:
    for _b in NOISES:
        if _a < _b:
            RELATED[frozenset({_a, _b})] = 0.3

# A wind observation counts for a case when it is this close in time and space.
WIND_WINDOW = timedelta(hours=3)
WIND_MAX_DISTANCE_M = 30_000.0
CALM_MS = 0.5  # below this the direction says nothing
# How sharply the wind part falls off with the angle between wind-from and source bearing: cos^k(diff/2).
WIND_SHARPNESS = 8


@dataclass
class Suspect:
    source_id: int
    name: str
    industry: str
    distance_m: float
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    bearing_deg: float | None = None
    categories: list[str] = field(default_factory=list)
    key_discharger: bool = False
    lon: float | None = None
    lat: float | None = None
    explanation_en: list[str] = field(default_factory=list)
    # Earlier confirmations (same category / other) and exceedances behind the history part.
    history: dict[str, int] = field(default_factory=dict)
    # What the source's own online monitors showed around the case's opening (ecogrid.monitoring).
    monitor: dict | None = None


@dataclass
class WindObservation:
    kind: str  # "weather_record" or "reading"
    id: int
    station: str | None
    observed_at: datetime
    wind_from_deg: float
    wind_speed_ms: float | None
    distance_m: float


@dataclass
class SuspectRanking:
    case_id: int
    radius_m: float
    wind_used: bool
    suspects: list[Suspect]
    category: str = ""
    wind: WindObservation | None = None
    weights: dict[str, float] = field(default_factory=dict)
    candidates: int = 0
    confirmed_source: dict | None = None


def category_match(case_category: str, source_categories: list[str]) -> float:
    """1 for a category the source emits, partial credit for a related one, else 0."""
    if case_category in source_categories:
        return 1.0
    return max((RELATED.get(frozenset({case_category, c}), 0.0) for c in source_categories), default=0.0)


def related_categories(category: str) -> set[str]:
    """The category and those a source emitting them may be smelt or heard as (RELATED)."""
    return {category} | {c for pair in RELATED if category in pair for c in pair}


def angle_between(a_deg: float, b_deg: float) -> float:
    """Smallest absolute difference of two compass directions, 0..180."""
    return abs((a_deg - b_deg + 180.0) % 360.0 - 180.0)


def wind_part(*, wind_from_deg: float, bearing_deg: float) -> float:
    """1 when the source lies exactly upwind (wind blows from it to the complainant), 0 straight downwind."""
    diff = math.radians(angle_between(wind_from_deg, bearing_deg))
    return math.cos(diff / 2.0) ** WIND_SHARPNESS


def distance_part(distance_m: float, scale_m: float) -> float:
    return math.exp(-distance_m / scale_m)


def history_part(*, confirmed_same: int, confirmed_other: int, exceedances: int, key_discharger: bool) -> float:
    """Earlier confirmed cases weigh most (saturating), then exceedances, then key-discharger status."""
    confirmed = confirmed_same + 0.5 * confirmed_other
    return round(0.6 * (1.0 - math.exp(-confirmed / 1.5)) + 0.25 * (1.0 - math.exp(-exceedances))
                 + 0.15 * (1.0 if key_discharger else 0.0), 6)


def weights_of(settings: Settings) -> dict[str, float]:
    return {"distance": settings.suspect_weight_distance, "category": settings.suspect_weight_category,
            "wind": settings.suspect_weight_wind, "history": settings.suspect_weight_history}


def find_wind(session: Session, *, case_id: int, at: datetime) -> WindObservation | None:
    """The wind observation nearest the case in time (and then space), if any is close enough and not calm."""
    row = session.execute(sql.query(__file__, "nearest_wind"),
                          {"case_id": case_id, "t0": at - WIND_WINDOW, "t1": at + WIND_WINDOW,
                           "at": at, "max_d": WIND_MAX_DISTANCE_M}).first()
    if row is None or (row.wind_speed_ms is not None and row.wind_speed_ms < CALM_MS):
        return None
    return WindObservation(row.kind, row.id, row.station, row.observed_at, float(row.wind_from_deg) % 360.0,
                           row.wind_speed_ms, round(float(row.d), 1))


def rank_suspects(session: Session, *, case_id: int, limit: int | None = None,
                  settings: Settings | None = None, history_before: datetime | None = None) -> SuspectRanking:
    """Rank the sources around a case, best first, with each score's parts and a bilingual explanation.

    ``history_before`` limits the history factor to confirmations and readings before that moment
    (the benchmark passes the case's opening so a case never sees its own answer); by default every
    confirmation except the case's own counts.
    """
    settings = settings or get_settings()
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found", field="case_id")
    category = case.category
    radius = float(settings.suspect_radius_m.get(category, 1000.0))
    scale = float(settings.suspect_distance_scale_m.get(category, radius / 3.0))
    limit = limit or settings.suspect_limit
    weights = weights_of(settings)

    airborne = category in AIRBORNE
    wind = find_wind(session, case_id=case_id, at=case.opened_at) if airborne and weights["wind"] > 0 else None
    rows = session.execute(sql.query(__file__, "suspect_candidates"),
                           {"case_id": case_id, "radius": radius, "category": category,
                            "before": history_before}).all()

    suspects = []
    for r in rows:
        d = float(r.d)
        bearing = float(r.bearing) % 360.0 if r.bearing is not None else 0.0
        cats = list(r.cats or [])
        parts = {"distance": distance_part(d, scale), "category": category_match(category, cats),
                 "wind": wind_part(wind_from_deg=wind.wind_from_deg, bearing_deg=bearing) if wind else 0.0,
                 "history": history_part(confirmed_same=r.conf_same, confirmed_other=r.conf_other,
                                         exceedances=r.exceedances, key_discharger=r.key_discharger)}
        score = sum(weights[k] * v for k, v in parts.items())
        suspects.append(Suspect(r.id, r.name, r.industry, round(d, 1), round(score, 4),
                                {k: round(v, 4) for k, v in parts.items()}, bearing_deg=round(bearing, 1),
                                categories=cats, key_discharger=bool(r.key_discharger), lon=r.lon, lat=r.lat,
                                history={"confirmed_same": r.conf_same, "confirmed_other": r.conf_other,
                                         "exceedances": r.exceedances}))
    suspects.sort(key=lambda s: (-s.score, s.distance_m, s.source_id))
    top = suspects[:limit]
    notes = suspect_readings.notes_for_sources(session, source_ids=[s.source_id for s in top], at=case.opened_at,
                                               categories=related_categories(category), window=WIND_WINDOW)
    for s in top:
        s.explanation, s.explanation_en = _explain(s, category=category, wind=wind, radius=radius)
        note = notes.get(s.source_id)
        if note is not None:
            s.monitor = note.as_dict()
            zh, en = note.explain()
            s.explanation.append(zh)
            s.explanation_en.append(en)
    confirmed = None
    if case.confirmed_source_id is not None:
        src = session.get(Source, case.confirmed_source_id)
        confirmed = {"source_id": case.confirmed_source_id, "name": src.name if src else None,
                     "confirmed_by_id": case.confirmed_by_id,
                     "confirmed_at": rfc3339(case.confirmed_at)}
    return SuspectRanking(case_id, radius, wind is not None, top, category=category, wind=wind, weights=weights,
                          candidates=len(suspects), confirmed_source=confirmed)


def _explain(s: Suspect, *, category: str, wind: WindObservation | None, radius: float) -> tuple[list[str], list[str]]:
    zh: list[str] = []
    en: list[str] = []
    if wind is not None:
        diff = angle_between(wind.wind_from_deg, s.bearing_deg or 0.0)
        side_zh, side_en = ("上风向", "upwind") if diff <= 45 else (
            ("侧风向", "crosswind") if diff <= 120 else ("下风向", "downwind"))
        zh.append(f"{s.distance_m:.0f} 米，{side_zh}（风来自 {wind.wind_from_deg:.0f}°，源位于 {s.bearing_deg:.0f}°）")
        en.append(f"{s.distance_m:.0f} m {side_en} (wind from {wind.wind_from_deg:.0f}°, "
                  f"source bearing {s.bearing_deg:.0f}°)")
    else:
        zh.append(f"距投诉点 {s.distance_m:.0f} 米，方位 {s.bearing_deg:.0f}°（搜索半径 {radius:.0f} 米）")
        en.append(f"{s.distance_m:.0f} m from the complaint, bearing {s.bearing_deg:.0f}° "
                  f"(search radius {radius:.0f} m)")
    cat_zh, cat_en = label(category, "zh"), label(category, "en")
    if category in s.categories:
        zh.append(f"排放{cat_zh}（与投诉类别一致）")
        en.append(f"emits {cat_en} (matches the complaint)")
    elif s.parts.get("category", 0) > 0:
        related = [c for c in s.categories if RELATED.get(frozenset({category, c}))]
        zh.append(f"排放相关类别：{'、'.join(label(c, 'zh') for c in related)}")
        en.append(f"emits a related category: {', '.join(label(c, 'en') for c in related)}")
    else:
        zh.append(f"不排放{cat_zh}")
        en.append(f"does not emit {cat_en}")
    same, other = s.history.get("confirmed_same", 0), s.history.get("confirmed_other", 0)
    exceed = s.history.get("exceedances", 0)
    if same or other:
        zh.append(f"此前被确认为 {same + other} 件案件的污染源（同类 {same} 件）")
        en.append(f"confirmed as the source of {same + other} earlier case(s) ({same} of this category)")
    if exceed:
        zh.append(f"此前监测超标 {exceed} 次")
        en.append(f"{exceed} earlier exceedance(s)")
    if s.key_discharger:
        zh.append("重点排污单位")
        en.append("key discharger")
    return zh, en


def confirm_source(session: Session, *, case_id: int, source_id: int, user_id: int | None,
                   note: str | None = None) -> Case:
    """Record that an inspection confirmed the source of a case (who and when), on the case and its history."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found", field="case_id")
    if session.get(Source, source_id) is None:
        raise NotFound(f"source {source_id} not found", field="source_id")
    case.confirmed_source_id = source_id
    case.confirmed_by_id = user_id
    case.confirmed_at = datetime.now(UTC)
    session.add(CaseEvent(case_id=case_id, actor_id=user_id, action="confirm_source", from_status=case.status,
                          to_status=case.status, note=note, data={"source_id": source_id}))
    session.flush()
    return case
