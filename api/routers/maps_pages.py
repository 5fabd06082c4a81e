"""Map pages for signed-in staff: the section chief's heatmap.

A browser opening a page cannot send a bearer header, so the page takes the sign-in token once
as ``?token=...``, moves it into an HttpOnly, SameSite=Strict cookie and redirects to the same
address without it (so the token stays out of history, logs and Referer headers). Later visits,
including the page's own filter form, are signed in by the cookie; an Authorization header
works too.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DbSession, SettingsDep
from ecogrid import security, value_ranges
from ecogrid.errors import Forbidden, InvalidInput, NotAuthenticated
from ecogrid.models import User
from ecogrid.vocabulary import Category
from ecogrid.workflow.states import Status
from geo import aggregates as aggregate_service
from maps import heatmap as heatmap_page

router = APIRouter(tags=["maps"])

TOKEN_COOKIE = "ecogrid_token"
PAGE_ROLES = ("chief", "planner", "clerk", "admin")
DEFAULT_DAYS = 365


def _signed_in_user(session, settings, *, token: str | None) -> User:
    if not token:
        raise NotAuthenticated("sign in first: open the page with ?token=<access token>")
    user = session.get(User, security.read_token(settings=settings, token=token))
    if not user or not user.active:
        raise NotAuthenticated("user no longer active")
    if user.role not in PAGE_ROLES:
        raise Forbidden(f"role {user.role} may not see the complaint map")
    return user


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.combine(datetime.fromisoformat(value).date(), time(0), tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{field} must be a date, YYYY-MM-DD", field=field) from None
    value_ranges.check_date(day, field=field)
    return day


def _language(lang: str | None, accept_language: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    if accept_language and not accept_language.lower().lstrip().startswith("zh"):
        return "en"
    return "zh"


@router.get("/maps/heatmap", response_class=HTMLResponse)
def heatmap(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    token: Annotated[str | None, Query(description="access token; moved into a cookie")] = None,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="last day included")] = None,
    category: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
    authorization: Annotated[str | None, Header()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    if token:
        _signed_in_user(session, settings, token=token)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + ("?" + urlencode(rest) if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, max_age=settings.token_minutes * 60, httponly=True,
                            samesite="strict", path="/")
        return response
    bearer = authorization.split(" ", 1)[1] if authorization and authorization.lower().startswith("bearer ") else None
    _signed_in_user(session, settings, token=bearer or request.cookies.get(TOKEN_COOKIE))

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
                                            tianditu_key=settings.tianditu_key)
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})
