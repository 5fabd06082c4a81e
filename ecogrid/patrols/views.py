"""Patrol planning: risk-ranked targets, "double random" draws, conflicts, routes and their map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import CurrentPrincipal, DbSession, ExportDbSession, Principal, SettingsDep, parse_bbox, require_roles
from api.openapi_responses import errors
from api.page_auth import require_page_roles
from api.params import Id, Moment, Offset
from api.read_types import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, file_response
from api.security_headers import CspNonce
from ecogrid.patrols import service as patrol_service
from ecogrid.patrols.route_page import RouteStop, render_route_page
from ecogrid.patrols.schemas import (
    ConflictCreate,
    ConflictRead,
    DrawCreate,
    DrawPublication,
    DrawRead,
    DrawVerification,
    RouteCreate,
    RouteRead,
    StopDone,
    TargetRanking,
)

router = APIRouter(tags=["patrols"])
PREFIX = "/api/v1/patrols"

Planner = Annotated[Principal, Depends(require_roles("planner"))]
Chief = Annotated[Principal, Depends(require_roles("chief"))]
PlannerOrChief = Annotated[Principal, Depends(require_roles("planner", "chief"))]
RouteReader = Annotated[Principal, Depends(require_roles("planner", "chief", "inspector"))]
RoutePageReader = Annotated[Principal, Depends(require_page_roles("planner", "chief", "inspector"))]


@router.get(f"{PREFIX}/targets", response_model=TargetRanking)
def list_targets(session: DbSession, settings: SettingsDep, _: PlannerOrChief,
                 zone: str | None = None,
                 start: Annotated[Moment | None, Query(alias="from")] = None,
                 end: Annotated[Moment | None, Query(alias="to")] = None,
                 bbox: Annotated[str | None, Query(description="hotspot cells only in this box: "
                                                   "west,south,east,north (WGS-84)")] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Offset = 0) -> TargetRanking:
    """Sources ranked by risk (complaints, open and repeat cases, exceedances, time since inspection)."""
    return TargetRanking.model_validate(patrol_service.rank_targets(
        session, settings=settings, zone=zone, start=start, end=end, bbox=parse_bbox(bbox), limit=limit,
        offset=offset))


@router.post(f"{PREFIX}/draws", status_code=201, response_model=DrawRead, responses=errors(409))
def create_draw(body: DrawCreate, session: DbSession, settings: SettingsDep, who: Planner) -> DrawRead:
    """A "double random" draw: units at random per class, each with inspectors drawn at random."""
    plan = patrol_service.create_draw(
        session, settings=settings, actor_id=who.user_id, actor_name=who.name, seed=body.seed, zone=body.zone,
        industry=body.industry, unit_classes=body.unit_classes, rates=body.rates,
        inspectors_per_target=body.inspectors_per_target, weighted_by_risk=body.weighted_by_risk,
        quarter=body.quarter)
    return DrawRead.model_validate(patrol_service.describe_draw(session, plan=plan))


@router.get(f"{PREFIX}/draws/{{draw_id}}", response_model=DrawRead, responses=errors(404))
def read_draw(draw_id: Id, session: DbSession, _: PlannerOrChief) -> DrawRead:
    plan = patrol_service.get_plan(session, plan_id=draw_id, kind="draw")
    return DrawRead.model_validate(patrol_service.describe_draw(session, plan=plan))


@router.get(f"{PREFIX}/draws/{{draw_id}}/verify", response_model=DrawVerification, responses=errors(404))
def verify_draw(draw_id: Id, session: DbSession, _: PlannerOrChief) -> DrawVerification:
    """Replay the stored draw from its stored inputs and seed: does everything still match?"""
    return DrawVerification.model_validate(patrol_service.verify_draw(session, plan_id=draw_id))


@router.post(f"{PREFIX}/draws/{{draw_id}}/approve", response_model=DrawRead, responses=errors(404, 409))
def approve_draw(draw_id: Id, session: DbSession, who: Chief) -> DrawRead:
    plan = patrol_service.approve_draw(session, plan_id=draw_id, actor_id=who.user_id, actor_name=who.name)
    return DrawRead.model_validate(patrol_service.describe_draw(session, plan=plan))


@router.get(f"{PREFIX}/draws/{{draw_id}}/publication", response_model=DrawPublication,
            responses=errors(404, 409))
def read_draw_publication(draw_id: Id, session: DbSession, settings: SettingsDep) -> DrawPublication:
    """Public: no sign-in, approved draws only, no complaint or complainant data."""
    return DrawPublication.model_validate(patrol_service.publish_draw(session, settings=settings, plan_id=draw_id))


@router.post(f"{PREFIX}/conflicts", status_code=201, response_model=ConflictRead, responses=errors(409))
def declare_conflict(body: ConflictCreate, session: DbSession, who: CurrentPrincipal) -> ConflictRead:
    """An inspector's conflict of interest with a unit: never drawn to inspect it."""
    row = patrol_service.declare_conflict(session, user_id=body.user_id, source_id=body.source_id,
                                          reason=body.reason, actor_id=who.user_id, actor_role=who.role,
                                          actor_name=who.name)
    return ConflictRead(user_id=row.user_id, source_id=row.source_id, reason=row.reason,
                        declared_at=row.declared_at)


@router.post(f"{PREFIX}/routes", status_code=201, response_model=RouteRead, responses=errors(404, 409))
def create_route(body: RouteCreate, session: DbSession, settings: SettingsDep, who: PlannerOrChief) -> RouteRead:
    """A day's route from the office through the sources (or an approved draw's targets), shortest first."""
    plan = patrol_service.create_route(session, settings=settings, actor_id=who.user_id, actor_name=who.name,
                                       on=body.date, source_ids=body.source_ids, draw_id=body.draw_id,
                                       inspector_ids=body.inspector_ids)
    return RouteRead.model_validate(patrol_service.describe_route(session, plan_id=plan.id))


# The export paths come before the plain one: "{route_id}" would otherwise swallow "7.csv".
@router.get(f"{PREFIX}/routes/{{route_id}}.csv", response_class=Response,
            responses=file_response(CSV_MEDIA_TYPE, "the route's stops in order (UTF-8 with BOM)", also=errors(404)))
def export_route_csv(route_id: Id, session: ExportDbSession, _: RouteReader) -> Response:
    body = patrol_service.export_route_csv(session, plan_id=route_id)
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}.csv"'})


@router.get(f"{PREFIX}/routes/{{route_id}}.xlsx", response_class=Response,
            responses=file_response(XLSX_MEDIA_TYPE, "the route's stops as a workbook", also=errors(404)))
def export_route_xlsx(route_id: Id, session: ExportDbSession, _: RouteReader) -> Response:
    body = patrol_service.export_route_xlsx(session, plan_id=route_id)
    return Response(body, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}.xlsx"'})


@router.get(f"{PREFIX}/routes/{{route_id}}", response_model=RouteRead, responses=errors(404))
def read_route(route_id: Id, session: DbSession, _: RouteReader) -> RouteRead:
    return RouteRead.model_validate(patrol_service.describe_route(session, plan_id=route_id))


@router.post(f"{PREFIX}/routes/{{route_id}}/stops/{{target_id}}/done", response_model=RouteRead | DrawRead,
             responses=errors(404, 409))
def mark_stop_done(route_id: Id, target_id: Id, body: StopDone, session: DbSession,
                   who: RouteReader) -> RouteRead | DrawRead:
    """The stop was inspected (by that inspection): the route (or draw) it belongs to, as it is now."""
    plan = patrol_service.mark_stop_done(session, plan_id=route_id, target_id=target_id,
                                         inspection_id=body.inspection_id, actor_id=who.user_id,
                                         actor_role=who.role, actor_name=who.name)
    return RouteRead.model_validate(plan) if plan["kind"] == "route" else DrawRead.model_validate(plan)


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
