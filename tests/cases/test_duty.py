"""The duty roster (值班) through the API: admin and chiefs keep it, and an urgent complaint received out of
hours (not a working day by the deadlines' calendar, or outside office hours) is recorded for the person on
duty at intake."""

from __future__ import annotations

from sqlalchemy import select

from ecogrid.core.models import Case, CaseEvent
from tests.staffing import person

SHIFT = {"starts_at": "2026-11-27T17:30:00+08:00", "ends_at": "2026-11-30T08:30:00+08:00"}  # Fri night - Mon
SATURDAY_10 = "2026-11-28T10:00:00+08:00"
WEDNESDAY_10, WEDNESDAY_22 = "2026-11-25T10:00:00+08:00", "2026-11-25T22:00:00+08:00"
NIGHT = {"starts_at": "2026-11-25T17:30:00+08:00", "ends_at": "2026-11-26T08:30:00+08:00"}


def complaint(client, headers, *, received_at: str, urgency: str = "urgent") -> dict:
    body = {"channel": "hotline_12369", "kind": "complaint", "category": "odour", "description": "化工厂刺鼻气味",
            "received_at": received_at, "urgency": urgency, "address": f"化工路 {received_at}"}
    response = client.post("/api/v1/complaints", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_chief_keeps_the_roster_and_the_same_entry_is_stored_once(client, db, auth):
    chief, clerk = auth("chief"), person(db, "clerk")
    made = client.post("/api/v1/duty-roster", json={"user_id": clerk.id, "note": "周末值班", **SHIFT}, headers=chief)
    assert made.status_code == 201, made.text
    assert made.json()["user_name"] == clerk.username and made.json()["starts_at"] == SHIFT["starts_at"]
    again = client.post("/api/v1/duty-roster", json={"user_id": clerk.id, **SHIFT}, headers=auth("admin"))
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    listed = client.get("/api/v1/duty-roster", params={"from": "2026-11-28T00:00:00+08:00"}, headers=auth("clerk"))
    assert [s["id"] for s in listed.json()["items"]] == [made.json()["id"]] and listed.json()["total"] == 1
    now = client.get("/api/v1/duty-roster/now", params={"at": SATURDAY_10}, headers=auth("inspector")).json()
    assert now["out_of_hours"] is True and now["shift"]["user_id"] == clerk.id
    weekday = client.get("/api/v1/duty-roster/now", params={"at": WEDNESDAY_10}, headers=auth("clerk")).json()
    assert weekday["out_of_hours"] is False and weekday["shift"] is None
    assert client.delete(f"/api/v1/duty-roster/{made.json()['id']}", headers=chief).status_code == 204
    assert client.delete(f"/api/v1/duty-roster/{made.json()['id']}", headers=chief).status_code == 404


def test_the_roster_is_refused_to_other_roles_and_for_bad_entries(client, db, auth):
    clerk = person(db, "clerk")
    for role in ("clerk", "planner", "inspector"):
        r = client.post("/api/v1/duty-roster", json={"user_id": clerk.id, **SHIFT}, headers=auth(role))
        assert r.status_code == 403
    chief = auth("chief")
    gone = person(db, "clerk")
    gone.active = False
    db.flush()
    for body, field in (
        ({"user_id": clerk.id, "starts_at": SHIFT["ends_at"], "ends_at": SHIFT["starts_at"]}, "ends_at"),
        ({"user_id": clerk.id, "starts_at": "2026-11-01T00:00:00+08:00", "ends_at": "2026-12-15T00:00:00+08:00"},
         "ends_at"),
        ({"user_id": person(db, "planner").id, **SHIFT}, "user_id"),
        ({"user_id": gone.id, **SHIFT}, "user_id"),
        ({"user_id": clerk.id, "starts_at": "tomorrow", "ends_at": SHIFT["ends_at"]}, "starts_at"),
        ({"starts_at": SHIFT["starts_at"], "ends_at": SHIFT["ends_at"]}, "user_id"),
    ):
        r = client.post("/api/v1/duty-roster", json=body, headers=chief)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"][-1] == field, r.json()
    assert client.get("/api/v1/duty-roster", headers=chief).json()["total"] == 0


def test_an_urgent_complaint_out_of_hours_is_recorded_for_the_person_on_duty(client, db, auth):
    chief, clerk_headers = auth("chief"), auth("clerk")
    weekend, night = person(db, "clerk"), person(db, "inspector")
    assert client.post("/api/v1/duty-roster", json={"user_id": weekend.id, **SHIFT}, headers=chief).status_code == 201
    assert client.post("/api/v1/duty-roster", json={"user_id": night.id, **NIGHT}, headers=chief).status_code == 201

    saturday = complaint(client, clerk_headers, received_at=SATURDAY_10)
    case = client.get(f"/api/v1/cases/{saturday['case_id']}", headers=auth("clerk")).json()
    assert case["duty_user_id"] == weekend.id
    duty = [e for e in case["history"] if e["action"] == "duty"]
    assert len(duty) == 1 and duty[0]["data"]["user_id"] == weekend.id

    late = complaint(client, clerk_headers, received_at=WEDNESDAY_22)
    assert db.get(Case, late["case_id"]).duty_user_id == night.id
    # In office hours, or not urgent: nobody on duty is involved.
    office = complaint(client, clerk_headers, received_at=WEDNESDAY_10)
    ordinary = complaint(client, clerk_headers, received_at=SATURDAY_10, urgency="ordinary")
    for row in (office, ordinary):
        assert db.get(Case, row["case_id"]).duty_user_id is None
        assert db.scalars(select(CaseEvent).where(CaseEvent.case_id == row["case_id"],
                                                  CaseEvent.action == "duty")).first() is None
