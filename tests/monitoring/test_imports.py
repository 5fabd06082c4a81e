from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

from sqlalchemy import func, select

from ecogrid.core.models import Case, MonitorAlarm, MonitorReading, WeatherRecord
from ecogrid.core.time import BEIJING
from ecogrid.sources import suspects as suspect_service
from tests.monitoring.support import add_source, add_station


def test_readings_over_http_are_stored_once_and_judged(client, db, auth):
    source = add_source(db)
    add_station(db, code="B-HTTP", mn="MNHTTP", source_id=source.id)
    headers = auth("planner")
    items = [{"station": "B-HTTP", "code": "a21028", "interval": "minute", "measured_at": "2026-06-01T08:00:00",
              "value": 0.02},
             {"station": "MNHTTP", "parameter": "h2s", "interval": "minute", "measured_at": "2026-06-01T08:01:00",
              "value": 90, "unit": "ug/m3"},
             {"station": "B-HTTP", "code": "a21001", "interval": "hour", "measured_at": "2026-06-01T08:00:00+08:00",
              "value": 0.4}]
    r = client.post("/api/v1/monitoring/readings", headers=headers, json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows"], body["stored"], body["duplicates"]) == (3, 3, 0)
    assert len(body["alarm_ids"]) == 1  # 90 ug/m3 of H2S is over GB 14554's 0.06 mg/m3
    alarm = db.get(MonitorAlarm, body["alarm_ids"][0])
    assert alarm.first_at == datetime(2026, 6, 1, 8, 1, tzinfo=BEIJING)  # no offset: Beijing time
    again = client.post("/api/v1/monitoring/readings", headers=headers, json={"items": items}).json()
    assert (again["stored"], again["duplicates"], again["alarm_ids"]) == (0, 3, [])


def test_a_bad_row_stores_nothing_and_is_named(client, db, auth):
    add_station(db, code="B-BAD", mn="MNBAD")
    items = [{"station": "B-BAD", "code": "a21028", "measured_at": "2026-06-01T08:00:00", "value": 0.02},
             {"station": "B-BAD", "code": "a21028", "measured_at": "2026-06-01T09:00:00", "value": 1,
              "unit": "dB(A)"},
             {"station": "NOPE", "code": "a21028", "measured_at": "yesterday", "value": 1}]
    r = client.post("/api/v1/monitoring/readings", headers=auth("chief"), json={"items": items})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == "items[1].unit" and "nothing stored" in detail["msg"]
    assert "row 3 station" in detail["msg"] and "row 3 measured_at" in detail["msg"]
    control = client.post("/api/v1/monitoring/readings", headers=auth("chief"), json={"items": [
        {"station": "B-\x00BAD", "code": "a21028", "measured_at": "2026-06-01T08:00:00", "value": 1}]})
    assert control.status_code == 422 and control.json()["detail"][0]["loc"][-1] == "station"
    assert db.scalar(select(func.count()).select_from(MonitorReading)) == 0
    assert client.post("/api/v1/monitoring/readings", headers=auth("inspector"),
                       json={"items": items[:1]}).status_code == 403


def test_wind_from_a_weather_station_steers_the_suspects(client, db, auth, settings):
    """Wind imported over HTTP is what the suspects' wind factor reads (no demo data involved)."""
    station = add_station(db, code="WX-1", kind="weather", mn="MNWX1", lon=120.40, lat=36.10, name="区气象站",
                          pollutants=[{"code": "a01008"}, {"code": "a01007"}])
    west = add_source(db, lon=120.39, lat=36.10, name="西厂", credit_code="91370200MA3C00011X",
                      industry="chemical", categories=("odour",))
    east = add_source(db, lon=120.41, lat=36.10, name="东厂", credit_code="91370200MA3C00012X",
                      industry="chemical", categories=("odour",))
    opened = datetime(2026, 6, 2, 21, 0, tzinfo=BEIJING)
    case = Case(kind="complaint", category="odour", channel="hotline_12345", opened_at=opened,
                last_complaint_at=opened, geom="SRID=4326;POINT(120.40 36.10)")
    db.add(case)
    db.flush()
    r = client.post("/api/v1/monitoring/weather", headers=auth("planner"), json={"items": [
        {"station": "WX-1", "observed_at": "2026-06-02T20:00:00", "wind_from_deg": 268, "wind_speed_ms": 3.4},
        {"station": "WX-1", "observed_at": "2026-06-02T21:00:00", "wind_from_deg": 272, "wind_speed_ms": 3.1}]})
    assert r.status_code == 200 and r.json()["stored"] == 2
    ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ranking.wind is not None and ranking.wind.station == "WX-1" and ranking.wind.wind_from_deg == 272
    assert [s.source_id for s in ranking.suspects][:2] == [west.id, east.id]  # the wind blows from the west
    assert "上风向" in ranking.suspects[0].explanation[0]
    assert db.scalar(select(func.count()).select_from(WeatherRecord)
                     .where(WeatherRecord.station_id == station.id)) == 2


def test_bad_wind_is_refused_naming_the_field(client, db, auth):
    add_station(db, code="WX-2", kind="weather", mn="MNWX2", pollutants=[{"code": "a01008"}])
    r = client.post("/api/v1/monitoring/weather", headers=auth("planner"), json={"items": [
        {"station": "WX-2", "observed_at": "2026-06-02T20:00:00", "wind_from_deg": 400, "wind_speed_ms": 3}]})
    assert r.status_code == 422 and "wind_from_deg" in str(r.json()["detail"][0]["loc"])


def test_cli_imports_readings_and_wind_from_csv(tmp_path, cluster):
    from ecogrid.core import migrate
    from ecogrid.core.database import Database
    from tests.databases import scratch_database

    with scratch_database(cluster, "monitors_cli") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            add_station(session, code="B-CLI", mn="MNCLI")
            add_station(session, code="WX-CLI", kind="weather", mn="MNWXCLI", pollutants=[{"code": "a01008"}])
            session.commit()
        readings = tmp_path / "readings.csv"
        readings.write_text("station,code,interval,measured_at,value\nB-CLI,a21028,minute,2026-06-01 08:00,0.01\n"
                            "B-CLI,a21028,minute,2026-06-01 08:01,0.2\n", encoding="utf-8")
        weather = tmp_path / "weather.csv"
        weather.write_text("station,observed_at,wind_from_deg,wind_speed_ms\nWX-CLI,2026-06-01 08:00,45,2.5\n"
                           "WX-CLI,2026-06-01 09:00,north,2.5\n", encoding="utf-8")
        env = {**os.environ, "DATABASE_URL": url}
        run = [sys.executable, "-m", "ecogrid.cli", "monitors"]
        ok = subprocess.run([*run, "import-readings", str(readings)], capture_output=True, text=True, env=env,
                            timeout=120)
        assert ok.returncode == 0, ok.stderr
        assert "stored 2 readings" in ok.stdout and "1 alarms" in ok.stdout
        bad = subprocess.run([*run, "import-weather", str(weather)], capture_output=True, text=True, env=env,
                             timeout=120)
        assert bad.returncode == 2 and "row 3: wind_from_deg" in bad.stderr
        with database.sessionmaker() as session:
            assert session.scalar(select(func.count()).select_from(WeatherRecord)) == 0
        database.dispose()
