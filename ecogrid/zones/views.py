"""Zones (district, street, grid, cell) as GeoJSON; importing a zone file; a zone's officer and noise class."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import BBoxQuery, CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.geojson import GeoJSONResponse, links_json, page_links
from api.openapi_responses import errors
from api.params import Offset
from ecogrid.zones import service as zone_service
from ecogrid.zones.schemas import ZoneCollection, ZoneFeature, ZoneFileIn, ZoneImportRead, ZoneUpdate

router = APIRouter(prefix="/api/v1/zones", tags=["zones"])


@router.post("/import", response_model=ZoneImportRead)
def import_zones(session: DbSession, settings: SettingsDep, _: Annotated[Principal, Depends(require_roles("chief"))],
                 collection: ZoneFileIn,
                 level: Annotated[str, Query(description="district, street, grid or cell")],
                 code_field: Annotated[str, Query(description="the property holding each zone's code")],
                 name_field: Annotated[str, Query(description="the property holding each zone's name")],
                 parent_field: Annotated[str | None, Query(description="the property holding the parent's "
                                                           "code")] = None,
                 crs: Annotated[str, Query(description="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
                 ) -> ZoneImportRead:
    """Create or update (by code) every zone of the file, all or nothing."""
    result = zone_service.import_zones(session, collection=collection.model_dump(), level=level,
                                       code_field=code_field, name_field=name_field, parent_field=parent_field,
                                       crs=crs, settings=settings)
    session.commit()
    return ZoneImportRead.model_validate(result.as_dict())


@router.get("", response_model=ZoneCollection, response_class=GeoJSONResponse)
def list_zones(session: DbSession, _: CurrentPrincipal, request: Request,
               bbox: BBoxQuery,
               level: str | None = None,
               parent: Annotated[str | None, Query(description="code of the parent zone")] = None,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000, offset: Offset = 0,
               ) -> ZoneCollection:
    listing = zone_service.list_zones(session, level=level, parent=parent, bbox=bbox, limit=limit, offset=offset)
    listing["links"] = links_json(page_links(request, offset=offset, limit=limit, returned=len(listing["features"]),
                                             total=listing["total"]))
    return ZoneCollection.model_validate(listing)


@router.get("/{code}", response_model=ZoneFeature, response_class=GeoJSONResponse, responses=errors(404))
def read_zone(code: str, session: DbSession, _: CurrentPrincipal) -> ZoneFeature:
    return ZoneFeature.model_validate(zone_service.zone_feature(session, code=code))


@router.patch("/{code}", response_model=ZoneFeature, response_class=GeoJSONResponse, responses=errors(404))
def update_zone(code: str, body: ZoneUpdate, session: DbSession,
                _: Annotated[Principal, Depends(require_roles("chief"))]) -> ZoneFeature:
    feature = zone_service.update_zone(session, code=code, changes=body.model_dump(exclude_unset=True))
    session.commit()
    return ZoneFeature.model_validate(feature)
