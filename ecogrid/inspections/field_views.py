"""What the mobile form needs beyond tasks and inspections: the bureau's base map for its own Leaflet map,
and the inspector's patrol day (routes with their stops, each stop's page)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.params import Id
from ecogrid.core.time import BEIJING
from ecogrid.inspections import service as inspection_service
from maps import render

router = APIRouter(tags=["inspections"])

FieldStaff = Annotated[Principal, Depends(require_roles("inspector", "chief"))]
_TAG = re.compile(r"<[^>]+>")


class TileLayerRead(BaseModel):
    name: str
    url: str
    attribution: str
    max_zoom: int
    subdomains: str | None
    labels: bool


class BaseMapRead(BaseModel):
    provider: str
    crs: Literal["wgs84", "gcj02"]
    layers: list[TileLayerRead]


@router.get("/api/v1/inspections/base-map", response_model=BaseMapRead)
def base_map(settings: SettingsDep, _: FieldStaff) -> BaseMapRead:
    """The configured base map (settings.base_map); ``none`` has no layers. With ``gcj02`` the form shifts
    every point it draws. Attributions come as plain text: the form writes them as text, never as markup."""
    layers = render.resolved_layers(settings.base_map, tianditu_key=settings.tianditu_key)
    return BaseMapRead(
        provider=settings.base_map, crs=render.provider_crs(settings.base_map),
        layers=[TileLayerRead(name=layer.name, url=layer.url, attribution=_TAG.sub("", layer.attribution)
                              .replace("&copy;", "©").replace("&amp;", "&"),
                              max_zoom=layer.max_zoom, subdomains=layer.subdomains, labels=layer.labels)
                for layer in layers])


class RouteStopRead(BaseModel):
    target_id: int
    seq: int
    source_id: int
    name: str
    address: str | None
    geometry: dict[str, Any]
    leg_m: float | None
    done: bool
    inspection_id: int | None
    conclusion: str | None


class PatrolRouteRead(BaseModel):
    id: int
    date: str | None
    total_m: float | None
    done: int
    total: int
    stops: list[RouteStopRead]


class PatrolDayRead(BaseModel):
    date: date
    routes: list[PatrolRouteRead]


class StopSourceRead(BaseModel):
    id: int
    name: str
    industry: str
    credit_code: str


class StopRead(BaseModel):
    target_id: int
    plan_id: int
    seq: int
    source: StopSourceRead
    category: str | None
    location: dict[str, Any] | None
    address: dict[str, str] | None
    zone: dict[str, Any] | None
    inspections: list[dict[str, Any]]


def _actor(principal: Principal) -> inspection_service.Actor:
    return inspection_service.Actor(user_id=principal.user_id, role=principal.role)


@router.get("/api/v1/inspections/patrol-day", response_model=PatrolDayRead)
def patrol_day(session: DbSession, principal: FieldStaff, on: date | None = None) -> PatrolDayRead:
    """The routes planned for ``on`` (default today, Beijing) with the stops naming the inspector."""
    day = on or datetime.now(BEIJING).date()
    routes = inspection_service.patrol_day(session, actor=_actor(principal), on=day)
    return PatrolDayRead(date=day, routes=[PatrolRouteRead.model_validate(r) for r in routes])


@router.get("/api/v1/inspections/stops/{target_id}", response_model=StopRead)
def read_stop(target_id: Id, session: DbSession, principal: FieldStaff) -> StopRead:
    return StopRead.model_validate(inspection_service.get_stop(session, actor=_actor(principal), target_id=target_id))
