"""Post-enforcement checks (执法后督察) through the API: a chief schedules one on a dealt-with case, the inspector
finds it among their tasks and records what was found; the case's history keeps both."""

from __future__ import annotations

from datetime import timedelta

from ecogrid.cases import service as casework
from ecogrid.core.time import today
from tests.console.console_support import sign_in
from tests.staffing import actor, city_chief, dispatched, person, zone


def replied_case(db, chief, inspector):
    row = dispatched(db, chief=chief, to={"user_id": inspector.id})
    casework.act(db, case_id=row.id, action="start", payload=None, actor=actor(inspector))
    casework.act(db, case_id=row.id, action="reply", payload={"summary": "已责令停产整改"}, actor=actor(inspector))
    return row


def test_a_chief_schedules_a_check_and_the_inspector_records_what_was_found(client, db, auth):
    chief_user, inspector = city_chief(db), person(db, "inspector")
    chief, their = auth(chief_user), auth(inspector)
    row = replied_case(db, chief_user, inspector)
    day = (today() + timedelta(days=14)).isoformat()
    body = {"due_on": day, "assignee_id": inspector.id, "note": "查看整改设施是否运行"}
    made = client.post(f"/api/v1/cases/{row.id}/checks", headers=chief, json=body)
    assert made.status_code == 201, made.text
    check = made.json()
    assert (check["due_on"], check["assignee_id"], check["done"]) == (day, inspector.id, False)
    again = client.post(f"/api/v1/cases/{row.id}/checks", headers=chief, json=body)
    assert again.status_code == 200 and again.json()["id"] == check["id"]

    tasks = client.get("/api/v1/checks", headers=their, params={"open": True}).json()
    assert [t["id"] for t in tasks["items"]] == [check["id"]]
    assert client.get("/api/v1/checks", headers=auth(person(db, "inspector"))).json()["items"] == []
    done = client.post(f"/api/v1/checks/{check['id']}/done", headers=their, json={"finding": "设施正常运行，未见反弹"})
    assert done.status_code == 200, done.text
    assert done.json()["done"] is True and done.json()["done_by_id"] == inspector.id
    assert client.get("/api/v1/checks", headers=their, params={"open": True}).json()["total"] == 0
    assert client.post(f"/api/v1/checks/{check['id']}/done", headers=their,
                       json={"finding": "设施正常运行，未见反弹"}).status_code == 200
    assert client.post(f"/api/v1/checks/{check['id']}/done", headers=their,
                       json={"finding": "另一结论"}).status_code == 409

    case = client.get(f"/api/v1/cases/{row.id}", headers=chief).json()
    kept = [(e["action"], e["note"]) for e in case["history"] if e["action"] in ("schedule_check", "check")]
    assert kept == [("schedule_check", "查看整改设施是否运行"), ("check", "设施正常运行，未见反弹")]
    assert case["status"] == "replied"
    listed = client.get(f"/api/v1/cases/{row.id}/checks", headers=chief).json()
    assert listed["total"] == 1 and listed["items"][0]["finding"] == "设施正常运行，未见反弹"


def test_a_check_follows_the_handling_and_names_a_day_and_an_inspector(client, db, auth):
    chief_user, inspector = city_chief(db), person(db, "inspector")
    chief = auth(chief_user)
    open_case = dispatched(db, chief=chief_user, to={"user_id": inspector.id})
    tomorrow = (today() + timedelta(days=1)).isoformat()
    early = client.post(f"/api/v1/cases/{open_case.id}/checks", headers=chief,
                        json={"due_on": tomorrow, "assignee_id": inspector.id})
    assert early.status_code == 409 and "concluded or closed" in early.json()["detail"]

    row = replied_case(db, chief_user, inspector)
    past = client.post(f"/api/v1/cases/{row.id}/checks", headers=chief,
                       json={"due_on": (today() - timedelta(days=1)).isoformat(), "assignee_id": inspector.id})
    assert past.status_code == 422 and past.json()["detail"][0]["loc"][-1] == "due_on"
    clerk = person(db, "clerk")
    not_inspector = client.post(f"/api/v1/cases/{row.id}/checks", headers=chief,
                                json={"due_on": tomorrow, "assignee_id": clerk.id})
    assert not_inspector.status_code == 422 and not_inspector.json()["detail"][0]["loc"][-1] == "assignee_id"
    missing = client.post(f"/api/v1/cases/{row.id}/checks", headers=chief, json={"assignee_id": inspector.id})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "due_on"
    by_inspector = client.post(f"/api/v1/cases/{row.id}/checks", headers=auth(inspector),
                               json={"due_on": tomorrow, "assignee_id": inspector.id})
    assert by_inspector.status_code == 403

    street_chief = person(db, "chief")
    zone(db, level="street", officer=street_chief, parent=zone(db, level="district"), west=125.0)
    elsewhere = client.post(f"/api/v1/cases/{row.id}/checks", headers=auth(street_chief),
                            json={"due_on": tomorrow, "assignee_id": inspector.id})
    assert elsewhere.status_code == 403
    assert client.get(f"/api/v1/cases/{row.id}/checks", headers=chief).json()["total"] == 0
    someone_else = client.post("/api/v1/checks/999999/done", headers=auth(inspector), json={"finding": "x"})
    assert someone_else.status_code == 404


def test_the_case_page_lists_the_checks_and_the_history_names_them(client, db, auth):
    chief_user, inspector = city_chief(db), person(db, "inspector")
    row = replied_case(db, chief_user, inspector)
    day = (today() + timedelta(days=3)).isoformat()
    made = client.post(f"/api/v1/cases/{row.id}/checks", headers=auth(chief_user),
                       json={"due_on": day, "assignee_id": inspector.id, "note": "<b>复查</b>"})
    assert made.status_code == 201
    sign_in(client, chief_user.username)
    page = client.get(f"/cases/{row.id}")
    assert page.status_code == 200 and 'id="post-checks"' in page.text
    assert f'data-check="{made.json()["id"]}"' in page.text and day in page.text and "待督察" in page.text
    assert "安排执法后督察" in page.text and "&lt;b&gt;复查&lt;/b&gt;" in page.text and "<b>复查</b>" not in page.text
