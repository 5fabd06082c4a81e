"""The registry of fixed monitors: create, change, list, find by HJ 212 device number, import a file.

A station measures a list of pollutants, each an HJ 212 code with the unit the station sends it in
(``[{"code": "a21028", "unit": "mg/m3"}]``); a code that is an ecogrid parameter must come in a unit
that converts to the parameter's (ug/m3 <-> mg/m3 ...), so its readings can be judged. Stack and
outfall monitors belong to a source; a boundary monitor usually does. The station's HJ 212 password
(PW) is kept only as a SHA-256 hash and compared in constant time.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecogrid.core import text_rules
from ecogrid.core.errors import Conflict, InvalidInput, NotFound, RowError
from ecogrid.core.models import MonitorStation, Source
from ecogrid.core.vocabulary import NOISE_CLASSES, StationKind
from ecogrid.inspections.readings.parameters import load_catalogue
from ecogrid.monitoring import codes
from geo import coords

PLANT_KINDS = frozenset({StationKind.stack.value, StationKind.outfall.value})
MN_PATTERN = re.compile(r"^[A-Za-z0-9]{1,24}$")
# PW travels inside the packet: ';', '=', '&' and ',' would break the segment, so they are refused here.
PASSWORD_PATTERN = re.compile(r"^[\x21-\x7e]{1,32}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")
MAX_POLLUTANTS = 64
# Fields a change may set but never clear.
REQUIRED_FIELDS = frozenset({"code", "name", "kind", "lon", "lat", "crs", "pollutants", "active"})


@dataclass
class StationIn:
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    crs: str = "wgs84"
    mn: str | None = None
    password: str | None = None
    source_id: int | None = None
    pollutants: list[dict[str, str]] = field(default_factory=list)
    noise_class: str | None = None
    active: bool = True


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode("ascii")).hexdigest()


def password_matches(station: MonitorStation, password: str) -> bool:
    if station.password_hash is None:
        return False
    try:
        given = hash_password(password)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, station.password_hash)


def check_pollutants(raw: Iterable[Mapping[str, Any]], *, field_name: str = "pollutants") -> list[dict[str, str]]:
    """Each entry's code and unit, checked: the unit a parameter's reading can be converted from."""
    catalogue = load_catalogue()
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if i >= MAX_POLLUTANTS:
            raise InvalidInput(f"at most {MAX_POLLUTANTS} pollutants a station", field=field_name)
        code = str(entry.get("code") or "").strip()
        if not CODE_PATTERN.fullmatch(code):
            raise InvalidInput(f"pollutant code {code!r} is not an HJ 212 code (letters and digits)",
                               field=f"{field_name}[{i}].code")
        if code in seen:
            raise InvalidInput(f"pollutant {code} is listed twice", field=f"{field_name}[{i}].code")
        seen.add(code)
        known = codes.get(code)
        unit = str(entry.get("unit") or (known.unit if known else "")).strip()
        if not unit or len(unit) > 16:
            raise InvalidInput(f"pollutant {code} needs a unit (at most 16 characters)",
                               field=f"{field_name}[{i}].unit")
        text_rules.check_text(unit, field=f"{field_name}[{i}].unit")
        parameter = known.parameter if known else None
        if parameter is not None:
            name = catalogue.unit_name(unit)
            accepted = catalogue.accepted_units(parameter)
            if name not in accepted:
                raise InvalidInput(f"{code} ({parameter}) cannot be given in {unit!r}; one of {', '.join(accepted)}",
                                   field=f"{field_name}[{i}].unit")
            unit = name
        out.append({"code": code, "unit": unit})
    return out


def _check(session: Session, data: StationIn) -> tuple[float, float]:
    for name in ("code", "name", "mn", "noise_class"):
        value = getattr(data, name)
        if isinstance(value, str):
            text_rules.check_text(value, field=name)
    if not data.code.strip() or len(data.code) > 64:
        raise InvalidInput("code is required, at most 64 characters", field="code")
    if not data.name.strip() or len(data.name) > 256:
        raise InvalidInput("name is required, at most 256 characters", field="name")
    kinds = [k.value for k in StationKind]
    if data.kind not in kinds:
        raise InvalidInput(f"unknown station kind {data.kind!r}; one of {', '.join(kinds)}", field="kind")
    if data.mn is not None and not MN_PATTERN.fullmatch(data.mn):
        raise InvalidInput("mn (HJ 212 device number) is 1..24 letters and digits", field="mn")
    if data.password is not None and (not PASSWORD_PATTERN.fullmatch(data.password)
                                      or any(c in data.password for c in ";=&,")):
        raise InvalidInput("password is 1..32 printable ASCII characters without ; = & ,", field="password")
    if data.mn is not None and data.password is None:
        raise InvalidInput("a station that sends HJ 212 packets (mn) needs its password", field="password")
    if data.kind in PLANT_KINDS and data.source_id is None:
        raise InvalidInput(f"a {data.kind} monitor belongs to a source: source_id is required", field="source_id")
    if data.source_id is not None and session.get(Source, data.source_id) is None:
        raise NotFound(f"source {data.source_id} not found", field="source_id")
    if data.noise_class is not None and data.noise_class not in NOISE_CLASSES:
        raise InvalidInput(f"noise_class must be one of {', '.join(NOISE_CLASSES)}", field="noise_class")
    try:
        crs = coords.normalise_crs(data.crs or "wgs84")
        coords.validate_lon_lat(data.lon, data.lat)
        return coords.to_wgs84(float(data.lon), float(data.lat), crs)
    except coords.CoordinateError as exc:
        raise InvalidInput(str(exc), field=getattr(exc, "field", None) or "crs") from None


def _point(lon: float, lat: float) -> WKTElement:
    return WKTElement(f"SRID=4326;POINT({lon!r} {lat!r})", extended=True)


def _unique(session: Session, *, code: str, mn: str | None, exclude_id: int | None = None) -> None:
    clash = select(MonitorStation.id).where(MonitorStation.code == code)
    if exclude_id is not None:
        clash = clash.where(MonitorStation.id != exclude_id)
    if session.scalar(clash) is not None:
        raise Conflict(f"a station with code {code!r} exists", field="code")
    if mn is not None:
        clash = select(MonitorStation.id).where(MonitorStation.mn == mn)
        if exclude_id is not None:
            clash = clash.where(MonitorStation.id != exclude_id)
        if session.scalar(clash) is not None:
            raise Conflict(f"a station with device number {mn!r} exists", field="mn")


def create_station(session: Session, *, data: StationIn) -> MonitorStation:
    lon, lat = _check(session, data)
    pollutants = check_pollutants(data.pollutants)
    _unique(session, code=data.code, mn=data.mn)
    station = MonitorStation(code=data.code.strip(), name=data.name.strip(), kind=data.kind, mn=data.mn,
                             password_hash=hash_password(data.password) if data.password else None,
                             source_id=data.source_id, geom=_point(lon, lat), pollutants=pollutants,
                             noise_class=data.noise_class, active=data.active)
    session.add(station)
    session.flush()
    return station


def update_station(session: Session, *, station_id: int, changes: Mapping[str, Any]) -> MonitorStation:
    station = get_station(session, station_id=station_id)
    lon, lat = lon_lat(station)
    current = StationIn(code=station.code, name=station.name, kind=station.kind, lon=lon, lat=lat, mn=station.mn,
                        password=None, source_id=station.source_id, pollutants=list(station.pollutants),
                        noise_class=station.noise_class, active=station.active)
    for name, value in changes.items():
        if value is None and name in REQUIRED_FIELDS:
            raise InvalidInput(f"{name} cannot be emptied", field=name)
        setattr(current, name, value)
    if current.mn is not None and current.password is None and station.password_hash is not None:
        current.password = "unchanged"  # only for the check that a sending station has a password
    lon, lat = _check(session, current)
    pollutants = check_pollutants(current.pollutants)
    _unique(session, code=current.code, mn=current.mn, exclude_id=station.id)
    station.code, station.name, station.kind, station.mn = current.code.strip(), current.name.strip(), \
        current.kind, current.mn
    station.source_id, station.noise_class, station.active = current.source_id, current.noise_class, current.active
    station.pollutants = pollutants
    station.geom = _point(lon, lat)
    if changes.get("password"):
        station.password_hash = hash_password(changes["password"])
    station.updated_at = datetime.now(UTC)
    session.flush()
    return station


def get_station(session: Session, *, station_id: int) -> MonitorStation:
    station = session.get(MonitorStation, station_id)
    if station is None:
        raise NotFound(f"station {station_id} not found", field="station_id")
    return station


def station_by_mn(session: Session, *, mn: str) -> MonitorStation | None:
    return session.scalars(select(MonitorStation).where(MonitorStation.mn == mn)).one_or_none()


def station_by_code_or_mn(session: Session, *, ref: str) -> MonitorStation | None:
    return session.scalars(select(MonitorStation).where((MonitorStation.code == ref) | (MonitorStation.mn == ref))
                           .order_by(MonitorStation.id).limit(1)).first()


def list_stations(session: Session, *, kind: str | None = None, source_id: int | None = None,
                  limit: int = 100, offset: int = 0) -> tuple[list[MonitorStation], int]:
    query = select(MonitorStation)
    if kind is not None:
        query = query.where(MonitorStation.kind == kind)
    if source_id is not None:
        query = query.where(MonitorStation.source_id == source_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(MonitorStation.id).limit(limit).offset(offset)))
    return rows, total


def lon_lat(station: MonitorStation) -> tuple[float, float]:
    point = to_shape(station.geom)
    return round(point.x, 7), round(point.y, 7)


def unit_for(station: MonitorStation, code: str) -> str | None:
    """The unit the station sends ``code`` in: its registry entry, else the code's usual unit."""
    for entry in station.pollutants or []:
        if entry.get("code") == code:
            return entry.get("unit")
    known = codes.get(code)
    return known.unit if known else None


# -- file import -------------------------------------------------------------------------------------

IMPORT_FIELDS = ("code", "name", "kind", "lon", "lat", "crs", "mn", "password", "source_credit_code", "source_id",
                 "pollutants", "noise_class")


def parse_pollutants(text: str) -> list[dict[str, str]]:
    """``a21028:mg/m3;a21001:mg/m3;a01008`` (unit optional) to registry entries."""
    out = []
    for part in (text or "").replace("，", ";").replace(",", ";").split(";"):
        part = part.strip()
        if part:
            code, _, unit = part.partition(":")
            out.append({"code": code.strip(), "unit": unit.strip()})
    return out


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def import_stations(session: Session, *, text: str) -> ImportReport:
    """Create or update (by station code) one station per CSV row; rows with errors are reported, not stored.

    Columns: code, name, kind, lon, lat, crs, mn, password, source_credit_code (or source_id),
    pollutants (``a21028:mg/m3;a21001``), noise_class.
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for number, row in enumerate(reader, start=2):
        try:
            with session.begin_nested():
                _import_row(session, row, report)
        except (InvalidInput, NotFound, Conflict) as exc:
            report.errors.append(RowError(number, exc.field or "row", exc.message))
        except (TypeError, ValueError) as exc:
            report.errors.append(RowError(number, "row", str(exc)))
    return report


def _import_row(session: Session, row: Mapping[str, str | None], report: ImportReport) -> None:
    def cell(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    source_id = int(cell("source_id") or "0") or None
    if cell("source_credit_code"):
        source_id = session.scalar(select(Source.id).where(Source.credit_code == cell("source_credit_code")))
        if source_id is None:
            raise NotFound(f"no source with credit code {cell('source_credit_code')}", field="source_credit_code")
    try:
        lon, lat = float(cell("lon") or ""), float(cell("lat") or "")
    except ValueError:
        raise InvalidInput("lon and lat must be numbers", field="lon") from None
    data = StationIn(code=cell("code") or "", name=cell("name") or "", kind=cell("kind") or "", lon=lon, lat=lat,
                     crs=cell("crs") or "wgs84", mn=cell("mn"), password=cell("password"), source_id=source_id,
                     pollutants=parse_pollutants(cell("pollutants") or ""), noise_class=cell("noise_class"))
    existing = session.scalars(select(MonitorStation).where(MonitorStation.code == data.code)).one_or_none()
    if existing is None:
        create_station(session, data=data)
        report.created += 1
    else:
        changes = {k: v for k, v in vars(data).items() if k not in ("code", "password") or v is not None}
        update_station(session, station_id=existing.id, changes=changes)
        report.updated += 1
