from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import BBoxQuery, CurrentPrincipal, DbSession, Principal, SettingsDep
from api.geojson import links_json, page_links
from api.openapi_responses import errors
from api.params import BigId, Moment, Offset
from api.read_types import GeoJSONResponse, geojson_alternative
from ecogrid.complaints import intake as intake_service
from ecogrid.complaints import queries as complaint_service
from ecogrid.complaints.schemas import ComplaintCreate, ComplaintFeatureCollection, ComplaintList, ComplaintRead
from ecogrid.core import authorization

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])


def registrar(principal: CurrentPrincipal) -> Principal:
    """Who may register complaints: the one intake rule, shared with Open311 (before the body is read)."""
    authorization.check_may_register(principal.role)
    return principal


@router.post("", response_model=ComplaintRead, status_code=201,
             responses={200: {"model": ComplaintRead,
                              "description": "already registered (same channel + external_ref): the stored one"}})
def create_complaint(body: ComplaintCreate, session: DbSession, settings: SettingsDep, response: Response,
                     principal: Annotated[Principal, Depends(registrar)]) -> dict[str, Any]:
    data = intake_service.ComplaintIn(**body.model_dump())
    registration = intake_service.register_complaint(session, data=data, created_by_id=principal.user_id,
                                                     settings=settings)
    out = complaint_service.get_complaint(session, complaint_id=registration.complaint.id, role=principal.role,
                                          actor_id=principal.user_id, actor_name=principal.name)
    out["suspects"] = registration.suspects
    session.commit()
    if not registration.created:
        response.status_code = 200
    return out


@router.get("/{complaint_id}", response_model=ComplaintRead, responses=errors(404))
def read_complaint(complaint_id: BigId, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    out = complaint_service.get_complaint(session, complaint_id=complaint_id, role=principal.role,
                                          actor_id=principal.user_id, actor_name=principal.name)
    session.commit()  # the audit entry of an unmasked read
    return out


@router.get("", response_model=ComplaintList | ComplaintFeatureCollection,
            responses=geojson_alternative(ComplaintFeatureCollection, "a page of complaints, newest first; "
                                          "with format=geojson a FeatureCollection (application/geo+json)"))
def list_complaints(
    session: DbSession, principal: CurrentPrincipal, request: Request,
    bbox: BBoxQuery,
    zone: str | None = None, category: str | None = None, status: str | None = None, channel: str | None = None,
    date_from: Annotated[Moment | None, Query(alias="from")] = None,
    date_to: Annotated[Moment | None, Query(alias="to")] = None,
    updated_since: Annotated[Moment | None, Query(description="only complaints changed at or after this time "
                                                              "(a change feed)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Offset = 0,
    format: Literal["json", "geojson"] = "json",
) -> ComplaintList | GeoJSONResponse:
    listing = complaint_service.list_complaints(
        session, role=principal.role, actor_id=principal.user_id, actor_name=principal.name, zone=zone,
        category=category, status=status, channel=channel, date_from=date_from, date_to=date_to, bbox=bbox,
        limit=limit, offset=offset, updated_since=updated_since)
    session.commit()
    if format == "geojson":
        collection = complaint_service.as_geojson(listing)
        collection["links"] = links_json(page_links(request, offset=offset, limit=limit,
                                                    returned=len(listing["items"]), total=listing["total"]))
        return GeoJSONResponse(ComplaintFeatureCollection.model_validate(collection).model_dump(mode="json"))
    return ComplaintList.model_validate(listing)
