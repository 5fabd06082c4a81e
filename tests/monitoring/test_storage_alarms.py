from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from ecogrid.core.models import MonitorAlarm, MonitorReading, PermitLimit, WeatherRecord
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import alarms, storage
from tests.monitoring.support import add_source, add_station

SETTINGS = Settings(secret_key="x" * 40, database_url="postgresql+psycopg://unused/unused")
T0 = datetime(2026, 5, 12, 10, 0, tzinfo=BEIJING)


def reading(code: str, value: float, at: datetime, interval: str = "minute", unit: str | None = "mg/m3",
            flag: str = "N") -> storage.ReadingIn:
    return storage.ReadingIn(code=code, interval=interval, measured_at=at, value=value, unit=unit, flag=flag)


def partitions(db) -> set[str]:
    return set(db.scalars(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                               "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'monitor_readings'")))


def store_and_judge(db, station, readings):
    fresh = storage.store(db, station=station, readings=readings)
    return fresh, alarms.record_exceedances(db, station=station, readings=fresh, settings=SETTINGS)


def test_readings_land_in_beijing_month_partitions_made_as_needed(db):
    station = add_station(db)
    before = partitions(db)
    # 16:30 UTC on 28 February is 00:30 on 1 March in Beijing: the March partition.
    late = datetime(2027, 2, 28, 16, 30, tzinfo=UTC)
    fresh = storage.store(db, station=station, readings=[reading("a21028", 0.01, datetime(2027, 1, 15, tzinfo=BEIJING)),
                                                         reading("a21028", 0.01, late)])
    assert len(fresh) == 2
    assert partitions(db) - before == {"monitor_readings_y2027m01", "monitor_readings_y2027m03"}
    in_march = db.scalar(text("SELECT count(*) FROM monitor_readings_y2027m03"))
    assert in_march == 1


def test_a_resent_packet_stores_nothing_twice(db):
    station = add_station(db)
    rows = [reading("a21028", 0.02, T0 + timedelta(minutes=i)) for i in range(5)]
    assert len(storage.store(db, station=station, readings=rows)) == 5
    assert storage.store(db, station=station, readings=rows) == []
    assert db.scalar(select(text("count(*)")).select_from(MonitorReading).where(
        MonitorReading.station_id == station.id)) == 5


def test_an_hour_over_the_odour_limit_is_one_alarm_and_a_later_one_another(db):
    source = add_source(db)
    station = add_station(db, source_id=source.id)
    run = [reading("a21028", round(0.05 + 0.01 * i, 3), T0 + timedelta(minutes=i)) for i in range(10)]
    _, touched = store_and_judge(db, station, run)
    assert len(touched) == 1
    alarm = touched[0]
    assert alarm.standard == "GB 14554-93" and alarm.limit_value == 0.06
    assert alarm.readings == 8 and alarm.peak_value == 0.14
    assert alarm.first_at == T0 + timedelta(minutes=2)
    _, later = store_and_judge(db, station, [reading("a21028", 0.2, T0 + timedelta(hours=3))])
    assert len(later) == 1 and later[0].id != alarm.id
    assert db.scalar(select(text("count(*)")).select_from(MonitorAlarm)) == 2


def test_values_in_maintenance_real_time_or_within_limits_open_nothing(db):
    station = add_station(db)
    _, touched = store_and_judge(db, station, [
        reading("a21028", 0.5, T0, flag="M"),  # maintenance: not a measurement
        reading("a21028", 0.5, T0, interval="rtd"),  # real-time values are not judged
        reading("a21028", 0.05, T0 + timedelta(minutes=1)),  # within 0.06
        reading("a01001", 45.0, T0, unit="℃"),  # no limit for air temperature
    ])
    assert touched == []


def test_a_permit_limit_is_judged_before_the_standards(db):
    source = add_source(db, industry="chemical", categories=("smoke", "odour"))
    station = add_station(db, code="STK-1", kind="stack", mn="MNSTK", source_id=source.id,
                          pollutants=[{"code": "a21026", "unit": "mg/m3"}, {"code": "a21028", "unit": "mg/m3"}])
    db.add_all([PermitLimit(source_id=source.id, code="a21026", limit_value=50.0, unit="mg/m3", interval="hour",
                            basis="排污许可证 91370200MA3C00001X（GB 16297-1996 表2）"),
                PermitLimit(source_id=source.id, code="a21028", limit_value=0.5, unit="ug/m3", interval="any",
                            basis="排污许可证")])
    db.flush()
    _, touched = store_and_judge(db, station, [reading("a21026", 60.0, T0, interval="hour"),
                                               reading("a21026", 45.0, T0 + timedelta(hours=1), interval="hour"),
                                               reading("a21028", 0.0004, T0, interval="minute")])
    by_code = {a.code: a for a in touched}
    assert set(by_code) == {"a21026"}
    assert by_code["a21026"].standard == "permit" and "GB 16297" in by_code["a21026"].verdict["standard_name"]
    # 0.0004 mg/m3 is 0.4 ug/m3: within the permit's 0.5 ug/m3 once both are in one unit.
    _, more = store_and_judge(db, station, [reading("a21028", 0.0006, T0 + timedelta(minutes=5))])
    assert [a.code for a in more] == ["a21028"]


def test_air_quality_hours_are_judged_by_the_iaqi_and_noise_by_its_class(db):
    aq = add_station(db, code="AQ-1", kind="air_quality", mn="MNAQ", pollutants=[{"code": "a34004", "unit": "ug/m3"}])
    _, none = store_and_judge(db, aq, [reading("a34004", 120.0, T0, unit="ug/m3")])  # a minute: not judged
    _, hourly = store_and_judge(db, aq, [reading("a34004", 120.0, T0, interval="hour", unit="ug/m3")])
    assert none == [] and len(hourly) == 1 and hourly[0].limit_value == 75.0
    noise = add_station(db, code="NZ-1", kind="noise", mn="MNNZ", noise_class="2",
                        pollutants=[{"code": "LA", "unit": "dB(A)"}])
    _, loud = store_and_judge(db, noise, [reading("LA", 65.0, T0, interval="hour", unit="dB(A)"),
                                          reading("LA", 58.0, T0 + timedelta(hours=1), interval="hour", unit="dB(A)")])
    assert len(loud) == 1 and loud[0].limit_value == 60.0 and loud[0].standard.startswith("GB 3096")


def test_wind_of_a_station_becomes_a_weather_record(db):
    station = add_station(db, code="WX-1", kind="weather", mn="MNWX",
                          pollutants=[{"code": "a01008", "unit": "degrees"}, {"code": "a01007", "unit": "m/s"}])
    storage.store(db, station=station, readings=[reading("a01008", 275.0, T0, unit="degrees"),
                                                 reading("a01007", 3.2, T0, unit="m/s"),
                                                 reading("a01008", 90.0, T0 + timedelta(minutes=1), unit="degrees")])
    records = db.scalars(select(WeatherRecord).where(WeatherRecord.station_id == station.id)).all()
    assert [(r.wind_from_deg, r.wind_speed_ms, r.observed_at) for r in records] == [(275.0, 3.2, T0)]


def test_series_are_bucketed_beyond_the_point_limit(db):
    station = add_station(db)
    storage.store(db, station=station, readings=[reading("a21028", float(i % 7), T0 + timedelta(minutes=i))
                                                 for i in range(600)])
    raw, bucket = storage.series(db, station_id=station.id, code="a21028", interval="minute", start=T0,
                                 end=T0 + timedelta(hours=10), max_points=1000)
    assert len(raw) == 600 and bucket is None
    coarse, bucket = storage.series(db, station_id=station.id, code="a21028", interval="minute", start=T0,
                                    end=T0 + timedelta(hours=10), max_points=100)
    assert bucket is not None and len(coarse) <= 101
    assert abs(sum(p.value for p in coarse) / len(coarse) - sum(i % 7 for i in range(600)) / 600) < 0.2
