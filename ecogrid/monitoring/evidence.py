"""Beside a case: the nearby monitors' readings around its complaint times, and the wind then.

The window runs from ``monitoring_window_hours`` before the first complaint to as long after the last
(at most ``MAX_WINDOW``, ending at the last complaint's). Each station's pollutants come as a series
of at most ``MAX_POINTS`` points (averaged into buckets beyond that), from the finest interval it sent
in the window; each with the limit a value would be judged against, for the chart's limit line.
The wind at each complaint time is the suspects' wind (the nearest observation, ``find_wind``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.models import Case, Complaint, MonitorStation
from ecogrid.core.settings import Settings
from ecogrid.core.time import rfc3339
from ecogrid.monitoring import alarms, codes, storage
from ecogrid.sources import suspects

MAX_WINDOW = timedelta(days=14)
MAX_POINTS = 300
MAX_STATIONS = 5
MAX_COMPLAINT_TIMES = 20
WIND_CODES = frozenset({storage.WIND_FROM, storage.WIND_SPEED})
FINEST_FIRST = ("minute", "rtd", "hour", "day")

_NEARBY = sql.query(__file__, "nearby_stations")

_INTERVALS = sql.query(__file__, "station_intervals")


@dataclass
class Series:
    code: str
    label_zh: str
    label_en: str
    unit: str | None
    interval: str
    bucket_s: int | None
    points: list[tuple[str, float]]
    limit: float | None = None
    standard: str | None = None


@dataclass
class StationReadings:
    station_id: int
    code: str
    name: str
    kind: str
    source_id: int | None
    distance_m: float
    series: list[Series] = field(default_factory=list)


@dataclass
class WindAt:
    complaint_at: str
    station: str | None
    observed_at: str | None
    wind_from_deg: float | None
    wind_speed_ms: float | None
    distance_m: float | None


@dataclass
class CaseMonitoring:
    case_id: int
    start: str
    end: str
    complaint_times: list[str]
    stations: list[StationReadings]
    winds: list[WindAt]


def window_of(times: list[datetime], hours: int) -> tuple[datetime, datetime]:
    pad = timedelta(hours=hours)
    end = max(times) + pad
    return max(min(times) - pad, end - MAX_WINDOW), end


def station_series(session: Session, *, station: MonitorStation, start: datetime, end: datetime,
                   max_points: int = MAX_POINTS) -> list[Series]:
    """Each pollutant the station sent in [start, end), from its finest interval, bounded in points."""
    found: dict[str, set[str]] = {}
    for row in session.execute(_INTERVALS, {"station_id": station.id, "start": start, "end": end}):
        found.setdefault(row.code, set()).add(row.interval)
    out = []
    for code in sorted(found, key=lambda c: (c in WIND_CODES, c)):
        interval = next(i for i in FINEST_FIRST if i in found[code])
        points, bucket = storage.series(session, station_id=station.id, code=code, interval=interval, start=start,
                                        end=end, max_points=max_points)
        limit = alarms.limit_line(session, station=station, code=code, interval=interval, at=end)
        unit = next((p.get("unit") for p in station.pollutants or [] if p.get("code") == code), None)
        known = codes.get(code)
        out.append(Series(code=code, label_zh=codes.label(code, "zh"), label_en=codes.label(code, "en"),
                          unit=unit or (known.unit if known else None), interval=interval,
                          bucket_s=int(bucket.total_seconds()) if bucket else None,
                          points=[(rfc3339(p.at) or "", round(p.value, 6)) for p in points],
                          limit=limit.limit if limit else None, standard=limit.standard if limit else None))
    return out


def case_monitoring(session: Session, *, case: Case, settings: Settings) -> CaseMonitoring:
    times = list(session.scalars(select(Complaint.received_at).where(Complaint.case_id == case.id)
                                 .order_by(Complaint.received_at.desc()).limit(MAX_COMPLAINT_TIMES)))
    times = sorted(times or [case.opened_at])
    start, end = window_of(times, settings.monitoring_window_hours)
    stations: list[StationReadings] = []
    if case.geom is not None:
        for row in session.execute(_NEARBY, {"case_id": case.id, "radius": settings.monitoring_nearby_radius_m,
                                             "limit": MAX_STATIONS}):
            station = session.get(MonitorStation, row.id)
            assert station is not None
            stations.append(StationReadings(station_id=station.id, code=station.code, name=station.name,
                                            kind=station.kind, source_id=station.source_id,
                                            distance_m=round(float(row.d), 1),
                                            series=station_series(session, station=station, start=start, end=end)))
    winds = []
    if case.geom is not None:
        for at in times[-10:]:
            wind = suspects.find_wind(session, case_id=case.id, at=at)
            winds.append(WindAt(complaint_at=rfc3339(at) or "", station=wind.station if wind else None,
                                observed_at=rfc3339(wind.observed_at) if wind else None,
                                wind_from_deg=wind.wind_from_deg if wind else None,
                                wind_speed_ms=wind.wind_speed_ms if wind else None,
                                distance_m=wind.distance_m if wind else None))
    return CaseMonitoring(case_id=case.id, start=rfc3339(start) or "", end=rfc3339(end) or "",
                          complaint_times=[rfc3339(t) or "" for t in times], stations=stations, winds=winds)

