"""The staff console's map (``/map``): the streets with their case figures, the significant hotspot cells,
and the red and overdue cases as points; a click on a street or a cell opens the ledger of its cases.

Street figures are ``figures.zone_map`` (as on the heatmap page and in the bulletin), cells are
``aggregates.compute_hotspots``, the points are ledger pages (``service.list_cases`` with ``colour=red`` and
``overdue=true``). The full heatmap stays at ``/maps/heatmap``.

The period "last N days" is the N Beijing days up to and including today (``reports.Window``), so the
complaints it holds change only when the data does: the streets' complaint counts and shapes and the hotspot
statistics (the grid, Gi*, the trend) are kept per process under the data version
(``ecogrid.core.answer_cache``) and computed again after a write. The case figures count open and overdue
cases as of now, and the points are the ledger's, so both are asked for on every request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession, SettingsDep
from ecogrid.cases import figures as case_figures
from ecogrid.cases import reports
from ecogrid.cases import service as casework
from ecogrid.cases.case_pages import case_points, shown_at
from ecogrid.cases.pages import actor_of
from ecogrid.core import answer_cache
from ecogrid.core.errors import DomainError, InvalidInput, NotFound
from ecogrid.core.settings import Settings
from ecogrid.core.time import day_of
from ecogrid.core.vocabulary import Category
from ecogrid.hotspots import aggregates
from geo import coords
from maps import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("chief", "planner", "clerk"))]
PERIODS = (30, 90, 365)
MAX_POINTS = 2000


def _shift(geometry: Any, base: dict[str, Any]) -> Any:
    """A GeoJSON geometry's coordinates where the base map draws them."""
    if base["crs"] != "gcj02":
        return geometry

    def walk(part: Any) -> Any:
        if part and isinstance(part[0], int | float):
            return list(coords.from_wgs84(float(part[0]), float(part[1]), "gcj02"))
        return [walk(p) for p in part]

    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def _bbox_of(geometry: dict[str, Any]) -> str:
    flat: list[list[float]] = []

    def walk(part: Any) -> None:
        if part and isinstance(part[0], int | float):
            flat.append(part)
        else:
            for p in part:
                walk(p)

    walk(geometry["coordinates"])
    xs, ys = [p[0] for p in flat], [p[1] for p in flat]
    return f"{min(xs):.6f},{min(ys):.6f},{max(xs):.6f},{max(ys):.6f}"


def _work_points(session: Session, settings: Settings, page: console.Page, base: dict[str, Any],
                 category: str | None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Red (progress) and overdue cases as points; their totals (a page of points at most)."""
    totals: dict[str, int] = {}
    points: dict[int, dict[str, Any]] = {}
    for key, filters in (("red", casework.CaseFilters(colour="red", category=category)),
                         ("overdue", casework.CaseFilters(overdue=True, category=category))):
        items, totals[key] = casework.list_cases(session, filters=filters, limit=MAX_POINTS,
                                                 yellow_fraction=settings.deadline_yellow_fraction,
                                                 viewer=actor_of(page), sort="due")
        for item in items:
            points.setdefault(item["id"], item)
    where = case_points(session, list(points))
    out = []
    for ident, item in points.items():
        if ident not in where:
            continue
        out.append({**shown_at(base, *where[ident]), "colour": item["progress_colour"] or "red", "kind": "case",
                    "lines": [{"text": f"#{ident} {page.label(item['category'])}", "href": f"/cases/{ident}"},
                              f"{page.label(item['status'])} · {item['time_left'] or ''}"]})
    return out, totals


def _hotspots(session: Session, period: aggregates.Period, category: str | None) -> list[dict[str, Any]]:
    try:
        return aggregates.compute_hotspots(session, cell_m=aggregates.suggest_cell_m(session, max_cells=2000),
                                           period=period, filters=aggregates.Filters(category=category))
    except (InvalidInput, NotFound):
        return []  # no zones, or an area too small for a grid


@router.get("/map")
def work_map(session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    query = page.request.query_params
    errors: dict[str, str] = {}
    category = query.get("category") or None
    if category is not None and category not in {c.value for c in Category}:
        errors["category"] = page.error_text(InvalidInput(f"unknown category {category!r}", field="category"))
        category = None
    days = int(query["days"]) if query.get("days", "").isdigit() and int(query["days"]) in PERIODS else 90
    now = datetime.now(UTC)
    today = day_of(now)
    window = reports.Window(today - timedelta(days=days - 1), today)
    period = aggregates.Period(window.start, window.end)
    base = render.page_layers(settings.base_map, tianditu_key=settings.tianditu_key)
    filters = aggregates.Filters(date_from=period.start, date_to=period.end, category=category)
    zones = answer_cache.kept(session, ("map-streets", period, category), lambda: aggregates.aggregate_zones(
        session, filters=filters, level="street", simplify_m=20))
    counted = case_figures.zone_map(session, level="street", parent_code=None, start=period.start, end=period.end,
                                    now=now, where=case_figures.case_conditions(category=category))
    case_figures.add_to_zone_rows(zones, counted["zones"])
    shapes = []
    for z in zones:
        if not z["geometry"]:
            continue
        shapes.append({"geometry": _shift(z["geometry"], base), "lines": [
            {"text": z["name"], "href": page.url("/cases", {"zone": z["code"], "category": category})},
            page.tr(f"新增 {z['new_cases']} · 在办 {z['open']} · 超期 {z['overdue']}",
                    f"new {z['new_cases']} · open {z['open']} · overdue {z['overdue']}")]})
    cells = answer_cache.kept(session, ("map-hotspots", period, category), lambda: _hotspots(session, period, category))
    hot = [c for c in cells if c["confidence"] is not None and c["hot_cold"] == "hot"]
    for c in hot:
        shapes.append({"geometry": _shift(c["geometry"], base), "kind": "cell", "lines": [
            {"text": page.tr(f"热点网格：{c['count']} 件投诉", f"Hotspot cell: {c['count']} complaints"),
             "href": page.url("/cases", {"bbox": _bbox_of(c["geometry"]), "category": category})},
            page.tr(f"置信度 {c['confidence']}", f"confidence {c['confidence']}")]})
    try:
        points, totals = _work_points(session, settings, page, base, category)
    except DomainError as exc:
        errors[exc.field or "category"] = page.error_text(exc)
        points, totals = [], {"red": 0, "overdue": 0}
    map_data = {"base": base, "zones": shapes, "points": points,
                "centre": [settings.office_lat, settings.office_lon]}
    return console.render(page, "map.html", status=422 if errors else 200, map_data=map_data, totals=totals,
                          zones=zones, hot=len(hot), errors=errors, category=category or "", days=days,
                          periods=PERIODS, categories=[c.value for c in Category])
