"""Generated grid cells are one level below the zone they cover, own the points inside it, and carry its
officer and noise class until they are given their own."""

from __future__ import annotations

from sqlalchemy import select

from ecogrid.core.errors import InvalidInput
from ecogrid.core.models import Zone
from ecogrid.zones import service as zone_service
from tests.staffing import person, zone


def street_with_grid(db):
    officer = person(db, "inspector")
    district = zone(db, level="district", west=120.0, south=36.0, size=0.05)
    street = zone(db, level="street", parent=district, officer=officer, west=120.0, south=36.0, size=0.01)
    street.noise_class = "2"
    # A hand-drawn 网格 over the same ground: the generated cells lie below it too.
    zone(db, level="grid", parent=street, west=120.0, south=36.0, size=0.01)
    db.flush()
    return street, officer


def test_a_complaint_inside_a_generated_cell_is_owned_by_the_cell(db, client, auth):
    street, officer = street_with_grid(db)
    result = zone_service.generate_grid(db, parent_code=street.code, size_m=250)
    assert result.created
    r = client.post("/api/v1/complaints", headers=auth("clerk"), json={
        "channel": "hotline_12345", "kind": "complaint", "category": "noise_construction",
        "description": "夜间施工噪声",
        "lon": 120.0031, "lat": 36.0032})
    assert r.status_code == 201, r.text
    owner = r.json()["zone"]["code"]
    assert owner in result.created and r.json()["zone"]["level"] == "cell"
    cell = client.get(f"/api/v1/zones/{owner}", headers=auth("chief")).json()["properties"]
    assert cell["level"] == "cell" and cell["parent"] == street.code
    assert cell["officer_id"] == officer.id and cell["noise_class"] == "2"


def test_cells_follow_their_parents_officer_and_noise_class_until_given_their_own(db, client, auth):
    street, _ = street_with_grid(db)
    first, second = zone_service.generate_grid(db, parent_code=street.code, size_m=250).created[:2]
    chief = auth("chief")
    own = person(db, "inspector")
    assert client.patch(f"/api/v1/zones/{first}", headers=chief, json={"officer_id": own.id}).status_code == 200
    successor = person(db, "inspector")
    r = client.patch(f"/api/v1/zones/{street.code}", headers=chief,
                     json={"officer_id": successor.id, "noise_class": "1"})
    assert r.status_code == 200, r.text
    cells = {z.code: z for z in db.scalars(select(Zone).where(Zone.code.in_([first, second])))}
    db.expire_all()
    assert (cells[first].officer_id, cells[first].noise_class) == (own.id, "1")
    assert (cells[second].officer_id, cells[second].noise_class) == (successor.id, "1")
    # Generating again keeps what was set on a cell.
    zone_service.generate_grid(db, parent_code=street.code, size_m=250)
    db.expire_all()
    assert db.scalar(select(Zone.officer_id).where(Zone.code == first)) == own.id


def test_a_cell_is_not_covered_by_cells_again(db):
    street, _ = street_with_grid(db)
    first = zone_service.generate_grid(db, parent_code=street.code, size_m=250).created[0]
    try:
        zone_service.generate_grid(db, parent_code=first, size_m=100)
    except InvalidInput as exc:
        assert exc.field == "parent"
    else:
        raise AssertionError("a cell was covered with cells")
