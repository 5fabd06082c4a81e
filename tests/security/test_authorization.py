"""Who may act on and read which case: inspectors only on what is dispatched to them or their team,
chiefs only in their zones, dispatch only to someone who can do the work, one intake rule for REST
and Open311, and personal data still masked per role with one audit row per unmasked read."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.cases import states
from ecogrid.core.models import AuditEntry, Case, CaseEvent, Source
from ecogrid.sources import credit_code
from tests.casefactory import new_case
from tests.staffing import actor, city_chief, dispatch, dispatched, person, zone
from tests.zones.test_service import seed_zones


def post(client, headers, case_id, action, body=None):
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)


def events(db, case_id: int) -> int:
    return db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))


def audit_rows(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "personal_data.read"))


@pytest.fixture
def two_inspectors(db):
    """inspector1 and inspector2, and a case dispatched to inspector2 by a city-level chief."""
    one, two = person(db, "inspector"), person(db, "inspector")
    case = dispatched(db, chief=city_chief(db), to={"user_id": two.id})
    return one, two, case


# ---------------------------------------------------------------- acting on another's case


def test_inspector_cannot_start_reply_or_set_source_on_another_inspectors_case(client, db, auth, two_inspectors):
    one, two, case = two_inspectors
    source = Source(name="示范化工", credit_code=credit_code.make(org8=f"{uuid.uuid4().int % 10**8:08d}"),
                    industry="chemical", geom="SRID=4326;POINT(120.05 36.05)")
    db.add(source)
    db.flush()
    before = events(db, case.id)
    assert post(client, auth(one), case.id, "start").status_code == 404
    assert events(db, case.id) == before
    assert post(client, auth(two), case.id, "start").status_code == 200
    before = events(db, case.id)
    assert post(client, auth(one), case.id, "reply", {"summary": "已处理"}).status_code == 404
    assert post(client, auth(one), case.id, "rectify", {"due_at": "2099-01-01T00:00:00+08:00"}).status_code == 404
    refused = client.post(f"/api/v1/cases/{case.id}/source", json={"source_id": source.id}, headers=auth(one))
    assert refused.status_code == 404
    # Nothing was written by the refusals.
    assert events(db, case.id) == before
    db.refresh(case)
    assert (case.status, case.confirmed_source_id) == ("in_progress", None)
    # The inspector it is dispatched to still can.
    assert client.post(f"/api/v1/cases/{case.id}/source", json={"source_id": source.id},
                       headers=auth(two)).status_code == 200
    assert post(client, auth(two), case.id, "reply", {"summary": "已处理"}).json()["status"] == "replied"


def test_allowed_actions_are_empty_for_an_inspector_the_case_is_not_dispatched_to(client, db, auth, two_inspectors):
    one, two, case = two_inspectors
    row = db.get(Case, case.id)
    assert casework.allowed_for(row, session=db, actor=actor(one)) == ()
    assert states.Action.start in casework.allowed_for(row, session=db, actor=actor(two))
    assert "start" in client.get(f"/api/v1/cases/{case.id}", headers=auth(two)).json()["allowed_actions"]


def test_the_rule_is_one_pure_predicate():
    dispatched_to_7 = states.Assignment(assigned_to_id=7, zone_id=3)
    to_team = states.Assignment(assigned_team="一中队", zone_id=3)
    assert states.may_act_on("inspector", states.Reach(user_id=7), dispatched_to_7)
    assert not states.may_act_on("inspector", states.Reach(user_id=8), dispatched_to_7)
    assert states.may_act_on("inspector", states.Reach(user_id=8, team="一中队"), to_team)
    assert not states.may_act_on("inspector", states.Reach(user_id=8, team="二中队"), to_team)
    assert states.may_act_on("chief", states.Reach(user_id=1, zone_ids=frozenset({3})), dispatched_to_7)
    assert not states.may_act_on("chief", states.Reach(user_id=1, zone_ids=frozenset({4})), dispatched_to_7)
    assert not states.may_act_on("chief", states.Reach(user_id=1, zone_ids=frozenset()), dispatched_to_7)
    assert states.may_act_on("chief", states.Reach(user_id=1, zone_ids=None), states.Assignment())
    with pytest.raises(states.NotYours):
        states.transition(status="dispatched", kind="complaint", action="start", role="inspector",
                          reach=states.Reach(user_id=8), assignment=dispatched_to_7)


# ---------------------------------------------------------------- what an inspector reads


def test_inspector_reads_only_their_own_cases_and_complaints(client, db, auth, two_inspectors):
    one, two, theirs = two_inspectors
    chief = city_chief(db)
    mine = dispatched(db, chief=chief, to={"user_id": one.id})
    new_case(db)  # registered, nobody's yet
    h = auth(one)
    listing = client.get("/api/v1/cases", headers=h).json()
    assert [i["id"] for i in listing["items"]] == [mine.id] and listing["total"] == 1
    assert client.get(f"/api/v1/cases/{mine.id}", headers=h).status_code == 200
    # Another's case answers like a missing one, so its id is not confirmed.
    assert client.get(f"/api/v1/cases/{theirs.id}", headers=h).status_code == 404
    assert client.get(f"/api/v1/cases/{theirs.id}/suspects", headers=h).status_code == 404
    complaints = client.get("/api/v1/complaints", headers=h).json()
    assert {c["case_id"] for c in complaints["items"]} == {mine.id} and complaints["total"] == 1
    other_complaint = db.get(Case, theirs.id).complaints[0].id
    assert client.get(f"/api/v1/complaints/{other_complaint}", headers=h).status_code == 404
    # The case it is dispatched to reads in full where the task needs it (address, place), masked otherwise.
    own = client.get(f"/api/v1/complaints/{complaints['items'][0]['id']}", headers=h).json()
    assert own["complainant_name"] == "王**" and own["complainant_phone"] == "138****1234"
    # The mobile task list and the task itself.
    tasks = client.get("/api/v1/inspections/tasks", headers=h).json()
    assert [t["case_id"] for t in tasks["items"]] == [mine.id]
    assert client.get(f"/api/v1/inspections/tasks/{theirs.id}", headers=h).status_code == 404


def test_a_team_case_belongs_to_every_member_of_the_team(client, db, auth):
    member, colleague = person(db, "inspector", team="第二执法中队"), person(db, "inspector", team="第二执法中队")
    outsider = person(db, "inspector", team="第一执法中队")
    case = dispatched(db, chief=city_chief(db), to={"team": "第二执法中队"})
    assert case.assigned_team == "第二执法中队"
    for who in (member, colleague):
        assert [t["case_id"] for t in client.get("/api/v1/inspections/tasks", headers=auth(who)).json()["items"]] \
            == [case.id]
        assert [i["id"] for i in client.get("/api/v1/cases", headers=auth(who)).json()["items"]] == [case.id]
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(outsider)).status_code == 404
    assert post(client, auth(outsider), case.id, "start").status_code == 404
    assert post(client, auth(colleague), case.id, "start").json()["status"] == "in_progress"


def test_masking_per_role_with_one_audit_row_per_unmasked_read(client, db, auth, two_inspectors):
    one, two, case = two_inspectors
    before = audit_rows(db)
    masked = client.get(f"/api/v1/cases/{case.id}", headers=auth(two)).json()["complaints"][0]
    assert masked["complainant_phone"] == "138****1234"
    assert client.get("/api/v1/complaints", headers=auth(two)).json()["items"][0]["complainant_name"] == "王**"
    assert audit_rows(db) == before
    clerk = person(db, "clerk")
    full = client.get(f"/api/v1/cases/{case.id}", headers=auth(clerk)).json()["complaints"][0]
    assert full["complainant_phone"] == "13812341234"
    assert audit_rows(db) == before + 1
    client.get("/api/v1/complaints", headers=auth(clerk))
    assert audit_rows(db) == before + 2


# ---------------------------------------------------------------- one intake rule


def test_clerk_key_submits_through_rest_and_open311_and_other_keys_are_refused_by_both(client, db):
    seed_zones(db)
    rest_body = {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "刺鼻气味",
                 "lon": 120.002, "lat": 36.002}
    form = {"service_code": "odour", "lat": "36.002", "long": "120.002", "description": "刺鼻气味"}
    _, clerk_key = user_service.create_api_key(db, name="hotline", role="clerk")
    assert client.post("/api/v1/complaints", json=rest_body, headers={"X-API-Key": clerk_key}).status_code == 201
    assert client.post("/open311/v2/requests.json", data={**form, "api_key": clerk_key}).status_code == 201
    for role in ("planner", "inspector", "chief"):
        _, key = user_service.create_api_key(db, name=f"integration-{role}", role=role)
        before = db.scalar(select(func.count()).select_from(Case))
        rest = client.post("/api/v1/complaints", json=rest_body, headers={"X-API-Key": key})
        open311 = client.post("/open311/v2/requests.json", data={**form, "api_key": key})
        assert (rest.status_code, open311.status_code) == (403, 403), role
        # One rule, one answer.
        assert rest.json()["detail"] == open311.json()[0]["description"]
        assert db.scalar(select(func.count()).select_from(Case)) == before


# ---------------------------------------------------------------- dispatch targets


def test_chief_cannot_dispatch_to_a_clerk(client, db, auth):
    chief, clerk = city_chief(db), person(db, "clerk")
    case = new_case(db)
    assert post(client, auth(clerk), case.id, "accept").status_code == 200
    before = events(db, case.id)
    refused = post(client, auth(chief), case.id, "dispatch", {"user_id": clerk.id})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "user_id"]
    assert "clerk" in refused.json()["detail"][0]["msg"]
    assert events(db, case.id) == before
    db.refresh(case)
    assert (case.status, case.assigned_to_id) == ("accepted", None)


def test_dispatch_to_a_team_without_active_inspectors_is_refused(client, db, auth):
    chief, clerk = city_chief(db), person(db, "clerk")
    gone = person(db, "inspector", team="夜查组")
    gone.active = False
    db.flush()
    case = new_case(db)
    post(client, auth(clerk), case.id, "accept")
    for team in ("无人中队", "夜查组"):
        refused = post(client, auth(chief), case.id, "dispatch", {"team": team})
        assert refused.status_code == 422, team
        assert refused.json()["detail"][0]["loc"] == ["body", "team"]
    assert db.get(Case, case.id).status == "accepted"
    person(db, "inspector", team="夜查组")
    assert post(client, auth(chief), case.id, "dispatch", {"team": "夜查组"}).status_code == 200


# ---------------------------------------------------------------- chiefs act in their zones


@pytest.fixture
def two_streets(db):
    """A district with no officer; street A answers to chief_a, street B to chief_b; a grid in A."""
    chief_a, chief_b = person(db, "chief", username="chief_a"), person(db, "chief", username="chief_b")
    district = zone(db, level="district", size=0.2)
    street_a = zone(db, level="street", parent=district, officer=chief_a)
    zone(db, level="street", parent=district, officer=chief_b, west=120.1)
    grid_a = zone(db, level="grid", parent=street_a, size=0.05)
    return chief_a, chief_b, grid_a


def test_chief_b_cannot_act_in_chief_a_street_but_chief_a_and_admin_can(client, db, auth, two_streets):
    chief_a, chief_b, grid_a = two_streets
    inspector, clerk = person(db, "inspector"), person(db, "clerk")
    case = new_case(db, zone_id=grid_a.id)
    post(client, auth(clerk), case.id, "accept")
    before = events(db, case.id)
    for action, body in (("dispatch", {"user_id": inspector.id}), ("extend", {"days": 3, "reason": "监测"})):
        refused = post(client, auth(chief_b), case.id, action, body)
        assert refused.status_code == 403, action
        assert "outside the zones" in refused.json()["detail"]
    assert client.post(f"/api/v1/cases/{case.id}/supervise", json={"user_id": chief_b.id},
                       headers=auth(chief_b)).status_code == 403
    assert events(db, case.id) == before
    # chief_b still reads the case; nothing offered to do on it.
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(chief_b)).json()["allowed_actions"] == []
    assert "dispatch" in client.get(f"/api/v1/cases/{case.id}", headers=auth(chief_a)).json()["allowed_actions"]
    assert post(client, auth(chief_a), case.id, "dispatch", {"user_id": inspector.id}).status_code == 200
    assert post(client, auth("admin"), case.id, "extend", {"days": 3, "reason": "监测"}).status_code == 200


def test_district_chief_acts_everywhere_and_a_chief_without_zones_nowhere(client, db, auth, two_streets):
    _, _, grid_a = two_streets
    clerk, inspector = person(db, "clerk"), person(db, "inspector")
    in_street, outside = new_case(db, zone_id=grid_a.id), new_case(db)
    for case in (in_street, outside):
        post(client, auth(clerk), case.id, "accept")
    nobody = person(db, "chief")
    for case in (in_street, outside):
        assert post(client, auth(nobody), case.id, "dispatch", {"user_id": inspector.id}).status_code == 403
        assert client.get(f"/api/v1/cases/{case.id}", headers=auth(nobody)).status_code == 200
    city = city_chief(db)
    for case in (in_street, outside):
        assert post(client, auth(city), case.id, "dispatch", {"user_id": inspector.id}).status_code == 200


def test_an_inspection_is_field_work_of_the_case_handler(client, db, auth, two_streets):
    chief_a, chief_b, grid_a = two_streets
    one, two = person(db, "inspector"), person(db, "inspector")
    case = new_case(db, zone_id=grid_a.id)
    dispatch(db, case_id=case.id, chief=chief_a, to={"user_id": two.id})
    body = {"case_id": case.id, "client_id": "visit-0001-abcd", "findings": "现场有异味"}
    assert client.post("/api/v1/inspections", json=body, headers=auth(one)).status_code == 404
    assert client.post("/api/v1/inspections", json=body, headers=auth(chief_b)).status_code == 403
    assert events(db, case.id) == 3  # register, accept, dispatch
    assert client.post("/api/v1/inspections", json=body, headers=auth(two)).status_code == 201
