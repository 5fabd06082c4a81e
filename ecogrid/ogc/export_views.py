"""Layer exports over HTTP: ``/api/v1/exports/{layer}.gpkg`` and ``.csv``, filtered as the OGC API items
are (``bbox``, ``datetime``, property filters)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import CurrentPrincipal, ExportDbSession, SettingsDep, parse_bbox
from ecogrid.core.errors import NotFound
from ecogrid.ogc import exports, features
from ecogrid.ogc import layers as ogc_layers

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


@router.get("/{layer_id}.{file_format}", response_class=Response,
            responses={200: {"content": {exports.MEDIA_TYPES["gpkg"]: {}, exports.MEDIA_TYPES["csv"]: {}},
                             "description": "the file (as an attachment)"},
                       404: {"description": "no such layer, or not one the role may read"},
                       422: {"description": "a filter refused, or more rows than one export may hold"}})
def export(
    request: Request, session: ExportDbSession, settings: SettingsDep, principal: CurrentPrincipal,
    layer_id: Annotated[str, Path(max_length=64, description="zones, complaints, cases, sources, hotspot_cells")],
    file_format: Annotated[Literal["gpkg", "csv"], Path()],
    bbox: Annotated[str | None, Query(description="west,south,east,north (WGS-84)")] = None,
    moment: Annotated[str | None, Query(alias="datetime", description="RFC 3339 instant or start/end")] = None,
) -> Response:
    """Every row of the layer (any other query parameter filters on a property); complainants' names
    and phones only for clerk, chief and admin, and audited."""
    layer = ogc_layers.get(layer_id)
    if not layer.may_read(principal.role):
        raise NotFound(f"no layer {layer_id!r}", field="layer_id")
    query = features.FeatureQuery(bbox=parse_bbox(bbox), interval=features.parse_interval(moment),
                                  filters=features.parse_filters(layer, request.query_params))
    viewer = exports.Viewer(role=principal.role, user_id=principal.user_id, name=principal.name)
    result = exports.export_layer(session, layer, file_format=file_format, viewer=viewer, query=query,
                                  settings=settings)
    # The audit entry of exported personal data is committed only once the file exists.
    session.commit()
    return Response(result.body, media_type=result.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"'})
