"""Online monitoring API: the station registry, readings and wind import, permit limits, alarms (and the
case an alarm becomes), a station's readings, the monitors beside a case, and the chief's correlation."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.deps import CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.params import Day, Id, Moment, Offset
from ecogrid.core import authorization, text_rules, value_ranges
from ecogrid.core.errors import InvalidInput, NotFound, RowError
from ecogrid.core.models import MonitorAlarm, MonitorStation, PermitLimit, Source
from ecogrid.core.time import as_aware, rfc3339
from ecogrid.core.vocabulary import Category, StationKind, label
from ecogrid.monitoring import alarms as alarm_service
from ecogrid.monitoring import codes, correlation, evidence, imports
from ecogrid.monitoring import schemas as s
from ecogrid.monitoring import stations as station_service

router = APIRouter(prefix="/api/v1", tags=["monitoring"])

Editor = Annotated[Principal, Depends(require_roles("chief", "planner"))]
Intake = Annotated[Principal, Depends(require_roles("chief", "clerk"))]
Chief = Annotated[Principal, Depends(require_roles("chief"))]
MAX_SERIES_DAYS = 92


def station_read(station: MonitorStation) -> s.StationRead:
    lon, lat = station_service.lon_lat(station)
    pollutants = []
    for p in station.pollutants or []:
        known = codes.get(p["code"])
        pollutants.append(s.PollutantRead(code=p["code"], unit=p["unit"], parameter=known.parameter if known else None,
                                          label_zh=codes.label(p["code"], "zh"), label_en=codes.label(p["code"], "en")))
    return s.StationRead(id=station.id, code=station.code, name=station.name, kind=station.kind,
                         kind_zh=label(station.kind, "zh"), mn=station.mn,
                         has_password=station.password_hash is not None, source_id=station.source_id, lon=lon, lat=lat,
                         pollutants=pollutants, noise_class=station.noise_class, active=station.active,
                         created_at=station.created_at, updated_at=station.updated_at)


@router.get("/monitoring/vocabulary", response_model=s.VocabularyRead)
def vocabulary(_: CurrentPrincipal) -> s.VocabularyRead:
    return s.VocabularyRead(
        kinds=[s.KindRead(kind=k.value, label_zh=label(k.value, "zh"), label_en=label(k.value, "en"))
               for k in StationKind],
        codes=[s.CodeRead(**asdict(c)) for c in codes.all_codes().values()],
        flags=[s.FlagRead(flag=f, label_zh=v["label_zh"], label=v["label"], judged=v["judged"])
               for f, v in codes.flags().items()])


@router.get("/monitoring/stations", response_model=s.StationList)
def list_stations(session: DbSession, _: CurrentPrincipal, kind: StationKind | None = None,
                  source_id: Annotated[int | None, Query(ge=1, le=value_ranges.INT4_MAX)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0) -> s.StationList:
    rows, total = station_service.list_stations(session, kind=kind.value if kind else None, source_id=source_id,
                                                limit=limit, offset=offset)
    return s.StationList(items=[station_read(r) for r in rows], total=total)


@router.get("/monitoring/stations/{station_id}", response_model=s.StationRead)
def get_station(station_id: Id, session: DbSession, _: CurrentPrincipal) -> s.StationRead:
    return station_read(station_service.get_station(session, station_id=station_id))


@router.post("/monitoring/stations", status_code=201, response_model=s.StationRead,
             responses={404: {"description": "source_id names no source"},
                        409: {"description": "code or mn already used"}})
def create_station(body: s.StationCreate, session: DbSession, _: Editor) -> s.StationRead:
    data = station_service.StationIn(**body.model_dump(mode="json", exclude={"pollutants"}),
                                     pollutants=[p.model_dump() for p in body.pollutants])
    station = station_service.create_station(session, data=data)
    session.commit()
    return station_read(station)


@router.patch("/monitoring/stations/{station_id}", response_model=s.StationRead,
              responses={404: {"description": "no such station or source"}, 409: {"description": "code or mn used"}})
def update_station(station_id: Id, body: s.StationUpdate, session: DbSession, _: Editor) -> s.StationRead:
    changes = body.model_dump(mode="json", exclude_unset=True)
    station = station_service.update_station(session, station_id=station_id, changes=changes)
    session.commit()
    return station_read(station)


def _series_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = as_aware(end) if end else datetime.now(UTC)
    start = as_aware(start) if start else end - timedelta(days=1)
    if start >= end:
        raise InvalidInput("from must lie before to", field="from")
    if end - start > timedelta(days=MAX_SERIES_DAYS):
        raise InvalidInput(f"at most {MAX_SERIES_DAYS} days at once", field="from")
    return start, end


@router.get("/monitoring/stations/{station_id}/readings", response_model=s.StationSeriesRead)
def station_readings(station_id: Id, session: DbSession, _: CurrentPrincipal,
                     date_from: Annotated[Moment | None, Query(alias="from")] = None,
                     date_to: Annotated[Moment | None, Query(alias="to")] = None) -> s.StationSeriesRead:
    station = station_service.get_station(session, station_id=station_id)
    start, end = _series_period(date_from, date_to)
    series = evidence.station_series(session, station=station, start=start, end=end)
    return s.StationSeriesRead(station_id=station.id, start=rfc3339(start) or "", end=rfc3339(end) or "",
                               series=[_series(x) for x in series])


def _series(x: evidence.Series) -> s.SeriesRead:
    return s.SeriesRead(code=x.code, label_zh=x.label_zh, label_en=x.label_en, unit=x.unit, interval=x.interval,
                        bucket_s=x.bucket_s, points=[s.PointRead(at=at, value=v) for at, v in x.points],
                        limit=x.limit, standard=x.standard)


def _refuse_rows(errors: list[RowError]) -> None:
    first = errors[0]
    more = f" (and {len(errors) - 1} more: " + "; ".join(f"row {e.row} {e.field}: {e.reason}" for e in errors[1:6]) \
        + ")" if len(errors) > 1 else ""
    raise InvalidInput(f"row {first.row}: {first.field}: {first.reason}{more}; nothing stored",
                       field=f"items[{first.row - 1}].{first.field}")


@router.post("/monitoring/readings", response_model=s.ImportResultRead,
             responses={422: {"description": "a row is refused (named); nothing is stored"}})
def import_readings(body: s.ReadingsImport, session: DbSession, settings: SettingsDep,
                    _: Editor) -> s.ImportResultRead:
    result = imports.import_readings(session, rows=[r.model_dump() for r in body.items], settings=settings)
    if result.errors:
        session.rollback()
        _refuse_rows(result.errors)
    session.commit()
    return s.ImportResultRead(rows=result.rows, stored=result.stored, duplicates=result.duplicates,
                              alarm_ids=result.alarm_ids)


@router.post("/monitoring/weather", response_model=s.ImportResultRead,
             responses={422: {"description": "a row is refused (named); nothing is stored"}})
def import_weather(body: s.WeatherImport, session: DbSession, settings: SettingsDep,
                   _: Editor) -> s.ImportResultRead:
    result = imports.import_weather(session, rows=[r.model_dump() for r in body.items], settings=settings)
    if result.errors:
        session.rollback()
        _refuse_rows(result.errors)
    session.commit()
    return s.ImportResultRead(rows=result.rows, stored=result.stored, duplicates=result.duplicates, alarm_ids=[])


def _permit_read(p: PermitLimit) -> s.PermitLimitRead:
    return s.PermitLimitRead(id=p.id, source_id=p.source_id, code=p.code, limit_value=p.limit_value, unit=p.unit,
                             interval=p.interval, basis=p.basis)


def _permits(session: Session, source_id: int) -> s.PermitLimitList:
    rows = list(session.scalars(select(PermitLimit).where(PermitLimit.source_id == source_id)
                                .order_by(PermitLimit.code, PermitLimit.interval)))
    return s.PermitLimitList(items=[_permit_read(p) for p in rows], total=len(rows))


@router.get("/monitoring/sources/{source_id}/permit-limits", response_model=s.PermitLimitList)
def get_permit_limits(source_id: Id, session: DbSession, _: CurrentPrincipal) -> s.PermitLimitList:
    if session.get(Source, source_id) is None:
        raise NotFound(f"source {source_id} not found", field="source_id")
    return _permits(session, source_id)


@router.put("/monitoring/sources/{source_id}/permit-limits", response_model=s.PermitLimitList)
def put_permit_limits(source_id: Id, body: s.PermitLimitsPut, session: DbSession, _: Editor) -> s.PermitLimitList:
    """Replace the source's registered limits with these (an empty list removes them)."""
    if session.get(Source, source_id) is None:
        raise NotFound(f"source {source_id} not found", field="source_id")
    checked = station_service.check_pollutants([{"code": p.code, "unit": p.unit} for p in body.items],
                                               field_name="items")
    for i, entry in enumerate(body.items):
        text_rules.check_text(entry.basis, field=f"items[{i}].basis")
    keys = [(p.code, p.interval) for p in body.items]
    if len(set(keys)) != len(keys):
        raise InvalidInput("a code and interval is given twice", field="items")
    session.execute(delete(PermitLimit).where(PermitLimit.source_id == source_id))
    for entry, unit in zip(body.items, checked, strict=True):
        session.add(PermitLimit(source_id=source_id, code=entry.code, limit_value=entry.limit_value,
                                unit=unit["unit"], interval=entry.interval, basis=entry.basis))
    session.commit()
    return _permits(session, source_id)


def alarm_read(alarm: MonitorAlarm, station: MonitorStation) -> s.AlarmRead:
    return s.AlarmRead(id=alarm.id, station_id=station.id, station_code=station.code, station_name=station.name,
                       source_id=station.source_id, code=alarm.code, parameter=alarm.parameter,
                       label_zh=codes.label(alarm.code, "zh"), label_en=codes.label(alarm.code, "en"),
                       interval=alarm.interval, first_at=alarm.first_at,
                       last_at=alarm.last_at, value=alarm.value, peak_value=alarm.peak_value,
                       unit=alarm.unit, limit_value=alarm.limit_value, standard=alarm.standard,
                       standard_name=alarm.verdict.get("standard_name"), readings=alarm.readings,
                       status=alarm.status, case_id=alarm.case_id)


def _alarm_read(session: Session, alarm: MonitorAlarm) -> s.AlarmRead:
    station = session.get(MonitorStation, alarm.station_id)
    assert station is not None
    return alarm_read(alarm, station)


@router.get("/monitoring/alarms", response_model=s.AlarmList)
def list_alarms(session: DbSession, _: CurrentPrincipal,
                status: Literal["open", "case", "dismissed"] | None = None,
                station_id: Annotated[int | None, Query(ge=1, le=value_ranges.INT4_MAX)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0) -> s.AlarmList:
    rows, total = alarm_service.list_alarms(session, status=status, station_id=station_id, limit=limit, offset=offset)
    return s.AlarmList(items=[_alarm_read(session, a) for a in rows], total=total)


@router.get("/monitoring/alarms/{alarm_id}", response_model=s.AlarmRead)
def get_alarm(alarm_id: Id, session: DbSession, _: CurrentPrincipal) -> s.AlarmRead:
    return _alarm_read(session, alarm_service.get_alarm(session, alarm_id=alarm_id))


@router.post("/monitoring/alarms/{alarm_id}/case", response_model=s.AlarmCaseRead,
             responses={409: {"description": "the alarm was dismissed"}})
def alarm_to_case(alarm_id: Id, session: DbSession, settings: SettingsDep, principal: Intake) -> s.AlarmCaseRead:
    """Open (or return) the alarm's case: intake on channel ``monitoring``, the reading as first evidence."""
    result = alarm_service.open_case(session, alarm_id=alarm_id, actor_id=principal.user_id, settings=settings)
    session.commit()
    return s.AlarmCaseRead(alarm=_alarm_read(session, result.alarm), case_id=result.case_id, created=result.created)


@router.post("/monitoring/alarms/{alarm_id}/dismiss", response_model=s.AlarmRead,
             responses={409: {"description": "the alarm is already a case"}})
def dismiss_alarm(alarm_id: Id, session: DbSession, _: Chief) -> s.AlarmRead:
    alarm = alarm_service.dismiss(session, alarm_id=alarm_id)
    session.commit()
    return _alarm_read(session, alarm)


@router.get("/cases/{case_id}/monitoring", response_model=s.CaseMonitoringRead,
            responses={404: {"description": "no such case, or not one the caller may see"}})
def case_monitoring(case_id: Id, session: DbSession, settings: SettingsDep,
                    principal: CurrentPrincipal) -> s.CaseMonitoringRead:
    """Nearby monitors' readings around the case's complaint times, and the wind at those times."""
    case = authorization.check_sees_case(session, case_id=case_id, user_id=principal.user_id, role=principal.role)
    found = evidence.case_monitoring(session, case=case, settings=settings)
    return s.CaseMonitoringRead(
        case_id=found.case_id, start=found.start, end=found.end, complaint_times=found.complaint_times,
        stations=[s.NearbyStationRead(station_id=x.station_id, code=x.code, name=x.name, kind=x.kind,
                                      source_id=x.source_id, distance_m=x.distance_m,
                                      series=[_series(y) for y in x.series]) for x in found.stations],
        winds=[s.WindRead(**asdict(w)) for w in found.winds])


@router.get("/monitoring/correlation", response_model=s.CorrelationRead,
            responses={404: {"description": "no such source, or it has no monitor"}})
def correlation_view(session: DbSession, settings: SettingsDep, _: Chief, source_id: Id, rectified_on: Day,
                     days: Annotated[int, Query(ge=1, le=correlation.MAX_DAYS)] = 30,
                     station_id: Annotated[int | None, Query(ge=1, le=value_ranges.INT4_MAX)] = None,
                     code: Annotated[str | None, Query(max_length=16)] = None, category: Category | None = None,
                     radius_m: Annotated[float | None, Query(gt=0, le=50_000)] = None) -> s.CorrelationRead:
    """Complaints per day near a source against its monitor's daily means, before and after a rectification."""
    result = correlation.correlate(session, source_id=source_id, rectified_on=rectified_on, days=days,
                                   settings=settings, station_id=station_id, code=code,
                                   category=category.value if category else None, radius_m=radius_m)
    return s.CorrelationRead(**asdict(result))
