"""TileJSON of the complaint vector tiles (``/tiles/complaints/{z}/{x}/{y}.mvt``), so QGIS, MapLibre or
any TileJSON client adds the layer from one address. The filters of the tiles (``from``, ``to``,
``category``, ``channel``, ``status``) given here are carried into the tile URL template."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from api.deps import DbSession
from ecogrid.hotspots import aggregates
from ecogrid.hotspots.views import FiltersDep, Reader
from ecogrid.ogc import features
from ecogrid.ogc import layers as ogc_layers
from ecogrid.ogc.schemas import TileJSON, VectorLayer

router = APIRouter(tags=["tiles"])

TILE_FILTERS = ("from", "to", "category", "channel", "status")
MAX_ZOOM = 22
WORLD = [-180.0, -85.0511, 180.0, 85.0511]


@router.get("/tiles/complaints.json", response_model=TileJSON)
def complaint_tilejson(request: Request, session: DbSession, _: Reader, __: FiltersDep) -> TileJSON:
    """The tile template, zooms, bounds (the jurisdiction) and the fields of layer ``complaints``."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name in TILE_FILTERS]
    query = f"?{urlencode(kept)}" if kept else ""
    base = str(request.base_url).rstrip("/")
    bounds = features.spatial_extent(session, ogc_layers.get("zones")) or WORLD
    cluster = aggregates.CLUSTER_BELOW_ZOOM
    return TileJSON(
        name="complaints", description=(
            f"投诉点 complaints: one point per complaint from zoom {cluster} on; below it, complaints merged per "
            "few pixels into points with a count and their most frequent category."),
        tiles=[f"{base}/tiles/complaints/{{z}}/{{x}}/{{y}}.mvt{query}"], minzoom=0, maxzoom=MAX_ZOOM,
        bounds=bounds, center=[(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12],
        vector_layers=[VectorLayer(
            id="complaints", minzoom=0, maxzoom=MAX_ZOOM,
            description="complaints (no complainant data); fields present at the zooms noted",
            fields={"id": f"Number: complaint id (zoom >= {cluster})",
                    "category": f"String: category (below zoom {cluster}: the most frequent of the merged)",
                    "status": f"String: status of the complaint's case (zoom >= {cluster})",
                    "received_at": f"Number: received, seconds since 1970 UTC (zoom >= {cluster})",
                    "case_id": f"Number: case id (zoom >= {cluster})",
                    "count": f"Number: complaints merged into the point (zoom < {cluster})"})])
