"""Map pages for signed-in staff: the section chief's heatmap.

The page is signed in by the page cookie the form at ``/signin`` sets (see api/page_auth.py); an
Authorization header works too. Without either the browser is sent to the form and back.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession, Principal, SettingsDep
from api.page_auth import require_page_roles
from api.security_headers import CspNonce
from ecogrid.errors import InvalidInput
from ecogrid.vocabulary import Category
from ecogrid.workflow.states import Status
from geo import aggregates as aggregate_service
from maps import heatmap as heatmap_page

router = APIRouter(tags=["maps"])

PAGE_ROLES = ("chief", "planner", "clerk", "admin")
DEFAULT_DAYS = 365

PageReader = Annotated[Principal, Depends(require_page_roles(*PAGE_ROLES))]


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(datetime.fromisoformat(value).date(), time(0), tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{field} must be a date, YYYY-MM-DD", field=field) from None


def _language(lang: str | None, accept_language: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    if accept_language and not accept_language.lower().lstrip().startswith("zh"):
        return "en"
    return "zh"


@router.get("/maps/heatmap", response_class=HTMLResponse)
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
    end = end + timedelta(days=1) if end else datetime.now(UTC)
    period = aggregate_service.resolve_period(date_from=start, date_to=end, now=end, default_days=DEFAULT_DAYS)
    filters = aggregate_service.Filters(category=category or None, status=status or None)
    data = aggregate_service.collect_heatmap(session, filters=filters, period=period,
                                             suspect_radii_m=settings.suspect_radius_m)
    bounds = data["bounds"]
    centre = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2) if bounds else \
        (settings.office_lat, settings.office_lon)
    view = heatmap_page.HeatmapView(
        centre=centre, bounds=bounds, cell_m=data["cell_m"], heat=data["heat"], zones=data["zones"],
        hotspots=data["hotspots"], sources=data["sources"],
        form={"from": period.start.date().isoformat(),
              "to": (period.end - timedelta(days=1)).date().isoformat(),
              "category": category or "", "status": status or ""},
        categories=[c.value for c in Category], statuses=[s.value for s in Status],
    )
    page = heatmap_page.render_heatmap_page(view, lang=language, provider=settings.base_map,
                                            tianditu_key=settings.tianditu_key, nonce=nonce)
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})
