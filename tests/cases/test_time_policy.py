"""One reading of a bare time and one rendering of every time the API gives back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecogrid.cases import service as casework
from ecogrid.core.time import BEIJING
from tests.casefactory import at, new_case


def test_a_bare_received_at_is_beijing_time_and_comes_back_with_plus_eight_everywhere(client, auth):
    clerk = auth("clerk")
    received = (datetime.now(BEIJING) - timedelta(hours=2)).replace(microsecond=0, tzinfo=None)
    r = client.post("/api/v1/complaints", headers=clerk, json={
        "channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "刺鼻气味",
        "address": "规则路1号", "received_at": received.isoformat()})
    assert r.status_code == 201, r.text
    complaint = client.get(f"/api/v1/complaints/{r.json()['id']}", headers=clerk).json()
    assert complaint["received_at"] == received.isoformat() + "+08:00"
    assert complaint["due_at"].endswith("+08:00")
    [item] = client.get("/api/v1/cases", headers=clerk).json()["items"]
    assert item["opened_at"] == received.isoformat() + "+08:00"
    [request] = client.get(f"/open311/v2/requests/{complaint['id']}.json").json()
    assert request["requested_datetime"] == received.isoformat() + "+08:00"


def test_open311_reads_a_bare_time_as_beijing_time(client, auth):
    received = datetime.now(UTC).astimezone(BEIJING).replace(microsecond=0) - timedelta(hours=3)
    r = client.post("/api/v1/complaints", headers=auth("clerk"), json={
        "channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "刺鼻气味",
        "address": "规则路2号", "received_at": received.isoformat()})
    assert r.status_code == 201, r.text
    # Beijing wall-clock bounds around it find it; read as UTC they would end eight hours too early.
    bare = received.replace(tzinfo=None)
    window = {"start_date": (bare - timedelta(minutes=30)).isoformat(),
              "end_date": (bare + timedelta(minutes=30)).isoformat()}
    found = client.get("/open311/v2/requests.json", params=window)
    assert [q["service_request_id"] for q in found.json()] == [str(r.json()["id"])]


def test_a_deadline_counted_through_an_unpublished_calendar_year_is_marked_estimated(db, make_user):
    clerk = make_user("clerk")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    known = new_case(db, opened_at=at("2026-03-02 10:00"))
    guessed = new_case(db, opened_at=at("2026-12-30 10:00"))
    assert casework.act(db, case_id=known.id, action="accept", payload=None, actor=actor,
                        now=at("2026-03-02 11:00"))["due_estimated"] is False
    assert casework.act(db, case_id=guessed.id, action="accept", payload=None, actor=actor,
                        now=at("2026-12-30 11:00"))["due_estimated"] is True


def test_a_bare_time_in_a_list_filter_is_beijing_time(client, auth):
    clerk = auth("clerk")
    received = (datetime.now(BEIJING) - timedelta(hours=3)).replace(microsecond=0, tzinfo=None)
    r = client.post("/api/v1/complaints", headers=clerk, json={
        "channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "刺鼻气味",
        "address": "规则路2号", "received_at": received.isoformat()})
    assert r.status_code == 201, r.text

    def listed(**bounds: datetime) -> list[int]:
        query = {k: v.isoformat() for k, v in bounds.items()}
        return [c["id"] for c in client.get("/api/v1/complaints", params=query, headers=clerk).json()["items"]]

    # Read as UTC, a bare "from" half an hour earlier would lie eight hours later and miss it.
    assert r.json()["id"] in listed(**{"from": received - timedelta(minutes=30)})
    assert r.json()["id"] not in listed(**{"from": received + timedelta(minutes=30)})
    assert r.json()["id"] in listed(to=received + timedelta(minutes=30))
