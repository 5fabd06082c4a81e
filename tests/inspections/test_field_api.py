"""What the field form's second version asks of the API: the right noise standard, earlier visits,
finding the site, and the base map."""

from __future__ import annotations

import uuid

from tests.inspection_seed import seed_case


def _cid() -> str:
    return str(uuid.uuid4())


def _noise(value: float, at: str, parameter: str = "noise_laeq", **extra) -> dict:
    return {"client_id": _cid(), "parameter": parameter, "value": value, "unit": "dB(A)", "measured_at": at,
            **extra}


def test_construction_noise_is_judged_at_the_site_boundary_and_the_verdict_says_why(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, noise_class="1", category="noise_construction")
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "readings": [
            _noise(62, "2026-05-01T10:00:00+08:00"),
            _noise(58, "2026-05-01T23:00:00+08:00", noise_point="boundary"),
            _noise(71, "2026-05-01T23:00:00+08:00", parameter="noise_lmax", noise_point="boundary"),
            _noise(62, "2026-05-01T10:00:00+08:00", noise_point="environment"),
        ]})
    assert resp.status_code == 201, resp.text
    day, night, night_max, at_home = (r["verdict"] for r in resp.json()["readings"])
    # 62 by day is within the site limit of 70 although it is over class 1 (55) of GB 3096.
    assert day["standard"] == "GB 12523-2011" and day["limit"] == 70 and day["exceeded"] is False
    assert "施工场界" in day["basis_zh"] and "未注明测点" in day["basis_zh"]
    assert night["limit"] == 55 and night["excess"] == 3 and night["noise_point"] == "boundary"
    assert night_max["limit"] == 70 and night_max["excess"] == 1
    assert at_home["standard"] == "GB 3096-2008" and at_home["limit"] == 55 and at_home["exceeded"] is True
    assert "GB 3096-2008" in at_home["basis_en"]


def test_an_unknown_noise_point_is_refused_naming_the_field(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, category="noise_construction")
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(),
        "readings": [_noise(62, "2026-05-01T10:00:00+08:00", noise_point="roof")]})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] == "noise_point"


def test_case_page_lists_earlier_visits_with_verdicts_and_the_actions_allowed(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, noise_class="2", category="noise_social")
    before = client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(me)).json()
    assert before["inspections"] == []
    # Dispatched: the visit starts the handling; no rectification or reply yet.
    assert before["actions"] == []
    client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "findings": "Music at 23:00",
        "conclusion": "problem_confirmed", "readings": [_noise(58, "2026-05-01T23:00:00+08:00")]})
    after = client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(me)).json()
    [visit] = after["inspections"]
    assert visit["findings"] == "Music at 23:00" and visit["conclusion"] == "problem_confirmed"
    verdict = visit["readings"][0]["verdict"]
    assert (verdict["limit"], verdict["excess"], verdict["standard"]) == (50, 8, "GB 22337-2008")
    assert after["actions"] == ["rectify", "reply"]


def test_site_address_is_the_suspects_registered_one_never_the_complainants(client, db, make_user, auth):
    from ecogrid.core.models import Source

    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    body = client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(me)).json()
    assert body["address"] is None
    db.get(Source, seeded.source_id).address = "市南区香港中路 90 号"
    db.flush()
    body = client.get(f"/api/v1/inspections/tasks/{seeded.case_id}", headers=auth(me)).json()
    assert body["address"]["text"] == "市南区香港中路 90 号" and body["address"]["basis"] == "top_suspect"
    assert "Hong Kong Road" not in str(body)


def _route_today(db, settings, *, source_ids, inspector_ids):
    from datetime import datetime

    from ecogrid.core.time import BEIJING
    from ecogrid.patrols import service as patrol_service

    return patrol_service.create_route(db, settings=settings, actor_id=None, actor_name="planner",
                                       on=datetime.now(BEIJING).date(), source_ids=source_ids,
                                       inspector_ids=inspector_ids)


def test_a_patrol_visit_belongs_to_its_stop_and_to_no_case(client, db, make_user, auth, settings):
    from ecogrid.core.models import Case, CaseEvent, Inspection, Source

    me, other = make_user("inspector"), make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id, noise_class="2", category="noise_industrial")
    source = db.get(Source, seeded.source_id)
    source.categories = ["noise_industrial"]
    db.flush()
    plan = _route_today(db, settings, source_ids=[seeded.source_id], inspector_ids=[me.id])
    day = client.get("/api/v1/inspections/patrol-day", headers=auth(me)).json()
    [route] = [r for r in day["routes"] if r["id"] == plan.id]
    [stop] = route["stops"]
    assert stop["done"] is False and stop["source_id"] == seeded.source_id
    assert client.get("/api/v1/inspections/patrol-day", headers=auth(other)).json()["routes"] == []
    assert client.get(f"/api/v1/inspections/stops/{stop['target_id']}", headers=auth(other)).status_code == 404

    events_before = db.query(CaseEvent).filter(CaseEvent.case_id == seeded.case_id).count()
    resp = client.post("/api/v1/inspections", headers=auth(me), json={
        "patrol_target_id": stop["target_id"], "client_id": _cid(), "conclusion": "problem_confirmed",
        "readings": [_noise(56, "2026-05-01T23:00:00+08:00")]})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["case_id"] is None and body["patrol_target_id"] == stop["target_id"]
    assert body["source_id"] == seeded.source_id
    verdict = body["readings"][0]["verdict"]
    assert verdict["standard"] == "GB 12348-2008" and verdict["exceeded"] is True
    # The case near the unit is untouched: no event, no exceedance, no confirmed source.
    case = db.get(Case, seeded.case_id)
    db.refresh(case)
    assert case.exceedance is False and case.confirmed_source_id is None and case.status == "dispatched"
    assert db.query(CaseEvent).filter(CaseEvent.case_id == seeded.case_id).count() == events_before
    day = client.get("/api/v1/inspections/patrol-day", headers=auth(me)).json()
    [stop] = [r for r in day["routes"] if r["id"] == plan.id][0]["stops"]
    assert stop["done"] is True and stop["inspection_id"] == body["id"]
    page = client.get(f"/api/v1/inspections/stops/{stop['target_id']}", headers=auth(me)).json()
    assert [i["id"] for i in page["inspections"]] == [body["id"]]
    assert db.get(Inspection, body["id"]).case_id is None


def test_a_visit_needs_exactly_one_of_case_and_patrol_target(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    neither = client.post("/api/v1/inspections", headers=auth(me), json={"client_id": _cid()})
    assert neither.status_code == 422 and neither.json()["detail"][0]["loc"][-1] == "case_id"
    both = client.post("/api/v1/inspections", headers=auth(me), json={
        "client_id": _cid(), "case_id": seeded.case_id, "patrol_target_id": 1})
    assert both.status_code == 422


def test_linking_a_case_visit_that_named_no_unit_to_a_stop_does_not_blame_the_unit(
        client, db, make_user, auth, settings):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    visit = client.post("/api/v1/inspections", headers=auth(me), json={
        "case_id": seeded.case_id, "client_id": _cid(), "conclusion": "problem_confirmed"}).json()
    plan = _route_today(db, settings, source_ids=[seeded.source_id], inspector_ids=[me.id])
    target_id = client.get("/api/v1/inspections/patrol-day", headers=auth(me)).json()["routes"][-1]["stops"][0][
        "target_id"]
    resp = client.post(f"/api/v1/patrols/routes/{plan.id}/stops/{target_id}/done", headers=auth(me),
                       json={"inspection_id": visit["id"]})
    assert resp.status_code == 409
    again = client.get(f"/api/v1/inspections/{visit['id']}", headers=auth(me)).json()
    assert again["source_id"] is None and again["patrol_target_id"] is None
