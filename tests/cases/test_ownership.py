"""Leader ownership (领导包案) and the backlog ledger (信访积案) through the API: who may decide, what is
refused, what the case history records, and where the owner and the ledger show."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ecogrid.cases import rules
from ecogrid.core.models import CaseEvent
from ecogrid.core.time import today
from tests.casefactory import new_case
from tests.staffing import city_chief, person, zone


def events(db, case_id: int, action: str) -> list[CaseEvent]:
    return list(db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == action)
                           .order_by(CaseEvent.id)))


def owner(client, headers, case_id, user_id):
    return client.post(f"/api/v1/cases/{case_id}/owner", json={"user_id": user_id}, headers=headers)


# ---------------------------------------------------------------- ownership


def test_a_chief_names_a_leader_who_owns_the_case_and_the_history_records_it(client, db, auth):
    chief, leader = city_chief(db), person(db, "chief")
    row = new_case(db)
    answer = owner(client, auth(chief), row.id, leader.id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["owner_id"] == leader.id and answer.json()["owner_name"] == leader.username
    assert answer.json()["status"] == "registered"  # ownership is no workflow step

    case = client.get(f"/api/v1/cases/{row.id}", headers=auth("clerk")).json()
    assert case["owner_id"] == leader.id and case["owner_name"] == leader.username
    assert [e["action"] for e in case["history"]][-1] == "own"

    # The same naming again is recorded once; another leader replaces the first, the history says whom.
    assert owner(client, auth(chief), row.id, leader.id).status_code == 200
    admin = person(db, "admin")
    assert owner(client, auth(admin), row.id, admin.id).json()["owner_id"] == admin.id
    recorded = events(db, row.id, "own")
    assert [(e.data["owner_id"], e.data["previous"]) for e in recorded] == [(leader.id, None), (admin.id, leader.id)]


def test_ownership_is_refused_to_other_roles_and_for_a_wrong_owner(client, db, auth):
    chief = city_chief(db)
    row = new_case(db)
    for role in ("clerk", "planner", "inspector"):
        assert owner(client, auth(role), row.id, chief.id).status_code == 403
    inspector = person(db, "inspector")
    wrong = owner(client, auth(chief), row.id, inspector.id)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "user_id"
    assert "inspector" in wrong.json()["detail"][0]["msg"]
    gone = person(db, "chief")
    gone.active = False
    db.flush()
    assert owner(client, auth(chief), row.id, gone.id).json()["detail"][0]["loc"][-1] == "user_id"
    missing = client.post(f"/api/v1/cases/{row.id}/owner", json={}, headers=auth(chief))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "user_id"]
    assert owner(client, auth(chief), 999_999_999, chief.id).status_code == 404
    # A chief acts only on cases in their zones.
    local = person(db, "chief")
    district = zone(db, level="district", west=100.0, size=1.0)
    zone(db, level="street", officer=local, parent=district, west=100.0)
    elsewhere = new_case(db, zone_id=zone(db, level="street", parent=district, west=100.5).id)
    assert owner(client, auth(local), elsewhere.id, local.id).status_code == 403
    assert events(db, row.id, "own") == [] and events(db, elsewhere.id, "own") == []


def test_the_ledger_filters_owned_cases_and_cases_of_one_owner(client, db, auth):
    chief, leader = city_chief(db), person(db, "chief")
    owned, other = new_case(db), new_case(db)
    assert owner(client, auth(chief), owned.id, leader.id).status_code == 200
    clerk = auth("clerk")
    by_owner = client.get("/api/v1/cases", params={"owner": leader.id, "limit": 1000}, headers=clerk).json()
    assert [c["id"] for c in by_owner["items"]] == [owned.id]
    ids = {c["id"] for c in client.get("/api/v1/cases", params={"owned": "true", "limit": 1000},
                                       headers=clerk).json()["items"]}
    assert owned.id in ids and other.id not in ids
    mine = client.get("/api/v1/cases", params={"owner": "me"}, headers=auth(leader)).json()
    assert [c["id"] for c in mine["items"]] == [owned.id]
    bad = client.get("/api/v1/cases", params={"owner": "boss"}, headers=clerk)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "owner"


def test_the_daily_bulletin_lists_open_owned_cases_with_their_owner(client, db, auth):
    chief, leader = city_chief(db), person(db, "chief")
    row = new_case(db)
    assert owner(client, auth(chief), row.id, leader.id).status_code == 200
    b = client.get("/api/v1/reports/daily", params={"date": today().isoformat()}, headers=auth("clerk")).json()
    listed = {o["case_id"]: o for o in b["owned_cases"]}
    assert listed[row.id]["owner_name"] == leader.username and listed[row.id]["status"] == "registered"
    # A day before the naming: not owned yet.
    before = client.get("/api/v1/reports/daily", params={"date": date(2026, 1, 5).isoformat()},
                        headers=auth("clerk")).json()
    assert row.id not in {o["case_id"] for o in before["owned_cases"]}
    page = client.get("/api/v1/reports/daily", params={"date": today().isoformat(), "format": "html"},
                      headers=auth("clerk"))
    assert "领导包案" in page.text and leader.username in page.text


# ---------------------------------------------------------------- the backlog ledger


def backlog(client, headers, **params):
    response = client.get("/api/v1/backlog", params={"limit": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {i["id"]: i for i in response.json()["items"]}


def test_chronic_repeats_are_on_the_backlog_by_the_one_threshold(client, db, auth):
    assert rules.CHRONIC_COMPLAINTS == 5
    chronic = new_case(db, repeats=rules.CHRONIC_COMPLAINTS - 1)
    short = new_case(db, repeats=rules.CHRONIC_COMPLAINTS - 2)
    listed = backlog(client, auth("planner"))
    assert chronic.id in listed and short.id not in listed
    item = listed[chronic.id]
    assert item["complaints"] == 5 and item["chronic"] is True and item["decided"] is False
    assert item["focused"] is False and item["owner_id"] is None
    assert chronic.id in backlog(client, auth("clerk"), chronic="true")
    assert chronic.id not in backlog(client, auth("clerk"), chronic="false")
    assert client.get(f"/api/v1/cases/{chronic.id}", headers=auth("clerk")).json()["on_backlog"] is True


def test_a_chief_lists_a_case_with_reason_owner_and_focus_and_only_a_decision_takes_it_off(client, db, auth):
    chief, leader = city_chief(db), person(db, "chief")
    row = new_case(db)
    headers = auth(chief)
    body = {"reason": "多年信访积案", "owner_id": leader.id, "focused": True}
    put = client.post(f"/api/v1/cases/{row.id}/backlog", json=body, headers=headers)
    assert put.status_code == 200, put.text
    item = put.json()
    assert item["on_backlog"] and item["decided"] and item["focused"] and item["owner_id"] == leader.id
    assert item["owner_name"] == leader.username and item["backlog_reason"] == "多年信访积案"
    # A retry records nothing more.
    assert client.post(f"/api/v1/cases/{row.id}/backlog", json=body, headers=headers).status_code == 200
    assert len(events(db, row.id, "backlog")) == 1 and len(events(db, row.id, "own")) == 1

    listed = backlog(client, auth("clerk"), focused="true", owner=str(leader.id))
    assert list(listed) == [row.id]
    assert row.id not in backlog(client, auth("clerk"), focused="false")

    leave = client.post(f"/api/v1/cases/{row.id}/backlog/leave", json={"reason": "问题已解决，连续三月无投诉"},
                        headers=headers)
    assert leave.status_code == 200 and leave.json()["on_backlog"] is False
    assert client.post(f"/api/v1/cases/{row.id}/backlog/leave", json={"reason": "问题已解决，连续三月无投诉"},
                       headers=headers).status_code == 200
    recorded = events(db, row.id, "backlog_leave")
    assert len(recorded) == 1 and recorded[0].note == "问题已解决，连续三月无投诉" and recorded[0].actor_id == chief.id
    assert row.id not in backlog(client, auth("clerk"))
    again = client.post(f"/api/v1/cases/{row.id}/backlog/leave", json={"reason": "另一理由"}, headers=headers)
    assert again.status_code == 409


def test_a_chronic_repeat_leaves_only_by_a_decision_and_stays_off(client, db, auth):
    chief = city_chief(db)
    row = new_case(db, repeats=7)
    off = client.post(f"/api/v1/cases/{row.id}/backlog/leave", json={"reason": "已整改到位"}, headers=auth(chief))
    assert off.status_code == 200 and off.json()["chronic"] is True and off.json()["on_backlog"] is False
    assert row.id not in backlog(client, auth("clerk"))
    back = client.post(f"/api/v1/cases/{row.id}/backlog", json={"reason": "又有新投诉"}, headers=auth(chief))
    assert back.status_code == 200 and row.id in backlog(client, auth("clerk"))


def test_backlog_decisions_are_refused_by_role_and_bad_input(client, db, auth):
    chief = city_chief(db)
    row = new_case(db)
    for role in ("clerk", "planner", "inspector"):
        assert client.post(f"/api/v1/cases/{row.id}/backlog", json={"reason": "x"}, headers=auth(role)
                           ).status_code == 403
    assert client.get("/api/v1/backlog", headers=auth("inspector")).status_code == 403
    for body, field in (({}, "reason"), ({"reason": "   "}, "reason"), ({"reason": "x", "focused": "maybe"}, "focused"),
                        ({"reason": "x", "owner_id": person(db, "clerk").id}, "owner_id"),
                        ({"reason": "x", "colour": "red"}, "colour")):
        refused = client.post(f"/api/v1/cases/{row.id}/backlog", json=body, headers=auth(chief))
        assert refused.status_code == 422, body
        assert refused.json()["detail"][0]["loc"][-1] == field, refused.json()
    not_on = client.post(f"/api/v1/cases/{row.id}/backlog/leave", json={"reason": "x"}, headers=auth(chief))
    assert not_on.status_code == 409
    assert events(db, row.id, "backlog") == [] and events(db, row.id, "own") == []
    assert client.get("/api/v1/backlog", params={"owner": "x"}, headers=auth("clerk")).status_code == 422
    assert client.get("/api/v1/backlog", params={"limit": 0}, headers=auth("clerk")).status_code == 422
