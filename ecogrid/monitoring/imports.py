"""Readings and wind from a CSV file or an HTTP body (rows of the same fields), all or nothing.

Readings: ``station`` (station code or MN), ``code`` (HJ 212 code) or ``parameter`` (ecogrid
parameter), ``interval`` (rtd, minute, hour, day; default hour), ``measured_at`` (ISO 8601; without an
offset Beijing time), ``value``, ``unit`` (default the station's), ``flag`` (default N).

Weather: ``station``, ``observed_at``, ``wind_from_deg`` (where the wind comes from, clockwise from
north), ``wind_speed_ms``. Stored in ``weather_records``, where the suspects' wind factor reads it.

Every row is checked before anything is stored; a file with a bad row stores nothing and every bad
row is reported (row, field, reason). Imported readings are judged like packets: exceedances alarm.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.core import text_rules, value_ranges
from ecogrid.core.errors import InvalidInput, RowError
from ecogrid.core.models import MonitorStation
from ecogrid.core.settings import Settings, get_settings
from ecogrid.core.time import TimeFormatError, read_time
from ecogrid.inspections.readings.parameters import ReadingError, load_catalogue, normalise_reading
from ecogrid.monitoring import alarms, codes, storage
from ecogrid.monitoring import stations as station_service
from ecogrid.monitoring.ingest import FUTURE_TOLERANCE

READING_FIELDS = ("station", "code", "parameter", "interval", "measured_at", "value", "unit", "flag")
WEATHER_FIELDS = ("station", "observed_at", "wind_from_deg", "wind_speed_ms")


@dataclass
class ImportResult:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    alarm_ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_csv(text: str) -> list[dict[str, str]]:
    return [dict(row) for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]


class _Rows:
    """Checks rows one field at a time, collecting every problem instead of stopping at the first."""

    def __init__(self, session: Session, *, first_row: int) -> None:
        self.session = session
        self.first_row = first_row
        self.errors: list[RowError] = []
        self._stations: dict[str, MonitorStation | None] = {}

    def error(self, index: int, name: str, reason: str, value: Any = "") -> None:
        self.errors.append(RowError(index + self.first_row, name, reason, str(value)[:64]))

    def station(self, index: int, raw: Any) -> MonitorStation | None:
        ref = str(raw or "").strip()
        if not ref:
            self.error(index, "station", "station code or MN is required")
            return None
        if text_rules.unsafe_character(ref) or len(ref) > 64:
            self.error(index, "station", "not a station code or MN", ref)
            return None
        if ref not in self._stations:
            self._stations[ref] = station_service.station_by_code_or_mn(self.session, ref=ref)
        found = self._stations[ref]
        if found is None:
            self.error(index, "station", "no such station", ref)
        return found

    def time(self, index: int, name: str, raw: Any, now: datetime) -> datetime | None:
        try:
            moment = raw if isinstance(raw, datetime) else read_time(str(raw or ""))
        except TimeFormatError:
            self.error(index, name, "not an ISO 8601 date-time", raw)
            return None
        if moment.tzinfo is None:
            moment = read_time(moment.isoformat())
        if not value_ranges.date_in_range(moment) or moment - now > FUTURE_TOLERANCE:
            self.error(index, name, "outside the times a monitor can have measured", raw)
            return None
        return moment

    def number(self, index: int, name: str, raw: Any) -> float | None:
        try:
            number = float(str(raw).strip()) if not isinstance(raw, int | float) else float(raw)
        except ValueError:
            number = math.nan
        if isinstance(raw, bool) or not math.isfinite(number):
            self.error(index, name, "a finite number is required", raw)
            return None
        return number


def check_readings(session: Session, rows: Iterable[Mapping[str, Any]], *, first_row: int = 1,
                   max_rows: int) -> tuple[list[tuple[MonitorStation, storage.ReadingIn]], list[RowError]]:
    checker = _Rows(session, first_row=first_row)
    now = datetime.now(UTC)
    catalogue = load_catalogue()
    out: list[tuple[MonitorStation, storage.ReadingIn]] = []
    for index, row in enumerate(rows):
        if index >= max_rows:
            raise InvalidInput(f"at most {max_rows} rows in one import", field="items")
        for name in ("code", "parameter", "interval", "unit", "flag"):
            if isinstance(row.get(name), str):
                try:
                    text_rules.check_text(row[name], field=name)
                except InvalidInput as exc:
                    checker.error(index, name, exc.message)
        station = checker.station(index, row.get("station"))
        code = str(row.get("code") or "").strip()
        parameter = str(row.get("parameter") or "").strip()
        if not code and parameter:
            if parameter not in catalogue.parameters:
                checker.error(index, "parameter", "unknown parameter", parameter)
            code = codes.code_for_parameter(parameter) or ""
            if parameter in catalogue.parameters and not code:
                checker.error(index, "parameter", "no HJ 212 code for this parameter; give code", parameter)
        if not code and not parameter:
            checker.error(index, "code", "code (HJ 212) or parameter is required")
        elif code and not station_service.CODE_PATTERN.fullmatch(code):
            checker.error(index, "code", "not an HJ 212 code", code)
        interval = str(row.get("interval") or "hour").strip()
        if interval not in storage.INTERVALS:
            checker.error(index, "interval", f"one of {', '.join(storage.INTERVALS)}", interval)
        at = checker.time(index, "measured_at", row.get("measured_at"), now)
        value = checker.number(index, "value", row.get("value"))
        flag = str(row.get("flag") or "N").strip()
        if flag not in codes.flags():
            checker.error(index, "flag", f"one of {', '.join(codes.flags())}", flag)
        if station is None or at is None or value is None or not code:
            continue
        unit = str(row.get("unit") or "").strip() or station_service.unit_for(station, code)
        known = codes.parameter_of(code)
        if known is not None:
            try:
                normalise_reading(known, value, unit)
            except ReadingError as error:
                checker.error(index, "unit" if error.field == "unit" else "value", error.message, value)
                continue
        out.append((station, storage.ReadingIn(code=code, interval=interval, measured_at=at, value=value,
                                               unit=unit[:16] if unit else None, flag=flag)))
    return out, checker.errors


def import_readings(session: Session, *, rows: Iterable[Mapping[str, Any]], first_row: int = 1,
                    settings: Settings | None = None) -> ImportResult:
    settings = settings or get_settings()
    rows = list(rows)
    checked, errors = check_readings(session, rows, first_row=first_row, max_rows=settings.monitoring_import_max_rows)
    result = ImportResult(rows=len(rows), errors=errors)
    if errors:
        return result
    by_station: dict[int, tuple[MonitorStation, list[storage.ReadingIn]]] = {}
    for station, reading in checked:
        by_station.setdefault(station.id, (station, []))[1].append(reading)
    for station, readings in by_station.values():
        for start in range(0, len(readings), 1000):
            chunk = _unique(readings[start:start + 1000])
            fresh = storage.store(session, station=station, readings=chunk)
            result.stored += len(fresh)
            result.duplicates += len(readings[start:start + 1000]) - len(fresh)
            touched = alarms.record_exceedances(session, station=station, readings=fresh, settings=settings)
            result.alarm_ids.extend(a.id for a in touched if a.id not in result.alarm_ids)
    return result


def _unique(readings: list[storage.ReadingIn]) -> list[storage.ReadingIn]:
    # One INSERT cannot hold the same key twice; the first row of a repeated key wins, as a resend would.
    seen: dict[tuple[str, str, datetime], storage.ReadingIn] = {}
    for r in readings:
        seen.setdefault((r.code, r.interval, r.measured_at), r)
    return list(seen.values())


def import_weather(session: Session, *, rows: Iterable[Mapping[str, Any]], first_row: int = 1,
                   settings: Settings | None = None) -> ImportResult:
    settings = settings or get_settings()
    checker = _Rows(session, first_row=first_row)
    now = datetime.now(UTC)
    records: dict[tuple[int, datetime], dict[str, Any]] = {}
    count = 0
    for index, row in enumerate(rows):
        if index >= settings.monitoring_import_max_rows:
            raise InvalidInput(f"at most {settings.monitoring_import_max_rows} rows in one import", field="items")
        count += 1
        station = checker.station(index, row.get("station"))
        at = checker.time(index, "observed_at", row.get("observed_at"), now)
        direction = checker.number(index, "wind_from_deg", row.get("wind_from_deg"))
        speed = checker.number(index, "wind_speed_ms", row.get("wind_speed_ms"))
        if direction is not None and not 0 <= direction <= 360:
            checker.error(index, "wind_from_deg", "degrees from north, 0..360", direction)
            direction = None
        if speed is not None and not 0 <= speed <= 75:
            checker.error(index, "wind_speed_ms", "m/s, 0..75", speed)
            speed = None
        if station is None or at is None or direction is None or speed is None:
            continue
        records.setdefault((station.id, at), {"station": station.code[:64], "station_id": station.id,
                                              "observed_at": at, "geom": station.geom,
                                              "wind_from_deg": direction % 360.0, "wind_speed_ms": speed})
    result = ImportResult(rows=count, errors=checker.errors)
    if checker.errors:
        return result
    rows_out = list(records.values())
    for start in range(0, len(rows_out), 1000):
        result.stored += storage.store_weather(session, rows=rows_out[start:start + 1000])
    result.duplicates = count - result.stored
    return result
