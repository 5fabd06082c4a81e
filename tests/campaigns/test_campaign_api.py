"""Special campaigns over the API: a chief creates one, bad input is refused naming the field, cases are
linked and unlinked, and the progress report is the bulletin's figures counted over the campaign's cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ecogrid.cases import figures
from ecogrid.cases.reports import Window
from ecogrid.core.models import Campaign, Case, Source
from ecogrid.core.time import today
from ecogrid.sources import credit_code
from tests.casefactory import new_case
from tests.inspection_seed import seed_case
from tests.staffing import city_chief, person, zone


def source(db, name: str = "某化工厂") -> Source:
    row = Source(name=name, industry="other", credit_code=credit_code.make(org8=f"{uuid.uuid4().int % 10**8:08d}"),
                 categories=["voc"], geom="SRID=4326;POINT(120.35 36.05)")
    db.add(row)
    db.flush()
    return row


def body(**changes) -> dict:
    first = today() - timedelta(days=10)
    return {"name": f"VOCs专项 {uuid.uuid4().hex[:6]}", "start_date": first.isoformat(),
            "end_date": (first + timedelta(days=20)).isoformat(), "categories": ["voc", "odour"], **changes}


def test_a_chief_creates_a_campaign_and_staff_read_it_with_its_progress(client, db, auth):
    chief = city_chief(db)
    street = zone(db, level="street")
    unit = source(db)
    r = client.post("/api/v1/campaigns", json=body(name="2027年VOCs专项", zone_ids=[street.id], source_ids=[unit.id]),
                    headers=auth(chief))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["name"] == "2027年VOCs专项" and made["zone_ids"] == [street.id] and made["source_ids"] == [unit.id]
    assert made["categories"] == ["voc", "odour"] and made["case_ids"] == []
    assert made["progress"]["target_units"] == 1 and made["progress"]["not_inspected"] == 1
    assert made["progress"]["figures"]["open"] == 0

    listed = client.get("/api/v1/campaigns", headers=auth("planner")).json()
    assert [c["id"] for c in listed["items"]] == [made["id"]]
    assert client.get(f"/api/v1/campaigns/{made['id']}", headers=auth("clerk")).json()["name"] == "2027年VOCs专项"

    again = client.post("/api/v1/campaigns", json=body(name="2027年VOCs专项"), headers=auth(chief))
    assert again.status_code == 409 and again.json()["detail"][0]["loc"] == ["body", "name"]
    changed = client.patch(f"/api/v1/campaigns/{made['id']}", json={"end_date": made["start_date"]},
                           headers=auth(chief))
    assert changed.status_code == 200 and changed.json()["end_date"] == made["start_date"]
    assert changed.json()["source_ids"] == [unit.id]  # what the change did not name stays
    assert client.post("/api/v1/campaigns", json=body(), headers=auth("clerk")).status_code == 403
    assert client.get("/api/v1/campaigns/999999", headers=auth("clerk")).status_code == 404


def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(client, db, auth):
    chief = auth(city_chief(db))
    before = db.scalar(select(func.count()).select_from(Campaign))
    first = today()
    cases = [
        (body(start_date=first.isoformat(), end_date=(first - timedelta(days=1)).isoformat()), "end_date"),
        (body(categories=["smell"]), "categories"),
        (body(zone_ids=[999_999]), "zone_ids"),
        (body(source_ids=[999_998]), "source_ids"),
        (body(name="   "), "name"),
        (body(start_date="someday"), "start_date"),
    ]
    for payload, field in cases:
        r = client.post("/api/v1/campaigns", json=payload, headers=chief)
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["detail"][0]["loc"], (field, r.json())
    assert db.scalar(select(func.count()).select_from(Campaign)) == before
    made = client.post("/api/v1/campaigns", json=body(), headers=chief).json()
    r = client.patch(f"/api/v1/campaigns/{made['id']}", json={"start_date": (first + timedelta(days=30)).isoformat()},
                     headers=chief)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "end_date"]
    assert client.get(f"/api/v1/campaigns/{made['id']}", headers=chief).json()["start_date"] == made["start_date"]


def test_a_chief_links_and_unlinks_cases_of_the_campaigns_scope(client, db, auth):
    chief = city_chief(db)
    district = zone(db, level="district")
    street = zone(db, level="street", parent=district)
    made = client.post("/api/v1/campaigns", json=body(zone_ids=[district.id]), headers=auth(chief)).json()
    inside = new_case(db, category="voc", zone_id=street.id)  # a zone below the campaign's counts
    url = f"/api/v1/campaigns/{made['id']}/cases/{inside.id}"
    r = client.post(url, headers=auth(chief))
    assert r.status_code == 200 and r.json() == {"campaign_id": made["id"], "case_id": inside.id, "linked": True,
                                                 "changed": True}
    assert client.post(url, headers=auth(chief)).json()["changed"] is False  # a retry links it once
    assert client.get(f"/api/v1/campaigns/{made['id']}", headers=auth(chief)).json()["case_ids"] == [inside.id]

    noise = new_case(db, category="noise_social", zone_id=street.id)
    elsewhere = new_case(db, category="voc", zone_id=zone(db, level="street").id)
    for other in (noise, elsewhere):
        refused = client.post(f"/api/v1/campaigns/{made['id']}/cases/{other.id}", headers=auth(chief))
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "case_id"]
    assert client.post(f"/api/v1/campaigns/{made['id']}/cases/999999", headers=auth(chief)).status_code == 404
    assert client.post(url, headers=auth("inspector")).status_code == 403

    gone = client.delete(url, headers=auth(chief))
    assert gone.status_code == 200 and gone.json()["linked"] is False and gone.json()["changed"] is True
    assert client.get(f"/api/v1/campaigns/{made['id']}", headers=auth(chief)).json()["case_ids"] == []


def test_progress_is_the_bulletins_figures_over_the_campaigns_cases(client, db, auth):
    chief = city_chief(db)
    made = client.post("/api/v1/campaigns", json=body(), headers=auth(chief)).json()
    now = datetime.now(UTC)
    overdue = new_case(db, category="voc", status="dispatched", accepted_at=now - timedelta(days=3),
                       due_at=now - timedelta(hours=2), opened_at=now - timedelta(days=3))
    fresh = new_case(db, category="odour", opened_at=now - timedelta(hours=3))
    new_case(db, category="voc", status="dispatched", due_at=now - timedelta(hours=1))  # not linked: not counted
    for case in (overdue, fresh):
        assert client.post(f"/api/v1/campaigns/{made['id']}/cases/{case.id}", headers=auth(chief)).status_code == 200

    shown = client.get(f"/api/v1/campaigns/{made['id']}", headers=auth(chief)).json()["progress"]
    window = Window(datetime.fromisoformat(made["start_date"]).date(), datetime.fromisoformat(made["end_date"]).date())
    by_hand = figures.city(db, start=window.start, end=window.end, now=datetime.now(UTC),
                           where=[Case.id.in_([overdue.id, fresh.id])])
    assert shown["figures"] == by_hand.as_dict()
    assert shown["cases"] == 2 and shown["figures"]["overdue"] == 1 and shown["figures"]["open"] == 2
    whole_city = figures.city(db, start=window.start, end=window.end, now=datetime.now(UTC))
    assert whole_city.overdue > shown["figures"]["overdue"]


def test_target_units_inspected_during_the_period_and_inspections_naming_the_campaign(client, db, auth):
    chief = city_chief(db)
    inspector = person(db, "inspector")
    seeded = seed_case(db, inspector_id=inspector.id, category="voc")
    idle = source(db, "未检查的工厂")
    made = client.post("/api/v1/campaigns", json=body(source_ids=[seeded.source_id, idle.id]),
                       headers=auth(chief)).json()
    visit = {"case_id": seeded.case_id, "client_id": f"visit-{uuid.uuid4().hex}", "findings": "车间废气收集不到位",
             "conclusion": "source_identified", "source_id": seeded.source_id}
    refused = client.post("/api/v1/inspections", json={**visit, "campaign_id": 999_999}, headers=auth(inspector))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "campaign_id"]
    r = client.post("/api/v1/inspections", json={**visit, "campaign_id": made["id"]}, headers=auth(inspector))
    assert r.status_code == 201, r.text
    assert r.json()["campaign_id"] == made["id"]
    without = client.post("/api/v1/inspections", json={**visit, "client_id": f"visit-{uuid.uuid4().hex}"},
                          headers=auth(inspector))
    assert without.status_code == 201 and without.json()["campaign_id"] is None  # the field stays optional

    progress = client.get(f"/api/v1/campaigns/{made['id']}", headers=auth(chief)).json()["progress"]
    assert (progress["target_units"], progress["inspected"], progress["not_inspected"]) == (2, 1, 1)
    assert progress["inspections_for_campaign"] == 1
    units = {u["source_id"]: u["inspections"] for u in progress["units"]}
    assert units == {seeded.source_id: 2, idle.id: 0}
