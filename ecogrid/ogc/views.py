"""OGC API - Features at ``/ogc``: GIS desktops (QGIS, anything on GDAL's OAPIF driver) add the bureau's
layers from this one address. Signed-in as everywhere else (bearer token or ``X-API-Key``); every
collection lists only what the caller's role may read, and no feature carries a complainant's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from api.deps import CurrentPrincipal, DbSession, SettingsDep, parse_bbox
from api.geojson import GEOJSON_MEDIA_TYPE, GeoJSONResponse, links_json, page_links
from api.params import Offset
from ecogrid.core.errors import NotFound
from ecogrid.core.time import rfc3339
from ecogrid.ogc import features
from ecogrid.ogc import layers as ogc_layers
from ecogrid.ogc.schemas import (
    Collection,
    Collections,
    Conformance,
    Extent,
    Feature,
    FeatureCollection,
    Landing,
    Link,
    SpatialExtent,
    TemporalExtent,
)

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])

JSON = "application/json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def readable_layer(principal: CurrentPrincipal,
                   collection_id: Annotated[str, Path(alias="collectionId", max_length=64)]) -> ogc_layers.Layer:
    """The collection named in the path, if the caller's role may read it; otherwise not found, so its
    existence is not confirmed to a role that may not see it."""
    layer = ogc_layers.get(collection_id)
    if not layer.may_read(principal.role):
        raise NotFound(f"no collection {collection_id!r}", field="collectionId")
    return layer


ReadableLayer = Annotated[ogc_layers.Layer, Depends(readable_layer)]


@router.get("", response_model=Landing)
def landing(request: Request, _: CurrentPrincipal) -> Landing:
    base = _base(request)
    return Landing(
        title="ecogrid OGC API",
        description="生态环境投诉网格化管理：辖区网格、投诉、案件、污染源与热点网格 (OGC API - Features).",
        links=[Link(href=f"{base}/ogc", rel="self", type=JSON, title="this document"),
               Link(href=f"{base}/openapi.json", rel="service-desc",
                    type="application/vnd.oai.openapi+json;version=3.0", title="the API definition"),
               Link(href=f"{base}/docs", rel="service-doc", type="text/html", title="the API documentation"),
               Link(href=f"{base}/ogc/conformance", rel="conformance", type=JSON, title="conformance classes"),
               Link(href=f"{base}/ogc/collections", rel="data", type=JSON, title="collections"),
               Link(href=f"{base}/tiles/complaints.json", rel="tiles", type=JSON,
                    title="complaint vector tiles (TileJSON)")])


@router.get("/conformance", response_model=Conformance)
def conformance(_: CurrentPrincipal) -> Conformance:
    return Conformance(conformsTo=CONFORMANCE)


def _collection(request: Request, session: Session, layer: ogc_layers.Layer) -> Collection:
    base = f"{_base(request)}/ogc/collections/{layer.id}"
    spatial = features.spatial_extent(session, layer)
    temporal = features.temporal_extent(session, layer)
    return Collection(
        id=layer.id, title=layer.title, description=layer.description,
        links=[Link(href=base, rel="self", type=JSON, title=layer.title),
               Link(href=f"{base}/items", rel="items", type=GEOJSON_MEDIA_TYPE, title=f"{layer.title} items")],
        extent=Extent(spatial=SpatialExtent(bbox=[spatial]) if spatial else None,
                      temporal=TemporalExtent(interval=[temporal]) if temporal else None))


@router.get("/collections", response_model=Collections)
def collections(request: Request, session: DbSession, principal: CurrentPrincipal) -> Collections:
    readable = [layer for layer in ogc_layers.LAYERS if layer.may_read(principal.role)]
    return Collections(
        links=[Link(href=f"{_base(request)}/ogc/collections", rel="self", type=JSON, title="collections")],
        collections=[_collection(request, session, layer) for layer in readable])


@router.get("/collections/{collectionId}", response_model=Collection)
def collection(request: Request, session: DbSession, layer: ReadableLayer) -> Collection:
    return _collection(request, session, layer)


@router.get("/collections/{collectionId}/items", response_model=FeatureCollection,
            response_class=GeoJSONResponse,
            responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}},
                       400: {"description": "a parameter refused (unknown filter, bad bbox or datetime)"}})
def items(
    request: Request, session: DbSession, settings: SettingsDep, layer: ReadableLayer,
    bbox: Annotated[str | None, Query(description="west,south,east,north (CRS84)")] = None,
    moment: Annotated[str | None, Query(alias="datetime", description="RFC 3339 instant or start/end (.. open)")
                      ] = None,
    limit: Annotated[int | None, Query(ge=1, description="features per page (capped by the server's maximum)")
                     ] = None,
    offset: Offset = 0,
    f: Annotated[str | None, Query(description="json (GeoJSON) only")] = None,
) -> dict[str, Any]:
    """Features of the collection; any other query parameter filters on a property of that name
    (``?category=odour&status=registered``)."""
    features.check_format(f)
    size = min(limit or settings.ogc_default_limit, settings.ogc_max_limit)
    query = features.FeatureQuery(bbox=parse_bbox(bbox), interval=features.parse_interval(moment),
                                  filters=features.parse_filters(layer, request.query_params),
                                  limit=size, offset=offset)
    result = features.page(session, layer, query, settings=settings)
    base = f"{_base(request)}/ogc/collections/{layer.id}"
    links = links_json(page_links(request, offset=offset, limit=size, returned=len(result.features),
                                  total=result.matched))
    links.append({"href": base, "rel": "collection", "type": JSON, "title": layer.title})
    return {"type": "FeatureCollection", "features": result.features, "links": links,
            "numberMatched": result.matched, "numberReturned": len(result.features),
            "timeStamp": rfc3339(datetime.now(UTC))}


@router.get("/collections/{collectionId}/items/{featureId}", response_model=Feature,
            response_class=GeoJSONResponse, responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}}})
def item(request: Request, session: DbSession, settings: SettingsDep, layer: ReadableLayer,
         feature_id: Annotated[str, Path(alias="featureId", max_length=64)],
         f: Annotated[str | None, Query(description="json (GeoJSON) only")] = None) -> dict[str, Any]:
    features.check_format(f)
    feature = features.one(session, layer, feature_id, settings=settings)
    base = f"{_base(request)}/ogc/collections/{layer.id}"
    feature["links"] = [{"href": f"{base}/items/{feature['id']}", "rel": "self", "type": GEOJSON_MEDIA_TYPE},
                        {"href": base, "rel": "collection", "type": JSON, "title": layer.title}]
    return feature

