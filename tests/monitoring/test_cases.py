from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ecogrid.complaints import intake
from ecogrid.core.models import Case, CaseEvent, Complaint, Reading
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import alarms, storage
from ecogrid.sources import suspects as suspect_service
from tests.monitoring.support import add_source, add_station

T0 = datetime(2026, 6, 10, 20, 0, tzinfo=BEIJING)


def h2s(at: datetime, value: float, interval: str = "minute") -> storage.ReadingIn:
    return storage.ReadingIn(code="a21028", interval=interval, measured_at=at, value=value, unit="mg/m3")


def plant_with_alarm(db, settings):
    source = add_source(db)
    station = add_station(db, source_id=source.id)
    fresh = storage.store(db, station=station, readings=[h2s(T0 + timedelta(minutes=i), 0.03 + 0.02 * i)
                                                         for i in range(6)])
    alarm, = alarms.record_exceedances(db, station=station, readings=fresh, settings=settings)
    return source, station, alarm


def test_an_alarm_becomes_a_case_through_intake_with_the_reading_as_evidence(client, db, auth, settings):
    source, station, alarm = plant_with_alarm(db, settings)
    headers = auth("clerk")
    listed = client.get("/api/v1/monitoring/alarms", headers=headers, params={"status": "open"}).json()
    assert [a["id"] for a in listed["items"]] == [alarm.id] and listed["items"][0]["label_zh"] == "硫化氢"
    r = client.post(f"/api/v1/monitoring/alarms/{alarm.id}/case", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] is True and body["alarm"]["status"] == "case"
    case = db.get(Case, body["case_id"])
    assert (case.channel, case.category, case.status) == ("monitoring", "odour", "registered")
    complaint = db.scalars(select(Complaint).where(Complaint.case_id == case.id)).one()
    assert complaint.external_ref == f"monitor-alarm-{alarm.id}" and "硫化氢" in complaint.description
    assert complaint.received_at == alarm.first_at
    evidence = db.scalars(select(Reading).where(Reading.case_id == case.id)).all()
    assert len(evidence) == 1
    assert evidence[0].exceeded and evidence[0].parameter == "h2s" and evidence[0].verdict["limit"] == 0.06
    assert evidence[0].verdict["alarm_id"] == alarm.id
    events = db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all()
    assert events == ["register"]
    # Asking again returns the same case; nothing is written twice.
    again = client.post(f"/api/v1/monitoring/alarms/{alarm.id}/case", headers=headers).json()
    assert again["case_id"] == case.id and again["created"] is False
    assert db.query(Reading).filter(Reading.case_id == case.id).count() == 1
    case_view = client.get(f"/api/v1/cases/{case.id}", headers=auth("chief"))
    assert case_view.status_code == 200 and case_view.json()["channel"] == "monitoring"


def test_only_intake_roles_open_cases_and_a_dismissed_alarm_stays_closed(client, db, auth, settings):
    _, _, alarm = plant_with_alarm(db, settings)
    assert client.post(f"/api/v1/monitoring/alarms/{alarm.id}/case", headers=auth("inspector")).status_code == 403
    assert client.post(f"/api/v1/monitoring/alarms/{alarm.id}/dismiss", headers=auth("clerk")).status_code == 403
    assert client.post(f"/api/v1/monitoring/alarms/{alarm.id}/dismiss", headers=auth("chief")).status_code == 200
    refused = client.post(f"/api/v1/monitoring/alarms/{alarm.id}/case", headers=auth("clerk"))
    assert refused.status_code == 409
    assert client.post("/api/v1/monitoring/alarms/999999/case", headers=auth("clerk")).status_code == 404


def test_the_suspects_explanation_names_the_monitors_reading(db, settings):
    source, station, alarm = plant_with_alarm(db, settings)
    quiet = add_source(db, lon=120.402, lat=36.101, name="安静工厂", credit_code="91370200MA3C00009X",
                       industry="chemical", categories=("odour",))
    reg = intake.register_complaint(db, data=intake.ComplaintIn(
        channel="hotline_12345", kind="complaint", category="odour", description="晚上臭鸡蛋味",
        lon=120.401, lat=36.1005, received_at=T0 + timedelta(minutes=30)), settings=settings, with_suspects=False)
    ranking = suspect_service.rank_suspects(db, case_id=reg.complaint.case_id, settings=settings)
    by_id = {s.source_id: s for s in ranking.suspects}
    plant = by_id[source.id]
    assert plant.monitor is not None and plant.monitor["alarm_id"] == alarm.id
    assert plant.monitor["value"] == alarm.peak_value and plant.monitor["exceeded"] is True
    assert any("在线监测" in line and "硫化氢" in line and "GB 14554-93" in line for line in plant.explanation)
    assert any("online monitor" in line for line in plant.explanation_en)
    assert by_id[quiet.id].monitor is None
    # The alarm counts as an earlier exceedance of the plant in the history part.
    assert plant.history["exceedances"] == 1


def test_a_reading_within_limits_is_named_as_within(db, settings):
    source = add_source(db)
    station = add_station(db, source_id=source.id)
    storage.store(db, station=station, readings=[h2s(T0, 0.02), h2s(T0 + timedelta(minutes=1), 0.03)])
    reg = intake.register_complaint(db, data=intake.ComplaintIn(
        channel="hotline_12345", kind="complaint", category="odour", description="有异味", lon=120.401,
        lat=36.1005, received_at=T0 + timedelta(minutes=20)), settings=settings, with_suspects=False)
    ranking = suspect_service.rank_suspects(db, case_id=reg.complaint.case_id, settings=settings)
    plant = next(s for s in ranking.suspects if s.source_id == source.id)
    assert plant.monitor["value"] == 0.03 and plant.monitor["exceeded"] is False
    assert any("未超过" in line for line in plant.explanation)


def test_a_case_shows_nearby_readings_around_its_complaints_and_the_wind(client, db, auth, settings):
    source, station, alarm = plant_with_alarm(db, settings)
    weather = add_station(db, code="WX-C", kind="weather", mn="MNWXC", lon=120.41, lat=36.11,
                          pollutants=[{"code": "a01008"}, {"code": "a01007"}])
    storage.store(db, station=weather, readings=[
        storage.ReadingIn(code="a01008", interval="hour", measured_at=T0, value=200.0, unit="degrees"),
        storage.ReadingIn(code="a01007", interval="hour", measured_at=T0, value=2.5, unit="m/s")])
    far = add_station(db, code="FAR", mn="MNFAR", lon=121.5, lat=37.0)
    storage.store(db, station=far, readings=[h2s(T0, 0.01)])
    reg = intake.register_complaint(db, data=intake.ComplaintIn(
        channel="hotline_12345", kind="complaint", category="odour", description="臭", lon=120.401, lat=36.1005,
        received_at=T0 + timedelta(minutes=10)), settings=settings, with_suspects=False)
    case_id = reg.complaint.case_id
    r = client.get(f"/api/v1/cases/{case_id}/monitoring", headers=auth("chief"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["code"] for s in body["stations"]] == [station.code]  # the weather station and the far one are not
    series = body["stations"][0]["series"][0]
    assert series["code"] == "a21028" and series["limit"] == 0.06 and series["standard"] == "GB 14554-93"
    assert len(series["points"]) == 6 and series["points"][-1]["value"] == 0.13
    wind = body["winds"][0]
    assert wind["station"] == "WX-C" and wind["wind_from_deg"] == 200.0
    # An inspector who is not on the case gets the same answer as for a missing case.
    assert client.get(f"/api/v1/cases/{case_id}/monitoring", headers=auth("inspector")).status_code == 404


def test_a_chief_sees_complaints_fall_with_the_monitor_after_rectification(client, db, auth, settings):
    source = add_source(db)
    station = add_station(db, source_id=source.id)
    fixed = date(2026, 3, 15)
    readings, complaints = [], 0
    for offset in range(-10, 10):
        day = fixed + timedelta(days=offset)
        level = 0.12 - 0.004 * abs(offset % 3) if offset < 0 else 0.02 + 0.001 * (offset % 2)
        readings.append(storage.ReadingIn(code="a21028", interval="day",
                                          measured_at=datetime(day.year, day.month, day.day, tzinfo=BEIJING),
                                          value=round(level, 4), unit="mg/m3"))
        for n in range(4 - abs(offset % 3) if offset < 0 else (1 if offset % 4 == 0 else 0)):
            complaints += 1
            intake.register_complaint(db, data=intake.ComplaintIn(
                channel="hotline_12345", kind="complaint", category="odour", description="臭味", lon=120.4005,
                lat=36.1003, received_at=datetime(day.year, day.month, day.day, 19, n, tzinfo=BEIJING)),
                settings=settings, with_suspects=False)
    storage.store(db, station=station, readings=readings)
    params = {"source_id": source.id, "rectified_on": fixed.isoformat(), "days": 10}
    assert client.get("/api/v1/monitoring/correlation", headers=auth("clerk"), params=params).status_code == 403
    r = client.get("/api/v1/monitoring/correlation", headers=auth("chief"), params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == "a21028" and body["category"] == "odour" and len(body["days"]) == 20
    before, after = body["before"], body["after"]
    assert before["complaints"] + after["complaints"] == complaints
    assert before["complaints_per_day"] > 2 > after["complaints_per_day"]
    assert before["mean_reading"] > 0.1 > 0.03 > after["mean_reading"]
    assert body["overall"]["correlation"] > 0.8
    bad = client.get("/api/v1/monitoring/correlation", headers=auth("chief"), params=params | {"code": "w01018"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "code"
