"""How much one request may ask the database to do: which area a grid covers, how many cells it
may have, and how long a period may be.

A grid is laid over the bureau's jurisdiction (the extent of the zones, or of one zone), cut down
to a box the caller gives; never over the extent of the data, which a single complaint far away
(say at lon -180, lat -90) would stretch to half the planet and a 500 m grid to billions of cells.
The number of cells is estimated from the area before anything is generated, and a request that
would need more than the configured number is refused with the field to change.

A period starting before the first complaint is clipped to it: nothing earlier can be counted,
and a ``from`` of year 16 must cost no more than one of last month.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.core.errors import InvalidInput
from geo.bbox import BBox

_AREA_SQL = """
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (SELECT ST_Extent(geom) AS e FROM zones
      WHERE CAST(:zone AS text) IS NULL OR code = CAST(:zone AS text)) t
"""

_SIZE_SQL = """
SELECT ST_XMax(g) - ST_XMin(g) AS width, ST_YMax(g) - ST_YMin(g) AS height
FROM (SELECT ST_Transform(ST_MakeEnvelope(:west, :south, :east, :north, 4326), CAST(:srid AS int)) AS g) t
"""


def grid_area(session: Session, *, bbox: BBox | None = None, zone: str | None = None) -> BBox | None:
    """The box a grid may cover: the zones' extent (or zone ``zone``'s), cut to ``bbox`` when given.

    None when there is nothing to lay a grid over: no zones yet, or a bbox outside them.
    """
    row = session.execute(text(_AREA_SQL), {"zone": zone}).first()
    if row is None or row.west is None:
        return None
    west, south, east, north = row.west, row.south, row.east, row.north
    if bbox is not None:
        west, south = max(west, bbox.west), max(south, bbox.south)
        east, north = min(east, bbox.east), min(north, bbox.north)
    if not (west < east and south < north):
        return None
    return BBox(west, south, east, north)


def cells_needed(session: Session, *, area: BBox, cell_m: float, srid: int) -> float:
    """About how many cells of ``cell_m`` metres (square side or hexagon edge) cover ``area``.

    Counted as squares of side ``cell_m`` plus one row and column: a hexagon of that edge is
    2.6 times larger, so the figure never under-counts.
    """
    row = session.execute(text(_SIZE_SQL), {"west": area.west, "south": area.south, "east": area.east,
                                            "north": area.north, "srid": srid}).first()
    if row is None or row.width is None or not (math.isfinite(row.width) and math.isfinite(row.height)):
        return math.inf  # an area the projection cannot hold
    return float((math.ceil(row.width / cell_m) + 1) * (math.ceil(row.height / cell_m) + 1))


def check_grid_size(session: Session, *, area: BBox, cell_m: float, srid: int, max_cells: int,
                    field: str) -> None:
    """Refuse (naming ``field``) a grid over ``area`` that would need more than ``max_cells`` cells."""
    needed = cells_needed(session, area=area, cell_m=cell_m, srid=srid)
    if needed > max_cells:
        shown = f"about {needed:,.0f}" if math.isfinite(needed) else "too many"
        raise InvalidInput(f"a grid of {cell_m:g} m cells over this area needs {shown} cells, more than the "
                           f"{max_cells:,} allowed: use larger cells or a smaller bbox", field=field)


def first_complaint_at(session: Session) -> datetime | None:
    """When the data begins (an index lookup on complaints.received_at)."""
    return session.execute(text("SELECT min(received_at) FROM complaints")).scalar()


def bound_period(session: Session, *, start: datetime | None, end: datetime | None, now: datetime,
                 max_days: int) -> tuple[datetime | None, datetime | None]:
    """(start, end) with a start before the data begins clipped to it, refused when longer than ``max_days``.

    Either bound may be None (open); the length is measured to ``now`` when ``end`` is open. A start
    with no data at all is clipped to the longest period allowed; one before data that begins
    only after ``end`` to the day before ``end`` (an empty period either way).
    """
    if start is not None:
        until = end or now
        first = first_complaint_at(session)
        floor = min(first, until - timedelta(days=1)) if first is not None else until - timedelta(days=max_days)
        if start < floor:
            start = floor
    if start is not None and (end or now) - start > timedelta(days=max_days):
        field = "to" if end is not None and end > now else "from"
        raise InvalidInput(f"a period may be at most {max_days} days long", field=field)
    return start, end
