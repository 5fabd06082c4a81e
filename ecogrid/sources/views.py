"""Pollution source registry and the editable industry-to-category table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from geoalchemy2.shape import to_shape
from shapely import orient_polygons
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import BBoxQuery, CurrentPrincipal, DbSession, Principal, require_roles
from api.geojson import links_json, page_links
from api.openapi_responses import errors
from api.params import Id, Offset
from api.read_types import GeoJSONResponse, geojson_alternative
from ecogrid.core.models import IndustryCategory, Source, Zone
from ecogrid.core.vocabulary import Category
from ecogrid.sources import service as source_service
from ecogrid.sources.schemas import (
    IndustryList,
    IndustryPut,
    IndustryRead,
    SourceCreate,
    SourceFeatureCollection,
    SourceList,
    SourceRead,
    SourceUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["sources"])

Editor = Annotated[Principal, Depends(require_roles("chief", "planner"))]


def source_dict(src: Source, industries: dict[str, list[str]], zones: dict[int, str] | None = None) -> dict[str, Any]:
    point = to_shape(src.geom)
    return {
        "id": src.id, "name": src.name, "credit_code": src.credit_code, "industry": src.industry,
        "categories": list(src.categories) or industries.get(src.industry, []),
        "categories_from_industry": not src.categories, "key_discharger": src.key_discharger,
        "unit_class": src.unit_class, "address": src.address, "stack_height_m": src.stack_height_m,
        "lon": round(point.x, 7), "lat": round(point.y, 7), "zone_id": src.zone_id,
        "zone_code": (zones or {}).get(src.zone_id) if src.zone_id else None,
        "footprint": mapping(orient_polygons(to_shape(src.footprint))) if src.footprint is not None else None,
    }


def _industries(session: Session) -> dict[str, list[str]]:
    return {i.code: list(i.categories) for i in source_service.list_industries(session)}


def _zone_codes(session: Session, sources: list[Source]) -> dict[int, str]:
    ids = {s.zone_id for s in sources if s.zone_id}
    return {z.id: z.code for z in session.scalars(select(Zone).where(Zone.id.in_(ids)))} if ids else {}


def _one(session: Session, src: Source) -> dict[str, Any]:
    return source_dict(src, _industries(session), _zone_codes(session, [src]))


@router.get("/sources", response_model=SourceList | SourceFeatureCollection,
            responses=geojson_alternative(SourceFeatureCollection, "a page of sources; with format=geojson every "
                                          "matching source as a FeatureCollection (application/geo+json)"))
def list_sources(session: DbSession, _: CurrentPrincipal, request: Request, bbox: BBoxQuery, zone: str | None = None,
                 industry: str | None = None, category: Category | None = None, key_discharger: bool | None = None,
                 format: Annotated[str | None, Query(pattern="^(json|geojson)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
                 offset: Offset = 0) -> SourceList | GeoJSONResponse:
    items, total = source_service.list_sources(
        session, zone=zone, industry=industry, category=category.value if category else None,
        key_discharger=key_discharger, bbox=bbox, limit=limit, offset=offset)
    industries, zones = _industries(session), _zone_codes(session, items)
    rows = [source_dict(s, industries, zones) for s in items]
    if format == "geojson":
        collection = SourceFeatureCollection.model_validate({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": r["id"], "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
             "properties": {k: v for k, v in r.items() if k not in {"lon", "lat", "footprint"}}} for r in rows],
            "total": total, "links": links_json(page_links(request, offset=offset, limit=limit, returned=len(rows),
                                                           total=total))})
        return GeoJSONResponse(collection.model_dump(mode="json"))
    return SourceList.model_validate({"items": rows, "total": total})


@router.get("/sources/{source_id}", response_model=SourceRead, responses=errors(404))
def read_source(source_id: Id, session: DbSession, _: CurrentPrincipal) -> SourceRead:
    return SourceRead.model_validate(_one(session, source_service.get_source(session, source_id=source_id)))


@router.post("/sources", status_code=201, response_model=SourceRead, responses=errors(409))
def create_source(body: SourceCreate, session: DbSession, _: Editor) -> SourceRead:
    src = source_service.create_source(session, data=body.model_dump(mode="json"))
    session.commit()
    return SourceRead.model_validate(_one(session, src))


@router.patch("/sources/{source_id}", response_model=SourceRead, responses=errors(404, 409))
def update_source(source_id: Id, body: SourceUpdate, session: DbSession, _: Editor) -> SourceRead:
    src = source_service.update_source(session, source_id=source_id,
                                       changes=body.model_dump(mode="json", exclude_unset=True))
    session.commit()
    return SourceRead.model_validate(_one(session, src))


def _industry_dict(row: IndustryCategory) -> dict[str, Any]:
    return {"code": row.code, "label_zh": row.label_zh, "label_en": row.label_en, "categories": list(row.categories)}


@router.get("/industries", response_model=IndustryList)
def list_industries(session: DbSession, _: CurrentPrincipal) -> IndustryList:
    rows = source_service.list_industries(session)
    return IndustryList.model_validate({"items": [_industry_dict(r) for r in rows], "total": len(rows)})


@router.put("/industries/{code}", response_model=IndustryRead)
def put_industry(code: str, body: IndustryPut, session: DbSession,
                 _: Annotated[Principal, Depends(require_roles())]) -> IndustryRead:
    row = source_service.put_industry(session, code=code, categories=[c.value for c in body.categories],
                                      label_zh=body.label_zh, label_en=body.label_en)
    session.commit()
    return IndustryRead.model_validate(_industry_dict(row))
