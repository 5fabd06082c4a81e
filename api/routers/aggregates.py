"""Zone figures, grid counts, Gi* hotspots (GeoJSON) and complaint vector tiles, for staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api.deps import DbSession, Principal, require_roles
from api.params import Moment
from geo import aggregates as aggregate_service

router = APIRouter(tags=["aggregates"])

# Complaint locations are personal data of a kind: signed-in staff only, never inspectors' field app.
READERS = ("chief", "planner", "clerk")
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


def filters_query(
    date_from: Annotated[Moment | None, Query(alias="from", description="received at or after (ISO 8601)")] = None,
    date_to: Annotated[Moment | None, Query(alias="to", description="received before (ISO 8601)")] = None,
    category: Annotated[str | None, Query()] = None,
    channel: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="status of the complaint's case")] = None,
) -> aggregate_service.Filters:
    return aggregate_service.Filters(
        date_from=_aware(date_from), date_to=_aware(date_to), category=category or None,
        channel=channel or None, status=status or None,
    ).validated()


def _aware(value: datetime | None) -> datetime | None:
    # A bare date-time from a form is read as UTC rather than the server's local zone.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


FiltersDep = Annotated[aggregate_service.Filters, Depends(filters_query)]
Cell = Annotated[float, Query(description="cell size in metres (square side / hexagon edge)")]
ShapeQ = Annotated[str, Query(description="square or hex")]


def _collection(rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k != "geometry"}
        features.append({"type": "Feature", "geometry": row["geometry"], "properties": properties})
    return {"type": "FeatureCollection", "features": features, **extra}


@router.get("/api/v1/aggregates/zones")
def zones(
    session: DbSession, _: Reader, filters: FiltersDep,
    level: Annotated[str, Query()] = "street",
    parent: Annotated[str | None, Query(description="code of a zone: only zones under it")] = None,
) -> dict[str, Any]:
    rows = aggregate_service.aggregate_zones(session, filters=filters, level=level, parent_code=parent)
    return _collection(rows)


@router.get("/api/v1/aggregates/grid")
def grid(
    session: DbSession, _: Reader, filters: FiltersDep,
    cell: Cell = 500.0, shape: ShapeQ = "square",
    bbox: Annotated[str | None, Query(description="west,south,east,north (WGS-84)")] = None,
) -> dict[str, Any]:
    srid = aggregate_service.metric_srid(session)
    rows = aggregate_service.aggregate_grid(session, cell_m=cell, shape=shape, filters=filters,
                                            bbox=aggregate_service.BBox.parse(bbox), srid=srid)
    return _collection(rows, cell_m=cell, shape=shape, srid=srid)


@router.get("/api/v1/hotspots")
def hotspots(
    session: DbSession, _: Reader, filters: FiltersDep,
    cell: Cell = 500.0, shape: ShapeQ = "square",
    parent: Annotated[str | None, Query(description="code of a zone: study only that zone")] = None,
) -> dict[str, Any]:
    period = aggregate_service.resolve_period(date_from=filters.date_from, date_to=filters.date_to,
                                              now=datetime.now(UTC))
    rows = aggregate_service.compute_hotspots(session, cell_m=cell, shape=shape, period=period,
                                              filters=filters, parent_code=parent)
    return _collection(rows, cell_m=cell, shape=shape, period={
        "from": period.start.isoformat(), "to": period.end.isoformat(),
        "previous_from": period.previous.start.isoformat()})


@router.get("/tiles/complaints/{z}/{x}/{y}.mvt", response_class=Response,
            responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 204: {"description": "no complaint in the tile"}})
def complaint_tile(session: DbSession, _: Reader, filters: FiltersDep, z: int, x: int, y: int) -> Response:
    tile = aggregate_service.complaint_tile(session, z=z, x=x, y=y, filters=filters)
    if not tile:
        return Response(status_code=204)
    return Response(content=tile, media_type=MVT_MEDIA_TYPE, headers={"Cache-Control": "private, max-age=60"})
