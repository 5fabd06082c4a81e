"""Exceedances of the limits ecogrid knows open alarms; an alarm can become a case.

Which limit a reading is judged against (the first that applies):

1. the station's source has a registered permit limit for the pollutant (``permit_limits``: the
   permit's figure, or the emission standard the permit names, e.g. GB 16297-1996), for the
   reading's interval or for any interval;
2. boundary and air-quality monitors: NH3 and H2S against GB 14554-93 boundary limits;
3. air-quality stations: SO2, NO2, PM10, PM2.5, CO, O3 hourly and daily values against the IAQI 100
   concentration (HJ 633 / GB 3095, the table in force that day; particles' hourly values by the
   24-hour breakpoints, as HJ 633's hourly report does);
4. noise monitors: hourly LAeq against GB 3096 (or GB 12348 at a plant's boundary) for the station's
   functional class, day or night.

All of 2-4 is ``ecogrid.inspections.readings.judge``: the same verdicts as an inspector's readings.
Only values flagged N (normal) or T (above the measuring range) are judged; minute, hourly and daily
values by default (``monitoring_alarm_intervals``). Exceedances of one station and pollutant less than
``monitoring_alarm_merge_minutes`` apart are one alarm (its peak and count grow), so an hour of minute
data over the limit is one alarm, not sixty.

An alarm becomes a case through complaint intake (channel ``monitoring``, the alarm as external
reference, so asking twice gives the same case); the exceeding reading is stored as the case's first
piece of evidence in ``readings`` with its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ecogrid.complaints import intake
from ecogrid.core.errors import Conflict, NotFound
from ecogrid.core.models import MonitorAlarm, MonitorStation, PermitLimit, Reading, Zone
from ecogrid.core.settings import Settings, get_settings
from ecogrid.core.time import rfc3339
from ecogrid.inspections.readings import judge as judging
from ecogrid.inspections.readings.parameters import ReadingError, load_catalogue
from ecogrid.monitoring import codes, storage
from ecogrid.monitoring import stations as station_service
from ecogrid.zones import service as zone_service

AIR_AVERAGING = {"hour": "1h", "day": "24h"}
# HJ 633 has no 1-hour breakpoints for particles; its hourly real-time report judges them by the 24-hour ones.
PARTICLES = frozenset({"pm10", "pm25"})
ODOUR_STATION_KINDS = frozenset({"boundary", "air_quality"})
# The complaint category of an alarm on a pollutant without one of its own, by station kind.
CATEGORY_BY_KIND = {"outfall": "wastewater", "noise": "noise_industrial", "stack": "smoke", "boundary": "odour",
                    "air_quality": "dust", "weather": "other"}


@dataclass(frozen=True)
class Judgement:
    exceeded: bool
    limit: float
    unit: str | None
    standard: str
    standard_name: str
    verdict: dict[str, Any]


def permit_for(session: Session, *, source_id: int | None, code: str, interval: str) -> PermitLimit | None:
    if source_id is None:
        return None
    rows = session.scalars(select(PermitLimit).where(PermitLimit.source_id == source_id, PermitLimit.code == code,
                                                     PermitLimit.interval.in_((interval, "any")))).all()
    return next((p for p in rows if p.interval == interval), rows[0] if rows else None)


def judge(session: Session, *, station: MonitorStation, reading: storage.ReadingIn) -> Judgement | None:
    """The verdict on one reading against the first limit that applies, or None where none does."""
    parameter = codes.parameter_of(reading.code)
    permit = permit_for(session, source_id=station.source_id, code=reading.code, interval=reading.interval)
    if permit is not None:
        return _against_permit(permit, reading=reading, parameter=parameter)
    if parameter is None:
        return None
    context = _context(session, station=station, parameter=parameter, interval=reading.interval)
    if context is None:
        return None
    try:
        verdict = judging.judge_reading(parameter=parameter, value=reading.value, unit=reading.unit,
                                        measured_at=reading.measured_at, context=context)
    except ReadingError:
        return None  # outside the plausible range, or a context the standard has no figure for
    if verdict is None or verdict.limit is None or isinstance(verdict.limit, tuple):
        return None
    return Judgement(exceeded=verdict.exceeded, limit=float(verdict.limit), unit=verdict.unit,
                     standard=verdict.standard, standard_name=verdict.standard_name, verdict=verdict_json(verdict))


def _context(session: Session, *, station: MonitorStation, parameter: str,
             interval: str) -> judging.JudgeContext | None:
    if parameter in judging.ODOUR_PARAMETERS and station.kind in ODOUR_STATION_KINDS:
        return judging.JudgeContext()
    if parameter in judging.AIR_PARAMETERS and station.kind == "air_quality" and interval in AIR_AVERAGING:
        return judging.JudgeContext(averaging="24h" if parameter in PARTICLES else AIR_AVERAGING[interval])
    if parameter == "noise_laeq" and station.kind in ("noise", "boundary") and interval == "hour":
        noise_class = station.noise_class or _zone_noise_class(session, station)
        if noise_class is None:
            return None
        setting = "industrial_boundary" if station.source_id is not None else "environment"
        return judging.JudgeContext(noise_class=noise_class, noise_setting=setting)
    return None


def _zone_noise_class(session: Session, station: MonitorStation) -> str | None:
    lon, lat = station_service.lon_lat(station)
    hit = zone_service.zone_at(session, lon=lon, lat=lat)
    zone = session.get(Zone, hit.id) if hit is not None else None
    return zone.noise_class if zone is not None else None


def _against_permit(permit: PermitLimit, *, reading: storage.ReadingIn, parameter: str | None) -> Judgement | None:
    value, limit, unit = reading.value, permit.limit_value, permit.unit
    if parameter is not None:
        # Converted without the ambient plausibility range: a stack's concentration is far above any air's.
        measured, allowed = _in_canonical(parameter, reading.value, reading.unit), _in_canonical(parameter, limit, unit)
        if measured is None or allowed is None:
            return None
        value, limit = measured, allowed
        unit = load_catalogue().parameters[parameter].unit
    elif (reading.unit or "").lower() != permit.unit.lower():
        return None  # no conversion known between the two units: not judged rather than judged wrong
    exceeded = value > limit
    verdict = {"parameter": parameter or reading.code, "measured_value": value, "judged_value": value,
               "unit": unit, "standard": "permit", "standard_name": permit.basis, "limit": limit,
               "limit_kind": "max", "exceeded": exceeded, "excess": round(value - limit, 6) if exceeded else 0.0,
               "notes": [f"permit limit of source {permit.source_id} ({permit.interval})"]}
    return Judgement(exceeded=exceeded, limit=limit, unit=unit, standard="permit", standard_name=permit.basis,
                     verdict=verdict)


def _in_canonical(parameter: str, value: float, unit: str | None) -> float | None:
    catalogue = load_catalogue()
    canonical = catalogue.units[catalogue.parameters[parameter].unit]
    name = catalogue.unit_name(unit) if unit else canonical.name
    given = catalogue.units.get(name) if name else None
    if given is None or given.dimension != canonical.dimension:
        return None
    return round(value * given.factor / canonical.factor, 9)


def verdict_json(verdict: judging.Verdict) -> dict[str, Any]:
    return {"parameter": verdict.parameter, "measured_value": verdict.measured_value,
            "judged_value": verdict.judged_value, "unit": verdict.unit, "standard": verdict.standard,
            "standard_name": verdict.standard_name, "limit": verdict.limit, "limit_kind": verdict.limit_kind,
            "exceeded": verdict.exceeded, "excess": verdict.excess, "period": verdict.period,
            "grade": verdict.grade, "index": verdict.index, "notes": list(verdict.notes)}


def limit_line(session: Session, *, station: MonitorStation, code: str, interval: str,
               at: datetime) -> Judgement | None:
    """The limit a reading of ``code`` would be judged against (for a chart's limit line)."""
    return judge(session, station=station, reading=storage.ReadingIn(code=code, interval=interval, measured_at=at,
                                                                       value=0.0, unit=station_service.unit_for(
                                                                           station, code)))


def record_exceedances(session: Session, *, station: MonitorStation, readings: list[storage.ReadingIn],
                       settings: Settings | None = None) -> list[MonitorAlarm]:
    """Judge new readings; open or extend an alarm for each exceedance. Returns the alarms touched."""
    settings = settings or get_settings()
    window = timedelta(minutes=settings.monitoring_alarm_merge_minutes)
    touched: dict[int, MonitorAlarm] = {}
    for reading in sorted(readings, key=lambda r: r.measured_at):
        if reading.interval not in settings.monitoring_alarm_intervals or not codes.flag_is_judged(reading.flag):
            continue
        judgement = judge(session, station=station, reading=reading)
        if judgement is None or not judgement.exceeded:
            continue
        alarm = _merge(session, station=station, reading=reading, judgement=judgement, window=window)
        if alarm is not None:
            touched[alarm.id] = alarm
    return list(touched.values())


def _merge(session: Session, *, station: MonitorStation, reading: storage.ReadingIn, judgement: Judgement,
           window: timedelta) -> MonitorAlarm | None:
    at = reading.measured_at
    judged_value = float(judgement.verdict.get("judged_value") or reading.value)
    alarm = session.scalars(
        select(MonitorAlarm).where(MonitorAlarm.station_id == station.id, MonitorAlarm.code == reading.code,
                                   MonitorAlarm.interval == reading.interval, MonitorAlarm.status != "dismissed",
                                   MonitorAlarm.last_at >= at - window, MonitorAlarm.first_at <= at + window)
        .order_by(MonitorAlarm.last_at.desc()).limit(1).with_for_update()).first()
    if alarm is not None:
        alarm.first_at = min(alarm.first_at, at)
        alarm.last_at = max(alarm.last_at, at)
        if judged_value > alarm.peak_value:
            alarm.peak_value = judged_value
        alarm.readings += 1
        session.flush()
        return alarm
    statement = insert(MonitorAlarm).values(
        station_id=station.id, code=reading.code, parameter=codes.parameter_of(reading.code), interval=reading.interval,
        first_at=at, last_at=at, value=judged_value, peak_value=judged_value, unit=judgement.unit,
        limit_value=judgement.limit, standard=judgement.standard[:128],
        verdict=judgement.verdict | {"standard_name": judgement.standard_name, "measured_at": rfc3339(at),
                                     "flag": reading.flag}, readings=1, status="open",
    ).on_conflict_do_nothing(constraint="uq_monitor_alarms_first").returning(MonitorAlarm.id)
    new_id = session.execute(statement).scalar_one_or_none()
    return session.get(MonitorAlarm, new_id) if new_id is not None else None


def get_alarm(session: Session, *, alarm_id: int, lock: bool = False) -> MonitorAlarm:
    query = select(MonitorAlarm).where(MonitorAlarm.id == alarm_id)
    alarm = session.scalars(query.with_for_update() if lock else query).first()
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} not found", field="alarm_id")
    return alarm


def list_alarms(session: Session, *, status: str | None = None, station_id: int | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[MonitorAlarm], int]:
    query = select(MonitorAlarm)
    if status is not None:
        query = query.where(MonitorAlarm.status == status)
    if station_id is not None:
        query = query.where(MonitorAlarm.station_id == station_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(MonitorAlarm.first_at.desc(), MonitorAlarm.id.desc())
                                .limit(limit).offset(offset)))
    return rows, total


def category_of(alarm: MonitorAlarm, station: MonitorStation) -> str:
    known = codes.get(alarm.code)
    if known is not None and known.category is not None:
        if known.category.startswith("noise") and station.source_id is None:
            return "noise_social"
        return known.category
    return CATEGORY_BY_KIND.get(station.kind, "other")


def describe(alarm: MonitorAlarm, station: MonitorStation) -> str:
    """The case text of an alarm, in Chinese as the bureau files it."""
    return (f"在线监测报警：{station.name}（{station.code}）{codes.label(alarm.code)} "
            f"{alarm.value:g} {alarm.unit or ''}，超过{alarm.verdict.get('standard_name') or alarm.standard}"
            f"限值 {alarm.limit_value:g}；首次 {rfc3339(alarm.first_at)}，峰值 {alarm.peak_value:g}，"
            f"共 {alarm.readings} 个超标数据。")


@dataclass(frozen=True)
class AlarmCase:
    alarm: MonitorAlarm
    case_id: int
    created: bool


def open_case(session: Session, *, alarm_id: int, actor_id: int | None,
              settings: Settings | None = None) -> AlarmCase:
    """The alarm's case, opened through complaint intake with the reading as first evidence (once)."""
    alarm = get_alarm(session, alarm_id=alarm_id, lock=True)
    if alarm.case_id is not None:
        return AlarmCase(alarm, alarm.case_id, created=False)
    if alarm.status == "dismissed":
        raise Conflict(f"alarm {alarm_id} was dismissed", field="alarm_id")
    station = session.get(MonitorStation, alarm.station_id)
    assert station is not None  # a foreign key
    lon, lat = station_service.lon_lat(station)
    registration = intake.register_complaint(session, data=intake.ComplaintIn(
        channel="monitoring", kind="complaint", category=category_of(alarm, station),
        description=describe(alarm, station), lon=lon, lat=lat, received_at=alarm.first_at,
        external_ref=f"monitor-alarm-{alarm.id}", address=None), created_by_id=actor_id, settings=settings,
        with_suspects=False)
    case_id = registration.complaint.case_id
    assert case_id is not None  # a located complaint always has a case
    session.add(Reading(client_id=f"monitor-alarm-{alarm.id}", case_id=case_id,
                        parameter=(alarm.parameter or alarm.code)[:32], value=alarm.value,
                        unit=(alarm.unit or "")[:16], measured_at=alarm.first_at, geom=station.geom,
                        instrument=f"{station.name} ({station.code})"[:128], exceeded=True,
                        verdict=alarm.verdict | {"alarm_id": alarm.id, "station_id": station.id,
                                                 "peak_value": alarm.peak_value, "readings": alarm.readings}))
    alarm.status, alarm.case_id = "case", case_id
    session.flush()
    return AlarmCase(alarm, case_id, created=registration.created)


def dismiss(session: Session, *, alarm_id: int) -> MonitorAlarm:
    alarm = get_alarm(session, alarm_id=alarm_id, lock=True)
    if alarm.case_id is not None:
        raise Conflict(f"alarm {alarm_id} is already case {alarm.case_id}", field="alarm_id")
    alarm.status = "dismissed"
    session.flush()
    return alarm

