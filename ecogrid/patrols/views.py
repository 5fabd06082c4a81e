"""Patrol planning: risk-ranked targets, "double random" draws, conflicts, routes and their map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, DbSession, ExportDbSession, Principal, SettingsDep, parse_bbox, require_roles
from api.page_auth import require_page_roles
from api.params import Day, Id, Moment, Offset
from api.security_headers import CspNonce
from ecogrid.patrols import service as patrol_service
from ecogrid.patrols.route_page import RouteStop, render_route_page

router = APIRouter(tags=["patrols"])
PREFIX = "/api/v1/patrols"

Planner = Annotated[Principal, Depends(require_roles("planner"))]
Chief = Annotated[Principal, Depends(require_roles("chief"))]
PlannerOrChief = Annotated[Principal, Depends(require_roles("planner", "chief"))]
RouteReader = Annotated[Principal, Depends(require_roles("planner", "chief", "inspector"))]
RoutePageReader = Annotated[Principal, Depends(require_page_roles("planner", "chief", "inspector"))]


class DrawCreate(BaseModel):
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    zone: str | None = None
    industry: str | None = None
    unit_classes: list[str] | None = None
    rates: dict[str, float] | None = Field(default=None, description="override of the sampling rate per class")
    inspectors_per_target: int = Field(default=2, ge=2)
    weighted_by_risk: bool = False
    quarter: str | None = Field(default=None, max_length=32, description="label, e.g. 2026Q1")


class ConflictCreate(BaseModel):
    user_id: Id
    source_id: Id
    reason: str | None = Field(default=None, max_length=2000)


class RouteCreate(BaseModel):
    date: Day
    source_ids: list[Id] | None = None
    draw_id: Id | None = None
    inspector_ids: list[Id] | None = None


class StopDone(BaseModel):
    inspection_id: Id


@router.get(f"{PREFIX}/targets")
def list_targets(session: DbSession, settings: SettingsDep, _: PlannerOrChief,
                 zone: str | None = None,
                 start: Annotated[Moment | None, Query(alias="from")] = None,
                 end: Annotated[Moment | None, Query(alias="to")] = None,
                 bbox: Annotated[str | None, Query(description="hotspot cells only in this box: "
                                                   "west,south,east,north (WGS-84)")] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Offset = 0) -> dict[str, Any]:
    return patrol_service.rank_targets(session, settings=settings, zone=zone, start=start, end=end,
                                       bbox=parse_bbox(bbox), limit=limit, offset=offset)


@router.post(f"{PREFIX}/draws", status_code=201)
def create_draw(body: DrawCreate, session: DbSession, settings: SettingsDep, who: Planner) -> dict[str, Any]:
    plan = patrol_service.create_draw(
        session, settings=settings, actor_id=who.user_id, actor_name=who.name, seed=body.seed, zone=body.zone,
        industry=body.industry, unit_classes=body.unit_classes, rates=body.rates,
        inspectors_per_target=body.inspectors_per_target, weighted_by_risk=body.weighted_by_risk,
        quarter=body.quarter)
    return patrol_service.describe_draw(session, plan=plan)


@router.get(f"{PREFIX}/draws/{{draw_id}}")
def read_draw(draw_id: Id, session: DbSession, _: PlannerOrChief) -> dict[str, Any]:
    return patrol_service.describe_draw(session, plan=patrol_service.get_plan(session, plan_id=draw_id, kind="draw"))


@router.get(f"{PREFIX}/draws/{{draw_id}}/verify")
def verify_draw(draw_id: Id, session: DbSession, _: PlannerOrChief) -> dict[str, Any]:
    return patrol_service.verify_draw(session, plan_id=draw_id)


@router.post(f"{PREFIX}/draws/{{draw_id}}/approve")
def approve_draw(draw_id: Id, session: DbSession, who: Chief) -> dict[str, Any]:
    plan = patrol_service.approve_draw(session, plan_id=draw_id, actor_id=who.user_id, actor_name=who.name)
    return patrol_service.describe_draw(session, plan=plan)


@router.get(f"{PREFIX}/draws/{{draw_id}}/publication")
def publish_draw(draw_id: Id, session: DbSession, settings: SettingsDep) -> dict[str, Any]:
    """Public: no sign-in, approved draws only, no complaint or complainant data."""
    return patrol_service.publish_draw(session, settings=settings, plan_id=draw_id)


@router.post(f"{PREFIX}/conflicts", status_code=201)
def declare_conflict(body: ConflictCreate, session: DbSession, who: CurrentPrincipal) -> dict[str, Any]:
    row = patrol_service.declare_conflict(session, user_id=body.user_id, source_id=body.source_id,
                                          reason=body.reason, actor_id=who.user_id, actor_role=who.role,
                                          actor_name=who.name)
    return {"user_id": row.user_id, "source_id": row.source_id, "reason": row.reason,
            "declared_at": row.declared_at}


@router.post(f"{PREFIX}/routes", status_code=201)
def create_route(body: RouteCreate, session: DbSession, settings: SettingsDep, who: PlannerOrChief) -> dict[str, Any]:
    plan = patrol_service.create_route(session, settings=settings, actor_id=who.user_id, actor_name=who.name,
                                       on=body.date, source_ids=body.source_ids, draw_id=body.draw_id,
                                       inspector_ids=body.inspector_ids)
    return patrol_service.describe_route(session, plan_id=plan.id)


# The export paths come before the plain one: "{route_id}" would otherwise swallow "7.csv".
@router.get(f"{PREFIX}/routes/{{route_id}}.csv")
def export_route_csv(route_id: Id, session: ExportDbSession, _: RouteReader) -> Response:
    body = patrol_service.export_route_csv(session, plan_id=route_id)
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}.csv"'})


@router.get(f"{PREFIX}/routes/{{route_id}}.xlsx")
def export_route_xlsx(route_id: Id, session: ExportDbSession, _: RouteReader) -> Response:
    body = patrol_service.export_route_xlsx(session, plan_id=route_id)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}.xlsx"'})


@router.get(f"{PREFIX}/routes/{{route_id}}")
def read_route(route_id: Id, session: DbSession, _: RouteReader) -> dict[str, Any]:
    return patrol_service.describe_route(session, plan_id=route_id)


@router.post(f"{PREFIX}/routes/{{route_id}}/stops/{{target_id}}/done")
def mark_stop_done(route_id: Id, target_id: Id, body: StopDone, session: DbSession,
                   who: RouteReader) -> dict[str, Any]:
    return patrol_service.mark_stop_done(session, plan_id=route_id, target_id=target_id,
                                         inspection_id=body.inspection_id, actor_id=who.user_id,
                                         actor_role=who.role, actor_name=who.name)


@router.get("/maps/routes/{route_id}", response_class=HTMLResponse, include_in_schema=False)
def route_map(route_id: Id, session: DbSession, settings: SettingsDep, _: RoutePageReader,
              nonce: CspNonce) -> HTMLResponse:
    route = patrol_service.describe_route(session, plan_id=route_id)
    stops = [RouteStop(seq=s["seq"], name=s["name"], lon=s["geometry"]["coordinates"][0],
                       lat=s["geometry"]["coordinates"][1], done=s["done"]) for s in route["stops"]]
    office = route["office"]["coordinates"]
    page = render_route_page(route_id=route_id, office=(office[0], office[1]), stops=stops,
                             total_m=route["total_m"] or 0.0, provider=settings.base_map,
                             tianditu_key=settings.tianditu_key, nonce=nonce)
    return HTMLResponse(page)
