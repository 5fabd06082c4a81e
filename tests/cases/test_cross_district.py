"""Cross-district cases (跨区) through the API: a complaint in one district whose confirmed source lies in
another is within reach of both districts' chiefs, carries ``cross_district`` and is listed for the city level
under ``cross_district=1``."""

from __future__ import annotations

import uuid

from ecogrid.core.models import Source
from ecogrid.sources import credit_code
from tests.casefactory import new_case
from tests.console.console_support import sign_in
from tests.staffing import person, zone


def city_with_districts(db):
    """A top zone (the city level) with districts A, B, C side by side, each with its own chief; a street and
    a grid in B."""
    city_chief = person(db, "chief")
    city = zone(db, level="district", officer=city_chief, west=121.0, size=0.3)
    chiefs, districts = {}, {}
    for k, name in enumerate("ABC"):
        chiefs[name] = person(db, "chief")
        districts[name] = zone(db, level="district", officer=chiefs[name], parent=city, west=121.0 + 0.1 * k)
    street_in_b = zone(db, level="street", parent=districts["B"], west=121.11, south=36.01, size=0.05)
    grid_in_b = zone(db, level="grid", parent=street_in_b, west=121.12, south=36.02, size=0.02)
    return city_chief, chiefs, districts, grid_in_b


def source_in(db, zone_row, lon: float) -> Source:
    row = Source(name=f"化工厂 {uuid.uuid4().hex[:6]}", credit_code=credit_code.make(org8=uuid.uuid4().hex[:8].upper()),
                 industry="chemical", categories=["odour"], geom=f"SRID=4326;POINT({lon} 36.03)", zone_id=zone_row.id)
    db.add(row)
    db.flush()
    return row


def read(client, headers, case_id):
    response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def listed(client, headers, **params) -> list[int]:
    response = client.get("/api/v1/cases", headers=headers, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_a_case_whose_source_lies_in_another_district_is_within_reach_of_both_chiefs(client, db, auth):
    city_chief, chiefs, districts, grid_in_b = city_with_districts(db)
    heads = {name: auth(user) for name, user in chiefs.items()}
    clerk = auth("clerk")
    row = new_case(db, zone_id=districts["A"].id)
    assert client.post(f"/api/v1/cases/{row.id}/accept", headers=clerk, json={}).status_code == 200

    before = read(client, heads["B"], row.id)
    assert before["cross_district"] is False and before["allowed_actions"] == []
    assert "dispatch" in read(client, heads["A"], row.id)["allowed_actions"]

    plant = source_in(db, grid_in_b, lon=121.13)
    confirmed = client.post(f"/api/v1/cases/{row.id}/source", headers=heads["A"], json={"source_id": plant.id})
    assert confirmed.status_code == 200, confirmed.text

    for name in ("A", "B"):
        body = read(client, heads[name], row.id)
        assert body["cross_district"] is True and "dispatch" in body["allowed_actions"], name
    other = read(client, heads["C"], row.id)
    assert other["cross_district"] is True and other["allowed_actions"] == []
    inspector = person(db, "inspector")
    refused = client.post(f"/api/v1/cases/{row.id}/dispatch", headers=heads["C"], json={"user_id": inspector.id})
    assert refused.status_code == 403
    done = client.post(f"/api/v1/cases/{row.id}/dispatch", headers=heads["B"], json={"user_id": inspector.id})
    assert done.status_code == 200, done.text
    assert done.json()["cross_district"] is True and done.json()["status"] == "dispatched"


def test_the_city_level_lists_cross_district_cases_and_a_source_next_door_is_not_one(client, db, auth):
    city_chief, chiefs, districts, grid_in_b = city_with_districts(db)
    crossing = new_case(db, zone_id=districts["A"].id, confirmed_source_id=source_in(db, grid_in_b, 121.13).id)
    street_in_a = zone(db, level="street", parent=districts["A"], west=121.01, south=36.01, size=0.03)
    at_home = new_case(db, zone_id=street_in_a.id, confirmed_source_id=source_in(db, districts["A"], 121.05).id)
    unconfirmed = new_case(db, zone_id=districts["C"].id)
    outside = new_case(db, zone_id=None, confirmed_source_id=source_in(db, districts["B"], 121.15).id)
    city = auth(city_chief)

    assert listed(client, city, cross_district=1) == [crossing.id]
    assert set(listed(client, city, cross_district=0)) >= {at_home.id, unconfirmed.id, outside.id}
    assert crossing.id not in listed(client, city, cross_district=0)
    flags = {c["id"]: c["cross_district"] for c in client.get("/api/v1/cases", headers=city,
                                                               params={"limit": 1000}).json()["items"]}
    assert flags[crossing.id] is True and not (flags[at_home.id] or flags[unconfirmed.id] or flags[outside.id])
    # The city level acts on it; the flag narrows other filters like any other.
    assert "accept" not in read(client, city, crossing.id)["allowed_actions"]  # accepting is the clerk's
    assert listed(client, city, cross_district=1, zone=districts["B"].code) == []
    assert listed(client, city, cross_district=1, zone=districts["A"].code) == [crossing.id]

    bad = client.get("/api/v1/cases", headers=city, params={"cross_district": "maybe"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "cross_district"


def test_the_console_ledger_filters_and_the_case_page_says_cross_district(client, db):
    city_chief, chiefs, districts, grid_in_b = city_with_districts(db)
    crossing = new_case(db, zone_id=districts["A"].id, confirmed_source_id=source_in(db, grid_in_b, 121.13).id)
    at_home = new_case(db, zone_id=districts["A"].id)
    sign_in(client, city_chief.username)
    ledger = client.get("/cases", params={"cross_district": "1"})
    assert ledger.status_code == 200
    assert f'data-case="{crossing.id}"' in ledger.text and f'data-case="{at_home.id}"' not in ledger.text
    assert 'class="cross-district"' in ledger.text and '<option value="1" selected>' in ledger.text
    page = client.get(f"/cases/{crossing.id}")
    assert page.status_code == 200 and 'id="cross-district"' in page.text and "跨区案件" in page.text
    assert 'id="cross-district"' not in client.get(f"/cases/{at_home.id}").text


def test_with_one_district_on_top_a_source_in_the_next_street_is_not_cross_district(client, db, auth):
    chief = person(db, "chief")
    district = zone(db, level="district", officer=chief, west=122.0, size=0.2)
    here, there = (zone(db, level="street", parent=district, west=122.0 + 0.1 * k, size=0.1) for k in (0, 1))
    row = new_case(db, zone_id=here.id, confirmed_source_id=source_in(db, there, 122.15).id)
    assert read(client, auth(chief), row.id)["cross_district"] is False
    assert row.id not in listed(client, auth(chief), cross_district=1)
