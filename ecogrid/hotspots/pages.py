"""Map pages for signed-in staff: the section chief's heatmap.

The page is signed in by the page cookie the form at ``/signin`` sets (see api/page_auth.py); an
Authorization header works too. Without either the browser is sent to the form and back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession, Principal, SettingsDep
from api.page_auth import require_page_roles
from api.security_headers import CspNonce
from ecogrid.cases import figures as case_figures
from ecogrid.cases.states import Status
from ecogrid.core import value_ranges
from ecogrid.core.errors import InvalidInput
from ecogrid.core.time import day_of, day_start
from ecogrid.core.vocabulary import Category
from ecogrid.hotspots import aggregates as aggregate_service
from ecogrid.hotspots import heatmap as heatmap_page
from ecogrid.zones import query_bounds

router = APIRouter(tags=["maps"])

PAGE_ROLES = ("chief", "planner", "clerk", "admin")
DEFAULT_DAYS = 365

PageReader = Annotated[Principal, Depends(require_page_roles(*PAGE_ROLES))]


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).date()
        if day.year >= 9999:
            raise ValueError("no room for the day after")
        moment = day_start(day)  # a heatmap day is a Beijing day
    except ValueError:
        raise InvalidInput(f"{field} must be a date, YYYY-MM-DD", field=field) from None
    value_ranges.check_date(moment, field=field)
    return moment


def _language(lang: str | None, accept_language: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    if accept_language and not accept_language.lower().lstrip().startswith("zh"):
        return "en"
    return "zh"


@router.get("/maps/heatmap", response_class=HTMLResponse,
            responses={303: {"description": "not signed in: to the sign-in form, which comes back here"}})
def heatmap(
    session: DbSession,
    settings: SettingsDep,
    _: PageReader,
    nonce: CspNonce,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="last day included")] = None,
    category: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    language = _language(lang, accept_language)
    start, end = _day(date_from, "from"), _day(date_to, "to")
    now = datetime.now(UTC)
    end = end + timedelta(days=1) if end else now
    start = query_bounds.bound_period(session, start=start, end=end, now=now, max_days=settings.max_period_days)[0]
    period = aggregate_service.resolve_period(date_from=start, date_to=end, now=end, default_days=DEFAULT_DAYS)
    filters = aggregate_service.Filters(category=category or None, status=status or None)
    data = aggregate_service.collect_heatmap(session, filters=filters, period=period,
                                             suspect_radii_m=settings.suspect_radius_m)
    moment = datetime.now(UTC)
    conditions = case_figures.case_conditions(category=filters.category, status=filters.status)
    counted = case_figures.zone_map(session, level="street", parent_code=None, start=period.start, end=period.end,
                                    now=moment, where=conditions)
    case_figures.add_to_zone_rows(data["zones"], counted["zones"])
    bounds = data["bounds"]
    centre = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2) if bounds else \
        (settings.office_lat, settings.office_lon)
    view = heatmap_page.HeatmapView(
        centre=centre, bounds=bounds, cell_m=data["cell_m"], heat=data["heat"], zones=data["zones"],
        hotspots=data["hotspots"], sources=data["sources"],
        form={"from": day_of(period.start).isoformat(),
              "to": day_of(period.end - timedelta(days=1)).isoformat(),
              "category": category or "", "status": status or ""},
        categories=[c.value for c in Category], statuses=[s.value for s in Status],
    )
    page = heatmap_page.render_heatmap_page(view, lang=language, provider=settings.base_map,
                                            tianditu_key=settings.tianditu_key, nonce=nonce)
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})
