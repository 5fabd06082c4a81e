"""Rework (返工): a repeat complaint about a case closed within the window reopens it, whichever way the
complaint arrives (the API, Open311, a file import); after the window it opens a case of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import service as casework
from ecogrid.complaints import bulk_import
from ecogrid.core.models import Case, Complaint, WebhookOutboxItem
from ecogrid.core.time import BEIJING
from tests.staffing import actor, city_chief, person

NOW = datetime.now(UTC).replace(microsecond=0)


def now() -> str:
    return datetime.now(UTC).isoformat()


def complaint(**over) -> dict:
    data = {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "夜间刺鼻气味",
            "lon": 120.502, "lat": 36.502, "complainant_name": "王小明", "complainant_phone": "13812345678",
            "received_at": (NOW - timedelta(days=3)).isoformat()}
    data.update(over)
    return data


def post(client, headers, case_id, action, body=None):
    response = client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)
    assert response.status_code == 200, (action, response.text)
    return response.json()


def people(db, auth):
    who = {"clerk": person(db, "clerk"), "chief": city_chief(db), "inspector": person(db, "inspector")}
    return who, {role: auth(user) for role, user in who.items()}


def round_the_loop(client, who, h, case_id, *, first: bool = True):
    if first:
        post(client, h["clerk"], case_id, "accept")
    post(client, h["chief"], case_id, "dispatch", {"user_id": who["inspector"].id})
    post(client, h["inspector"], case_id, "start")
    post(client, h["inspector"], case_id, "reply", {"summary": "已整改"})
    post(client, h["clerk"], case_id, "revisit", {"satisfaction": "satisfied"})
    return post(client, h["clerk"], case_id, "close")


def test_a_repeat_after_closing_reopens_the_case_with_a_new_deadline(db, client, auth):
    who, h = people(db, auth)
    hook = client.post("/api/v1/webhooks", headers=auth("admin"),
                       json={"url": "https://hotline.example/ev", "events": ["case.reopened"]})
    assert hook.status_code == 201, hook.text
    first = client.post("/api/v1/complaints", json=complaint(), headers=h["clerk"]).json()
    closed = round_the_loop(client, who, h, first["case_id"])
    assert closed["status"] == "closed"
    before = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert before["allowed_actions"] == []

    repeat = client.post("/api/v1/complaints", json=complaint(received_at=now(), external_ref="WO-2"),
                         headers=h["clerk"])
    assert repeat.status_code == 201, repeat.text
    assert repeat.json()["case_id"] == first["case_id"] and repeat.json()["repeat"] is True
    assert repeat.json()["status"] == "accepted"

    case = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert case["status"] == "accepted" and case["closed_at"] is None
    assert "dispatch" in case["allowed_actions"]
    assert case["due_at"] > before["due_at"]  # 5 working days from the repeat, not from the first complaint
    assert case["overdue"] is False and case["progress_colour"] == "blue"
    assert (case["rework_count"], case["handling_count"], case["repeat_count"]) == (1, 2, 1)
    reopen = [e for e in case["history"] if e["action"] == "reopen"]
    assert len(reopen) == 1
    assert reopen[0]["from_status"] == "closed" and reopen[0]["to_status"] == "accepted"
    assert reopen[0]["data"]["complaint_id"] == repeat.json()["id"]
    assert reopen[0]["data"]["previous_due_at"] == before["due_at"] and reopen[0]["data"]["due_at"] == case["due_at"]
    assert case["history"][-1]["action"] == "reopen" and "repeat" in [e["action"] for e in case["history"]]

    # Integrators hear of it as of any reopening.
    announced = db.scalars(select(WebhookOutboxItem.event).where(WebhookOutboxItem.case_id == first["case_id"])).all()
    assert announced == ["case.reopened"]

    # The new handling goes round the loop like the first one.
    again = round_the_loop(client, who, h, first["case_id"], first=False)
    assert again["status"] == "closed" and again["rework_count"] == 1


def test_a_repeat_while_the_case_is_open_does_not_count_as_rework(db, client, auth):
    _, h = people(db, auth)
    first = client.post("/api/v1/complaints", json=complaint(), headers=h["clerk"]).json()
    repeat = client.post("/api/v1/complaints", json=complaint(received_at=now()), headers=h["clerk"]).json()
    assert repeat["case_id"] == first["case_id"] and repeat["status"] == "registered"
    case = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert (case["rework_count"], case["handling_count"], case["repeat_count"]) == (0, 1, 1)
    assert "reopen" not in [e["action"] for e in case["history"]]


def test_a_repeat_after_the_window_opens_a_new_case(db, client, auth):
    who, h = people(db, auth)
    first = client.post("/api/v1/complaints", json=complaint(received_at=(NOW - timedelta(days=60)).isoformat()),
                        headers=h["clerk"]).json()
    steps = [("clerk", "accept", None), ("chief", "dispatch", {"user_id": who["inspector"].id}),
             ("inspector", "start", None), ("inspector", "reply", {"summary": "已整改"}),
             ("clerk", "revisit", {"satisfaction": "satisfied"}), ("clerk", "close", None)]
    for day, (role, action, payload) in enumerate(steps):  # the loop was run 59 to 54 days ago
        casework.act(db, case_id=first["case_id"], action=action, payload=payload, actor=actor(who[role]),
                     now=NOW - timedelta(days=59 - day))
    late = client.post("/api/v1/complaints", json=complaint(received_at=now()), headers=h["clerk"]).json()
    assert late["case_id"] != first["case_id"] and late["repeat"] is False and late["status"] == "registered"
    old = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert old["status"] == "closed" and old["rework_count"] == 0


def test_an_open311_repeat_of_a_closed_case_reopens_it(db, client, auth):
    from ecogrid.accounts import service as user_service

    who, h = people(db, auth)
    first = client.post("/api/v1/complaints", json=complaint(channel="open311"), headers=h["clerk"]).json()
    round_the_loop(client, who, h, first["case_id"])
    key = user_service.create_api_key(db, name="311-client")[1]
    answer = client.post("/open311/v2/requests.json", content=f"api_key={key}&service_code=odour&lat=36.502"
                         "&long=120.502&description=又有异味",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code in (200, 201), answer.text
    request_id = answer.json()[0]["service_request_id"]
    read = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
    assert read["status"] == "open" and "已受理" in read["service_notice"]
    case = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert case["status"] == "accepted" and case["rework_count"] == 1


def test_a_file_import_reopens_a_closed_case_its_repeat_joins(db, client, auth):
    who, h = people(db, auth)
    first = client.post("/api/v1/complaints", json=complaint(), headers=h["clerk"]).json()
    round_the_loop(client, who, h, first["case_id"])
    received = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    rows = ("channel,kind,category,description,received_at,external_ref,lon,lat\n"
            f"hotline_12345,complaint,odour,又有异味,{received},IMP-1,120.502,36.502\n"
            f"hotline_12345,complaint,odour,还是有异味,{received},IMP-2,120.5021,36.5021\n")
    report = bulk_import.import_file(db, source=rows.encode(), mapping=bulk_import.load_mapping(),
                                     created_by_id=who["clerk"].id)
    assert (report.stored, report.repeats, report.reopened, report.new_cases) == (2, 2, 1, 0), report.errors
    case = client.get(f"/api/v1/cases/{first['case_id']}", headers=h["chief"]).json()
    assert case["status"] == "accepted" and case["repeat_count"] == 2
    assert (case["rework_count"], case["handling_count"]) == (1, 2)
    reopen = [e for e in case["history"] if e["action"] == "reopen"]
    imported = db.query(Complaint.id).filter(Complaint.external_ref == "IMP-1").scalar()
    assert len(reopen) == 1 and reopen[0]["data"]["complaint_id"] == imported


def test_a_calendar_load_counts_a_reworked_deadline_from_the_repeat_that_reopened_it(db, client, auth):
    who, h = people(db, auth)
    first = client.post("/api/v1/complaints", json=complaint(received_at=(NOW - timedelta(days=20)).isoformat()),
                        headers=h["clerk"]).json()
    round_the_loop(client, who, h, first["case_id"])
    client.post("/api/v1/complaints", json=complaint(received_at=now(), external_ref="WO-R"), headers=h["clerk"])
    row = db.get(Case, first["case_id"])
    db.refresh(row)
    given = row.due_at
    assert row.rework_count == 1 and given > NOW  # 5 working days from the repeat
    # The same calendar again changes nothing: the reopened handling's clock is the repeat's, not the first's.
    year = given.astimezone(BEIJING).year
    casework.recount_deadlines(db, year=year, calendar=calendar_service.current(db))
    db.refresh(row)
    assert row.due_at == given
