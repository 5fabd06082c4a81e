"""Zone figures, grid counts, Gi* hotspots (GeoJSON) and complaint vector tiles, for staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api.deps import DbSession, Principal, SettingsDep, parse_bbox, require_roles
from api.geojson import GeoJSONResponse
from api.params import Moment
from ecogrid.cases import figures as case_figures
from ecogrid.core.time import as_aware, rfc3339
from ecogrid.hotspots import aggregates as aggregate_service
from ecogrid.zones import query_bounds

router = APIRouter(tags=["aggregates"])

# Complaint locations are personal data of a kind: signed-in staff only, never inspectors' field app.
READERS = ("chief", "planner", "clerk")
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


def filters_query(
    session: DbSession, settings: SettingsDep,
    date_from: Annotated[Moment | None, Query(alias="from", description="received at or after (ISO 8601)")] = None,
    date_to: Annotated[Moment | None, Query(alias="to", description="received before (ISO 8601)")] = None,
    category: Annotated[str | None, Query()] = None,
    channel: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="status of the complaint's case")] = None,
) -> aggregate_service.Filters:
    filters = aggregate_service.Filters(
        date_from=_aware(date_from), date_to=_aware(date_to), category=category or None,
        channel=channel or None, status=status or None,
    ).validated()
    start, end = query_bounds.bound_period(session, start=filters.date_from, end=filters.date_to,
                                           now=datetime.now(UTC), max_days=settings.max_period_days)
    return replace(filters, date_from=start, date_to=end)


def _aware(value: datetime | None) -> datetime | None:
    # A bare date-time is Beijing time, as everywhere (ecogrid.core.time).
    return None if value is None else as_aware(value)


FiltersDep = Annotated[aggregate_service.Filters, Depends(filters_query)]
Cell = Annotated[float, Query(description="cell size in metres (square side / hexagon edge)")]
ShapeQ = Annotated[str, Query(description="square or hex")]


def _collection(rows: list[dict[str, Any]], extra_members: dict[str, Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k != "geometry"}
        features.append({"type": "Feature", "geometry": row["geometry"], "properties": properties})
    return {"type": "FeatureCollection", "features": features, **(extra_members or {}), **extra}


@router.get("/api/v1/aggregates/zones", response_class=GeoJSONResponse)
def zones(
    session: DbSession, _: Reader, filters: FiltersDep,
    level: Annotated[str, Query()] = "street",
    parent: Annotated[str | None, Query(description="code of a zone: only zones under it")] = None,
) -> dict[str, Any]:
    rows = aggregate_service.aggregate_zones(session, filters=filters, level=level, parent_code=parent)
    return _collection(*zone_figures(session, rows, filters=filters, level=level, parent=parent,
                                     now=datetime.now(UTC)))


def zone_figures(session: DbSession, rows: list[dict[str, Any]], *, filters: aggregate_service.Filters, level: str,
                 parent: str | None, now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Zone rows with the case figures of the bureau's rules, and the cases no zone row holds.

    Stock figures (open, overdue) are counted at the end of the period, or now while it runs.
    """
    counted = case_figures.zone_map(
        session, level=level, parent_code=parent, start=filters.date_from, end=filters.date_to or now, now=now,
        where=case_figures.case_conditions(category=filters.category, channel=filters.channel, status=filters.status))
    extra = {"cut_off": rfc3339(counted["cut_off"]), "total": counted["total"].as_dict(),
             "outside_jurisdiction": counted["outside"].as_dict(), "unassigned": counted["unassigned"].as_dict()}
    return case_figures.add_to_zone_rows(rows, counted["zones"]), extra


@router.get("/api/v1/aggregates/grid", response_class=GeoJSONResponse)
def grid(
    session: DbSession, settings: SettingsDep, _: Reader, filters: FiltersDep,
    cell: Cell = 500.0, shape: ShapeQ = "square",
    bbox: Annotated[str | None, Query(description="west,south,east,north (WGS-84); cut to the zones")] = None,
) -> dict[str, Any]:
    srid = aggregate_service.metric_srid(session)
    rows = aggregate_service.aggregate_grid(session, cell_m=cell, shape=shape, filters=filters,
                                            bbox=parse_bbox(bbox), srid=srid,
                                            max_cells=settings.max_grid_cells)
    return _collection(rows, cell_m=cell, shape=shape, srid=srid)


@router.get("/api/v1/hotspots", response_class=GeoJSONResponse)
def hotspots(
    session: DbSession, settings: SettingsDep, _: Reader, filters: FiltersDep,
    cell: Cell = 500.0, shape: ShapeQ = "square",
    parent: Annotated[str | None, Query(description="code of a zone: study only that zone")] = None,
) -> dict[str, Any]:
    period = aggregate_service.resolve_period(date_from=filters.date_from, date_to=filters.date_to,
                                              now=datetime.now(UTC))
    rows = aggregate_service.compute_hotspots(session, cell_m=cell, shape=shape, period=period,
                                              filters=filters, parent_code=parent,
                                              max_cells=settings.max_grid_cells)
    return _collection(rows, cell_m=cell, shape=shape, period={
        "from": rfc3339(period.start), "to": rfc3339(period.end),
        "previous_from": rfc3339(period.previous.start)})


@router.get("/tiles/complaints/{z}/{x}/{y}.mvt", response_class=Response,
            responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 204: {"description": "no complaint in the tile"}})
def complaint_tile(session: DbSession, _: Reader, filters: FiltersDep, z: int, x: int, y: int) -> Response:
    tile = aggregate_service.complaint_tile(session, z=z, x=x, y=y, filters=filters)
    if not tile:
        return Response(status_code=204)
    return Response(content=tile, media_type=MVT_MEDIA_TYPE, headers={"Cache-Control": "private, max-age=60"})
