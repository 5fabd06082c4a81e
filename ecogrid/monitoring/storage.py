"""Readings of fixed monitors: stored once, in monthly partitions made as data arrives, and read back.

``monitor_readings`` is range-partitioned by month (Beijing calendar months) on ``measured_at``;
``ecogrid_monitor_partition(at)`` (migration 0006) creates a month's partition the first time it is
needed. Every write goes through ``store``: it makes sure the partitions exist, inserts with
ON CONFLICT DO NOTHING on (station, code, interval, time), so a station that resends a packet it got
no answer for stores nothing twice, and returns only the rows that are new, the ones to judge.
Wind (direction and speed at the same time) also lands in ``weather_records``, where the suspects'
wind factor reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.models import MonitorReading, MonitorStation, WeatherRecord
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import codes

INTERVALS = ("rtd", "minute", "hour", "day")
WIND_FROM, WIND_SPEED = "a01008", "a01007"
# Wind of these intervals is copied to weather_records (a real-time value is a gust, not the wind).
WIND_INTERVALS = frozenset({"minute", "hour"})
MAX_SERIES_POINTS = 2000


@dataclass(frozen=True)
class ReadingIn:
    code: str
    interval: str
    measured_at: datetime
    value: float
    unit: str | None
    flag: str = "N"
    min: float | None = None
    max: float | None = None
    cou: float | None = None


def ensure_partitions(session: Session, moments: Iterable[datetime]) -> None:
    """Create the month partitions (Beijing months) these moments fall in, where missing."""
    months: dict[tuple[int, int], datetime] = {}
    for moment in moments:
        local = moment.astimezone(BEIJING)
        months.setdefault((local.year, local.month), moment)
    for key in sorted(months):
        session.execute(text("SELECT ecogrid_monitor_partition(:at)"), {"at": months[key]})


def store(session: Session, *, station: MonitorStation, readings: Sequence[ReadingIn]) -> list[ReadingIn]:
    """Insert the readings not stored before; returns those that were new (in the order given)."""
    if not readings:
        return []
    ensure_partitions(session, (r.measured_at for r in readings))
    rows = [{"station_id": station.id, "code": r.code, "parameter": codes.parameter_of(r.code),
             "interval": r.interval, "measured_at": r.measured_at, "value": r.value, "min": r.min, "max": r.max,
             "cou": r.cou, "unit": r.unit, "flag": r.flag} for r in readings]
    statement = insert(MonitorReading).values(rows).on_conflict_do_nothing().returning(
        MonitorReading.code, MonitorReading.interval, MonitorReading.measured_at)
    new = {(row.code, row.interval, row.measured_at) for row in session.execute(statement)}
    fresh = [r for r in readings if (r.code, r.interval, r.measured_at) in new]
    _store_wind(session, station=station, readings=fresh)
    return fresh


def _store_wind(session: Session, *, station: MonitorStation, readings: Sequence[ReadingIn]) -> None:
    by_time: dict[tuple[str, datetime], dict[str, ReadingIn]] = {}
    for r in readings:
        if r.code in (WIND_FROM, WIND_SPEED) and r.interval in WIND_INTERVALS and codes.flag_is_judged(r.flag):
            by_time.setdefault((r.interval, r.measured_at), {})[r.code] = r
    rows = [{"station": station.code[:64], "station_id": station.id, "observed_at": at, "geom": station.geom,
             "wind_from_deg": pair[WIND_FROM].value % 360.0, "wind_speed_ms": pair[WIND_SPEED].value}
            for (_, at), pair in by_time.items() if len(pair) == 2 and 0 <= pair[WIND_SPEED].value <= 75]
    if rows:
        store_weather(session, rows=rows)


def store_weather(session: Session, *, rows: list[dict]) -> int:
    """Insert wind observations of registered stations; one per station and time (a repeat is a no-op)."""
    if not rows:
        return 0
    statement = insert(WeatherRecord).values(rows).on_conflict_do_nothing(
        index_elements=["station_id", "observed_at"], index_where=text("station_id IS NOT NULL")
    ).returning(WeatherRecord.id)
    return len(session.execute(statement).all())


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    flag: str | None = None


def series(session: Session, *, station_id: int, code: str, interval: str, start: datetime, end: datetime,
           max_points: int = MAX_SERIES_POINTS) -> tuple[list[Point], timedelta | None]:
    """Values of one station and pollutant in [start, end), averaged into equal time buckets when there
    would be more than ``max_points`` (the bucket is returned; None when the values are as stored)."""
    span = end - start
    count = session.execute(sql.query(__file__, "series_count"), {"station_id": station_id, "code": code,
                                                         "interval": interval, "start": start, "end": end}).scalar_one()
    if count <= max_points:
        rows = session.execute(sql.query(__file__, "series_raw"), {
            "station_id": station_id, "code": code, "interval": interval, "start": start, "end": end,
            "limit": max_points}).all()
        return [Point(r.measured_at, r.value, r.flag) for r in rows], None
    bucket = timedelta(seconds=max(60, int(span.total_seconds() // max_points) + 1))
    rows = session.execute(sql.query(__file__, "series_buckets"), {"station_id": station_id, "code": code,
                                                          "interval": interval, "start": start, "end": end,
                                                          "bucket": bucket}).all()
    return [Point(r.at, r.value) for r in rows], bucket


def daily_means(session: Session, *, station_id: int, code: str, start: datetime, end: datetime) -> dict:
    """Beijing day -> mean value, from the coarsest interval the station sent that day (day > hour > minute > rtd)."""
    rows = session.execute(sql.query(__file__, "daily_means"), {"station_id": station_id, "code": code, "start": start,
                                                       "end": end}).all()
    rank = {name: i for i, name in enumerate(reversed(INTERVALS))}
    chosen: dict = {}
    for r in rows:
        if r.day not in chosen or rank[r.interval] < rank[chosen[r.day][0]]:
            chosen[r.day] = (r.interval, float(r.mean))
    return {day: mean for day, (_, mean) in chosen.items()}
