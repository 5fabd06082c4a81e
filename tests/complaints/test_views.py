from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ecogrid.accounts import service as user_service
from tests.staffing import city_chief, dispatch
from tests.zones.test_service import seed_zones

NOW = datetime.now(UTC).replace(microsecond=0)


def body(**over) -> dict:
    data = {"channel": "hotline_12369", "kind": "complaint", "category": "odour", "description": "夜间刺鼻气味",
            "lon": 120.002, "lat": 36.002, "complainant_name": "王小明", "complainant_phone": "13812345678",
            "received_at": (NOW - timedelta(hours=1)).isoformat()}
    data.update(over)
    return data


def counts(db) -> tuple[int, int, int]:
    return db.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases), "
                           "(SELECT count(*) FROM case_events)")).one()


@pytest.fixture
def clerk(auth):
    return auth("clerk")


def test_new_complaint_gets_zone_case_and_deadline(db, client, clerk):
    seed_zones(db)
    r = client.post("/api/v1/complaints", json=body(), headers=clerk)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["zone"] == {"code": "A1", "name": "甲一街道", "level": "street"}
    assert out["repeat"] is False and out["status"] == "registered" and out["case_id"]
    assert out["due_at"] and out["out_of_jurisdiction"] is False
    assert out["complainant_phone"] == "13812345678"
    assert out["orig_crs"] == "wgs84" and out["suspects"] == []
    event = db.execute(text("SELECT action FROM case_events WHERE case_id = :c"), {"c": out["case_id"]}).scalar()
    assert event == "register"


def test_gcj02_input_is_stored_in_wgs84_with_the_original_kept(db, client, clerk):
    seed_zones(db)
    r = client.post("/api/v1/complaints", json=body(crs="gcj02", lon=120.0072, lat=36.0008), headers=clerk)
    out = r.json()
    assert out["orig_lon"] == 120.0072 and out["orig_crs"] == "gcj02"
    assert abs(out["lon"] - 120.0072) > 0.003  # the GCJ-02 offset near Qingdao is ~500 m


def test_same_external_ref_returns_existing_with_200(db, client, clerk):
    seed_zones(db)
    first = client.post("/api/v1/complaints", json=body(external_ref="WO-1"), headers=clerk)
    before = counts(db)
    again = client.post("/api/v1/complaints", json=body(external_ref="WO-1", description="再次"), headers=clerk)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert counts(db) == before


def test_repeat_within_radius_joins_the_open_case(db, client, clerk):
    seed_zones(db)
    first = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    # ~200 m east: within the 500 m odour radius.
    second = client.post("/api/v1/complaints", json=body(lon=120.0042), headers=clerk).json()
    assert second["repeat"] is True and second["case_id"] == first["case_id"]
    case = db.execute(text("SELECT repeat_count FROM cases WHERE id = :c"), {"c": first["case_id"]}).one()
    assert case.repeat_count == 1
    actions = db.scalars(text("SELECT action FROM case_events WHERE case_id = :c ORDER BY id"),
                         {"c": first["case_id"]}).all()
    assert actions == ["register", "repeat"]


def test_outside_radius_or_other_category_opens_a_new_case(db, client, clerk):
    seed_zones(db)
    first = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    far = client.post("/api/v1/complaints", json=body(lon=120.009), headers=clerk).json()  # ~630 m
    other = client.post("/api/v1/complaints", json=body(category="dust"), headers=clerk).json()
    assert far["repeat"] is False and far["case_id"] != first["case_id"]
    assert other["repeat"] is False and other["case_id"] != first["case_id"]


def test_case_closed_recently_attracts_repeats_long_ago_does_not(db, client, clerk):
    seed_zones(db)
    first = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    db.execute(text("UPDATE cases SET status = 'closed', closed_at = :t WHERE id = :c"),
               {"t": NOW - timedelta(days=10), "c": first["case_id"]})
    recent = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    assert recent["case_id"] == first["case_id"] and recent["repeat"]
    assert recent["status"] == "accepted"  # reopened as rework
    db.execute(text("UPDATE cases SET status = 'closed', closed_at = :t WHERE id = :c"),
               {"t": NOW - timedelta(days=90), "c": first["case_id"]})
    late = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    assert late["case_id"] != first["case_id"] and not late["repeat"]


def test_consultation_opens_its_own_case_and_is_not_linked(db, client, clerk):
    seed_zones(db)
    first = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    ask = client.post("/api/v1/complaints", json=body(kind="consultation"), headers=clerk).json()
    assert ask["case_id"] != first["case_id"] and not ask["repeat"]


def test_outside_every_zone_is_accepted_with_nearest_zone(db, client, clerk):
    seed_zones(db)
    out = client.post("/api/v1/complaints", json=body(lon=120.03, lat=36.005), headers=clerk).json()
    assert out["zone"] is None and out["out_of_jurisdiction"] is True
    assert out["nearest_zone"]["code"] == "B" and 880 < out["nearest_zone"]["distance_m"] < 920


def test_address_only_is_accepted_unlocated(db, client, clerk):
    seed_zones(db)
    r = client.post("/api/v1/complaints", json=body(lon=None, lat=None, address="市南区香港中路1号"), headers=clerk)
    assert r.status_code == 201
    assert r.json()["zone"] is None and r.json()["needs_geocoding"] is True


@pytest.mark.parametrize(("over", "field"), [
    ({"lat": 91}, "lat"), ({"lon": -181}, "lon"), ({"lon": math.nan}, "lon"),
    ({"category": "smells"}, "category"), ({"channel": "fax"}, "channel"), ({"kind": "praise"}, "kind"),
    ({"crs": "epsg3857"}, "crs"), ({"description": "x" * 4001}, "description"),
    ({"address": "x" * 501}, "address"), ({"complainant_name": "x" * 101}, "complainant_name"),
    ({"lon": None, "lat": None}, "lon"), ({"lat": None}, "lat"),
    ({"received_at": (NOW + timedelta(days=2)).isoformat()}, "received_at"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(db, client, clerk, over, field):
    seed_zones(db)
    before = counts(db)
    payload = body(**over)
    # json.dumps writes NaN as the bare token NaN, as some clients do.
    r = client.post("/api/v1/complaints", content=json.dumps(payload),
                    headers={**clerk, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert any(field in d["loc"] for d in r.json()["detail"]), r.json()
    assert counts(db) == before


def test_inspector_may_not_register_and_sees_masked_personal_data(db, client, clerk, auth, make_user):
    seed_zones(db)
    inspector = make_user("inspector")
    assert client.post("/api/v1/complaints", json=body(), headers=auth(inspector)).status_code == 403
    created = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    dispatch(db, case_id=created["case_id"], chief=city_chief(db), to={"user_id": inspector.id})
    seen = client.get(f"/api/v1/complaints/{created['id']}", headers=auth(inspector)).json()
    assert seen["complainant_phone"] == "138****5678" and seen["complainant_name"] == "王**"


def test_unmasked_read_is_audited(db, client, clerk, auth):
    seed_zones(db)
    created = client.post("/api/v1/complaints", json=body(), headers=clerk).json()
    before = db.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'personal_data.read'"))
    client.get(f"/api/v1/complaints/{created['id']}", headers=auth("chief"))
    assert db.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'personal_data.read'")) == before + 1


def test_api_key_may_register(db, client):
    seed_zones(db)
    _, key = user_service.create_api_key(db, name="hotline")
    r = client.post("/api/v1/complaints", json=body(external_ref="K-1"), headers={"X-API-Key": key})
    assert r.status_code == 201


def test_list_filters_paginates_and_speaks_geojson(db, client, clerk):
    seed_zones(db)
    for i in range(5):
        client.post("/api/v1/complaints", headers=clerk,
                    json=body(received_at=(NOW - timedelta(hours=i + 1)).isoformat(), lon=120.002 + i * 0.006 / 4,
                              category="dust" if i == 4 else "noise_social"))
    client.post("/api/v1/complaints", json=body(lon=120.015), headers=clerk)  # zone B
    page = client.get("/api/v1/complaints?zone=A&limit=2&offset=0", headers=clerk).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    nxt = client.get("/api/v1/complaints?zone=A&limit=2&offset=2", headers=clerk).json()
    times = [i["received_at"] for i in page["items"] + nxt["items"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 4
    dust = client.get("/api/v1/complaints?category=dust", headers=clerk).json()
    assert dust["total"] == 1
    frm = (NOW - timedelta(hours=2, minutes=30)).isoformat()
    assert client.get("/api/v1/complaints", params={"from": frm, "zone": "A"}, headers=clerk).json()["total"] == 2
    geo = client.get("/api/v1/complaints?format=geojson&zone=B", headers=clerk).json()
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] == "Point"
    boxed = client.get("/api/v1/complaints?bbox=120.01,36.0,120.02,36.01", headers=clerk).json()
    assert boxed["total"] == 1
