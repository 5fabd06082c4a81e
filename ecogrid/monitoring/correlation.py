"""For a section chief: did the complaints near a source follow its monitor, and did both fall after
the rectification? Complaints per Beijing day within a radius of the source (people's complaints, not
the monitor's own alarms) beside the monitor's daily mean of one pollutant, for ``days`` days before
and after the rectification day, with each period's averages and the Pearson correlation of the two
daily series (days with a reading only; None when fewer than three such days or no variation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import MonitorStation, Source
from ecogrid.core.settings import Settings
from ecogrid.core.time import day_start
from ecogrid.monitoring import codes, storage

MAX_DAYS = 366


@dataclass
class Day:
    day: date
    complaints: int
    reading: float | None


@dataclass
class Period:
    days: int
    complaints: int
    complaints_per_day: float
    mean_reading: float | None
    days_with_reading: int
    correlation: float | None


@dataclass
class Correlation:
    source_id: int
    source: str
    station_id: int
    station: str
    code: str
    unit: str | None
    radius_m: float
    category: str | None
    rectified_on: date
    days: list[Day] = field(default_factory=list)
    before: Period | None = None
    after: Period | None = None
    overall: Period | None = None


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy), 4)


def period(days: list[Day]) -> Period:
    measured = [(float(d.complaints), d.reading) for d in days if d.reading is not None]
    complaints = sum(d.complaints for d in days)
    return Period(days=len(days), complaints=complaints,
                  complaints_per_day=round(complaints / len(days), 3) if days else 0.0,
                  mean_reading=round(sum(r for _, r in measured) / len(measured), 6) if measured else None,
                  days_with_reading=len(measured),
                  correlation=pearson([c for c, _ in measured], [r for _, r in measured]))


def correlate(session: Session, *, source_id: int, rectified_on: date, days: int, settings: Settings,
              station_id: int | None = None, code: str | None = None, category: str | None = None,
              radius_m: float | None = None) -> Correlation:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"source {source_id} not found", field="source_id")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1..{MAX_DAYS}", field="days")
    query = select(MonitorStation).where(MonitorStation.source_id == source_id)
    if station_id is not None:
        query = query.where(MonitorStation.id == station_id)
    candidates = list(session.scalars(query.order_by(MonitorStation.id)))
    if not candidates:
        raise NotFound(f"source {source_id} has no monitor" + (f" {station_id}" if station_id else ""),
                       field="station_id" if station_id else "source_id")
    station, chosen = _station_and_code(candidates, code)
    known = codes.get(chosen)
    category = category or (known.category if known else None)
    if radius_m is None:
        radius_m = float(settings.suspect_radius_m.get(category or "", 1000.0))
    start, end = day_start(rectified_on - timedelta(days=days)), day_start(rectified_on + timedelta(days=days))
    counts = {r.day: int(r.n) for r in session.execute(sql.query(__file__, "complaints_per_day"), {
        "source_id": source_id, "radius": radius_m, "start": start, "end": end, "category": category})}
    means = storage.daily_means(session, station_id=station.id, code=chosen, start=start, end=end)
    series = [Day(day=d, complaints=counts.get(d, 0), reading=round(means[d], 6) if d in means else None)
              for d in (rectified_on - timedelta(days=days - i) for i in range(2 * days))]
    before = [d for d in series if d.day < rectified_on]
    after = [d for d in series if d.day >= rectified_on]
    unit = next((p.get("unit") for p in station.pollutants or [] if p.get("code") == chosen), None)
    return Correlation(source_id=source_id, source=source.name, station_id=station.id, station=station.name,
                       code=chosen, unit=unit or (known.unit if known else None), radius_m=radius_m,
                       category=category, rectified_on=rectified_on, days=series, before=period(before),
                       after=period(after), overall=period(series))


def _station_and_code(stations: list[MonitorStation], code: str | None) -> tuple[MonitorStation, str]:
    for station in stations:
        listed = [p.get("code") for p in station.pollutants or []
                  if p.get("code") not in (storage.WIND_FROM, storage.WIND_SPEED)]
        if code is None and listed:
            return station, listed[0]
        if code is not None and code in listed:
            return station, code
    if code is not None:
        raise InvalidInput(f"no monitor of this source measures {code}", field="code")
    raise InvalidInput("the source's monitors list no pollutants; give code", field="code")
