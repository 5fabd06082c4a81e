from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from ecogrid.core.models import Case, CaseEvent, Inspection, Reading
from tests.inspection_seed import SOURCE_LON, seed_case


def _cid() -> str:
    return str(uuid.uuid4())


def _noise(value: float = 58, at: str = "2026-05-01T23:00:00+08:00", unit: str = "dB(A)") -> dict:
    return {"client_id": _cid(), "parameter": "noise_laeq", "value": value, "unit": unit, "measured_at": at}


def test_tasks_are_mine_only_soonest_due_first_with_distance(client, db, make_user, auth):
    me, other = make_user("inspector"), make_user("inspector")
    later = seed_case(db, inspector_id=me.id, due_in_hours=48)
    sooner = seed_case(db, inspector_id=me.id, due_in_hours=2, status="in_progress")
    seed_case(db, inspector_id=other.id)
    seed_case(db, inspector_id=me.id, status="replied")

    resp = client.get("/api/v1/inspections/tasks", params={"lon": SOURCE_LON, "lat": 36.0671},
                      headers=auth(me))
    assert resp.status_code == 200
    body = resp.json()
    assert [t["case_id"] for t in body["items"]] == [sooner.case_id, later.case_id]
    assert body["total"] == 2
    assert 80 < body["items"][0]["distance_m"] < 120
    assert body["items"][0]["location"]["type"] == "Point"


def test_task_detail_shows_complaint_text_and_suspects_but_no_complainant(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    resp = client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(me))
    assert resp.status_code == 200
    body = resp.json()
    raw = json.dumps(body, ensure_ascii=False)
    assert "Zhang Wei" not in raw and "13800138000" not in raw and "Hong Kong Road" not in raw
    assert body["complaints"][0]["description"].startswith("KTV music")
    first = body["suspects"][0]
    assert first["source_id"] == seeded.source_id
    # The inspector sees where the suspect is and why it ranks first.
    assert first["location"]["type"] == "Point" and len(first["location"]["coordinates"]) == 2
    assert first["explanation"] and first["explanation_en"]
    assert body["zone"]["noise_class"] == "2"


def test_another_inspectors_case_is_forbidden(client, db, make_user, auth):
    owner, stranger = make_user("inspector"), make_user("inspector")
    seeded = seed_case(db, inspector_id=owner.id)
    # Not found, as if it did not exist: another inspector's case ids are not confirmed.
    assert client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(stranger)).status_code == 404
    resp = client.post("/api/v1/inspections", json={"case_id": seeded.case_id, "client_id": _cid()},
                       headers=auth(stranger))
    assert resp.status_code == 404
    assert client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth("chief")).status_code == 200
    assert client.get("/api/v1/inspections/tasks", headers=auth("clerk")).status_code == 403


def test_submission_is_stored_once_and_starts_the_case(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    payload = {"case_id": seeded.case_id, "client_id": _cid(), "findings": "Music audible at the window",
               "lon": 120.3827, "lat": 36.0672, "conclusion": "problem_confirmed"}
    first = client.post("/api/v1/inspections", json=payload, headers=auth(me))
    second = client.post("/api/v1/inspections", json=payload, headers=auth(me))
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["location"]["coordinates"] == [120.3827, 36.0672]
    assert db.scalar(select(Inspection.id).where(Inspection.client_id == payload["client_id"])) is not None
    rows = db.scalars(select(Inspection).where(Inspection.case_id == seeded.case_id)).all()
    assert len(rows) == 1
    case = db.get(Case, seeded.case_id)
    db.refresh(case)
    assert case.status == "in_progress"
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == seeded.case_id)).all()
    assert [(e.action, e.from_status, e.to_status) for e in events if e.action == "start"] == [
        ("start", "dispatched", "in_progress")]


def test_night_noise_over_the_limit_marks_the_case(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, noise_class="2", category="noise_social")
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "readings": [_noise(58, "2026-05-01T23:00:00+08:00")]})
    assert resp.status_code == 201, resp.text
    reading = resp.json()["readings"][0]
    assert reading["exceeded"] is True
    assert reading["verdict"]["limit"] == 50 and reading["verdict"]["period"] == "night"
    assert reading["verdict"]["standard"].startswith("GB 22337")
    case = db.get(Case, seeded.case_id)
    db.refresh(case)
    assert case.exceedance is True
    assert db.scalar(select(CaseEvent.id).where(CaseEvent.case_id == seeded.case_id,
                                                CaseEvent.action == "exceedance")) is not None


def test_daytime_reading_under_the_limit_does_not_mark_the_case(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, noise_class="2", category="noise_social")
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "readings": [_noise(58, "2026-05-01T10:00:00+08:00")]})
    assert resp.status_code == 201
    assert resp.json()["readings"][0]["exceeded"] is False
    case = db.get(Case, seeded.case_id)
    db.refresh(case)
    assert case.exceedance is False


def test_bad_unit_is_422_naming_the_reading_field_and_stores_nothing(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    client_id = _cid()
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": client_id, "readings": [_noise(), _noise(unit="mg/L")]})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "readings[1].unit"]
    assert db.scalar(select(Inspection.id).where(Inspection.client_id == client_id)) is None
    assert db.scalar(select(Reading.id).where(Reading.case_id == seeded.case_id)) is None


def test_source_identified_needs_a_source_and_confirms_it(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    missing = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "conclusion": "source_identified"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "source_id"]
    ok = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "conclusion": "source_identified",
        "source_id": seeded.source_id})
    assert ok.status_code == 201
    case = db.get(Case, seeded.case_id)
    db.refresh(case)
    assert case.confirmed_source_id == seeded.source_id and case.confirmed_by_id == me.id


def test_inspection_on_a_closed_case_is_refused(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, status="closed")
    resp = client.post("/api/v1/inspections", headers=auth(me),
                       json={"case_id": seeded.case_id, "client_id": _cid()})
    assert resp.status_code == 409
