from __future__ import annotations

from datetime import UTC, datetime

from ecogrid.core.models import Case, Source
from ecogrid.sources import credit_code
from tests.staffing import city_chief, dispatch

_n = {"i": 0}


def seed(db):
    _n["i"] += 1
    src = Source(name="示范化工", credit_code=credit_code.make(org8=f"APQ{_n['i']:05d}"), industry="chemical",
                 geom="SRID=4326;POINT(120.405 36.10)")
    case = Case(kind="complaint", category="odour", channel="web", opened_at=datetime(2025, 7, 1, tzinfo=UTC),
                last_complaint_at=datetime(2025, 7, 1, tzinfo=UTC), geom="SRID=4326;POINT(120.40 36.10)")
    db.add_all([src, case])
    db.flush()
    return src, case


def test_any_staff_sees_the_ranked_explained_suspects(client, db, auth):
    src, case = seed(db)
    resp = client.get(f"/api/v1/cases/{case.id}/suspects", headers=auth("clerk"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["items"][0]["source_id"] == src.id and body["total"] >= 1
    assert set(body["items"][0]["parts"]) == {"distance", "category", "wind", "history"}
    assert body["items"][0]["explanation"] and body["items"][0]["explanation_en"]
    assert body["wind_used"] is False and body["confirmed_source"] is None


def test_unknown_case_is_404(client, auth):
    assert client.get("/api/v1/cases/999999/suspects", headers=auth("chief")).status_code == 404


def test_suspects_need_sign_in(client, db):
    _, case = seed(db)
    assert client.get(f"/api/v1/cases/{case.id}/suspects").status_code == 401


def test_inspector_confirms_the_source_and_the_case_shows_it(client, db, auth, make_user):
    src, case = seed(db)
    inspector = make_user("inspector")
    dispatch(db, case_id=case.id, chief=city_chief(db), to={"user_id": inspector.id})
    resp = client.post(f"/api/v1/cases/{case.id}/source", json={"source_id": src.id, "note": "现场核实"},
                       headers=auth(inspector))
    assert resp.status_code == 200
    assert resp.json()["confirmed_by_id"] == inspector.id and resp.json()["confirmed_at"]
    shown = client.get(f"/api/v1/cases/{case.id}/suspects", headers=auth("clerk")).json()["confirmed_source"]
    assert shown["source_id"] == src.id and shown["confirmed_by_id"] == inspector.id


def test_confirming_needs_the_right_role(client, db, auth):
    src, case = seed(db)
    body = {"source_id": src.id}
    assert client.post(f"/api/v1/cases/{case.id}/source", json=body).status_code == 401
    assert client.post(f"/api/v1/cases/{case.id}/source", json=body, headers=auth("clerk")).status_code == 403
    assert client.post(f"/api/v1/cases/{case.id}/source", json=body, headers=auth("planner")).status_code == 403
    assert client.post(f"/api/v1/cases/{case.id}/source", json=body, headers=auth(city_chief(db))).status_code == 200


def test_confirming_unknown_case_or_source_is_404_and_bad_body_is_422(client, db, auth, make_user):
    src, case = seed(db)
    inspector = make_user("inspector")
    dispatch(db, case_id=case.id, chief=city_chief(db), to={"user_id": inspector.id})
    headers = auth(inspector)
    assert client.post("/api/v1/cases/999999/source", json={"source_id": src.id}, headers=headers).status_code == 404
    resp = client.post(f"/api/v1/cases/{case.id}/source", json={"source_id": 999999}, headers=headers)
    assert resp.status_code == 404
    resp = client.post(f"/api/v1/cases/{case.id}/source", json={"source_id": "abc"}, headers=headers)
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "source_id"
