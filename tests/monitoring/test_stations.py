from __future__ import annotations

import subprocess
import sys

import pytest

from ecogrid.core.models import MonitorStation
from ecogrid.monitoring import stations as station_service
from tests.monitoring.support import add_source


def test_a_chief_registers_a_plant_monitor_and_reads_it_back(client, db, auth):
    source = add_source(db)
    headers = auth("chief")
    r = client.post("/api/v1/monitoring/stations", headers=headers, json={
        "code": "WS-OUT-1", "name": "污水厂出水口", "kind": "outfall", "lon": 120.401, "lat": 36.101,
        "mn": "MN20260001", "password": "123456", "source_id": source.id,
        "pollutants": [{"code": "w01018"}, {"code": "w21003", "unit": "mg/l"}]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind_zh"] == "废水排放口在线监测" and body["has_password"] is True
    assert "password" not in body and "password_hash" not in body
    assert [(p["code"], p["unit"], p["parameter"]) for p in body["pollutants"]] == [
        ("w01018", "mg/L", "cod"), ("w21003", "mg/L", "nh3n")]
    stored = db.get(MonitorStation, body["id"])
    assert stored.password_hash != "123456" and station_service.password_matches(stored, "123456")
    assert not station_service.password_matches(stored, "654321")
    listed = client.get("/api/v1/monitoring/stations", headers=headers, params={"source_id": source.id}).json()
    assert listed["total"] == 1 and listed["items"][0]["code"] == "WS-OUT-1"


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "tower"}, "kind"),
    ({"kind": "stack", "source_id": None}, "source_id"),
    ({"source_id": 999_999}, "source_id"),
    ({"pollutants": [{"code": "a21028", "unit": "dB(A)"}]}, "pollutants[0].unit"),
    ({"pollutants": [{"code": "a21-028"}]}, "pollutants[0].code"),
    ({"mn": "MN 1"}, "mn"),
    ({"password": "12;34"}, "password"),
    ({"password": None}, "password"),
    ({"lon": 200}, "lon"),
    ({"noise_class": "9"}, "noise_class"),
])
def test_bad_stations_are_refused_naming_the_field(client, db, auth, change, field):
    source = add_source(db)
    body = {"code": "B-1", "name": "厂界", "kind": "boundary", "lon": 120.4, "lat": 36.1, "mn": "MN1",
            "password": "abc123", "source_id": source.id, "pollutants": [{"code": "a21028"}]} | change
    r = client.post("/api/v1/monitoring/stations", headers=auth("planner"), json=body)
    assert r.status_code in (404, 422), r.text
    locs = [d["loc"][-1] for d in r.json()["detail"]]
    assert field in locs or any(str(loc).endswith(field.split(".")[-1]) for loc in locs), r.json()
    assert db.query(MonitorStation).count() == 0


def test_codes_and_device_numbers_are_unique_and_inspectors_cannot_register(client, auth):
    body = {"code": "AQ-1", "name": "国控站", "kind": "air_quality", "lon": 120.4, "lat": 36.1, "mn": "MNAQ1",
            "password": "abc123", "pollutants": [{"code": "a34004"}]}
    assert client.post("/api/v1/monitoring/stations", headers=auth("inspector"), json=body).status_code == 403
    headers = auth("chief")
    assert client.post("/api/v1/monitoring/stations", headers=headers, json=body).status_code == 201
    again = client.post("/api/v1/monitoring/stations", headers=headers, json=body | {"code": "AQ-2"})
    assert again.status_code == 409 and again.json()["detail"][0]["loc"][-1] == "mn"


def test_a_station_is_changed_without_losing_its_password(client, db, auth):
    headers = auth("chief")
    created = client.post("/api/v1/monitoring/stations", headers=headers, json={
        "code": "N-1", "name": "噪声站", "kind": "noise", "lon": 120.4, "lat": 36.1, "mn": "MNN1",
        "password": "abc123", "pollutants": [{"code": "LA"}]}).json()
    r = client.patch(f"/api/v1/monitoring/stations/{created['id']}", headers=headers,
                     json={"name": "噪声自动站", "noise_class": "2"})
    assert r.status_code == 200 and r.json()["name"] == "噪声自动站" and r.json()["noise_class"] == "2"
    assert station_service.password_matches(db.get(MonitorStation, created["id"]), "abc123")
    emptied = client.patch(f"/api/v1/monitoring/stations/{created['id']}", headers=headers, json={"name": None})
    assert emptied.status_code == 422 and emptied.json()["detail"][0]["loc"][-1] == "name"


def test_vocabulary_lists_codes_flags_and_kinds(client, auth):
    body = client.get("/api/v1/monitoring/vocabulary", headers=auth("clerk")).json()
    codes = {c["code"]: c for c in body["codes"]}
    assert codes["a21028"]["parameter"] == "h2s" and codes["a01008"]["parameter"] == "wind_direction"
    assert {f["flag"]: f["judged"] for f in body["flags"]}["M"] is False
    assert {k["kind"] for k in body["kinds"]} == {"air_quality", "stack", "outfall", "boundary", "noise", "weather"}


def test_import_stations_from_csv_reports_bad_rows(db):
    add_source(db, credit_code="91370200MA3C00002X")
    csv_text = ("code,name,kind,lon,lat,mn,password,source_credit_code,pollutants\n"
                "B-1,东厂界,boundary,120.41,36.11,MNB1,pw1,91370200MA3C00002X,a21028:mg/m3;a21001\n"
                "S-1,烟囱,stack,120.41,36.11,MNS1,pw2,,a21026:mg/m3\n"
                "W-1,气象站,weather,120.42,36.12,MNW1,pw3,,a01008;a01007\n")
    report = station_service.import_stations(db, text=csv_text)
    assert (report.created, report.updated) == (2, 0)
    assert [(e.row, e.field) for e in report.errors] == [(3, "source_id")]
    again = station_service.import_stations(db, text=csv_text.replace("东厂界", "东厂界监测点"))
    assert again.updated == 2


def test_cli_lists_the_monitors_commands():
    out = subprocess.run([sys.executable, "-m", "ecogrid.cli", "monitors", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    for command in ("listen", "import-stations", "import-readings", "import-weather"):
        assert command in out.stdout
