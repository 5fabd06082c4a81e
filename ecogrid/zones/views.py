from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BBoxQuery, CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.geojson import GeoJSONResponse, links_json, page_links
from api.params import Id, Offset
from ecogrid.zones import service as zone_service

router = APIRouter(prefix="/api/v1/zones", tags=["zones"])


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer_id: Id | None = None
    noise_class: str | None = Field(default=None, pattern="^(0|1|2|3|4a|4b)$")
    responsible_unit: str | None = Field(default=None, max_length=256)


@router.post("/import")
def import_zones(session: DbSession, settings: SettingsDep, _: Annotated[Principal, Depends(require_roles("chief"))],
                 collection: Annotated[dict[str, Any], Body()], level: str, code_field: str, name_field: str,
                 parent_field: str | None = None, crs: str = "wgs84") -> dict[str, Any]:
    result = zone_service.import_zones(session, collection=collection, level=level, code_field=code_field,
                                       name_field=name_field, parent_field=parent_field, crs=crs,
                                       settings=settings)
    session.commit()
    return result.as_dict()


@router.get("", response_class=GeoJSONResponse)
def list_zones(session: DbSession, _: CurrentPrincipal, request: Request,
               bbox: BBoxQuery,
               level: str | None = None, parent: str | None = None,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000, offset: Offset = 0) -> dict[str, Any]:
    listing = zone_service.list_zones(session, level=level, parent=parent, bbox=bbox, limit=limit, offset=offset)
    listing["links"] = links_json(page_links(request, offset=offset, limit=limit, returned=len(listing["features"]),
                                             total=listing["total"]))
    return listing


@router.get("/{code}", response_class=GeoJSONResponse)
def read_zone(code: str, session: DbSession, _: CurrentPrincipal) -> dict[str, Any]:
    return zone_service.zone_feature(session, code=code)


@router.patch("/{code}", response_class=GeoJSONResponse)
def update_zone(code: str, body: ZoneUpdate, session: DbSession,
                _: Annotated[Principal, Depends(require_roles("chief"))]) -> dict[str, Any]:
    feature = zone_service.update_zone(session, code=code, changes=body.model_dump(exclude_unset=True))
    session.commit()
    return feature
