from __future__ import annotations

from ecogrid.sources import credit_code
from geo import coords

CODE = credit_code.make(org8="APQT0001")
BODY = {"name": "示范印刷", "credit_code": CODE, "industry": "printing", "lon": 120.40, "lat": 36.10}


def test_planner_creates_a_source_and_anyone_signed_in_reads_it(client, auth):
    resp = client.post("/api/v1/sources", json=BODY, headers=auth("planner"))
    assert resp.status_code == 201
    created = resp.json()
    assert created["categories"] == ["odour", "voc"] and created["categories_from_industry"] is True
    got = client.get(f"/api/v1/sources/{created['id']}", headers=auth("inspector"))
    assert got.status_code == 200 and got.json()["credit_code"] == CODE


def test_creating_sources_needs_the_right_role(client, auth):
    assert client.post("/api/v1/sources", json=BODY).status_code == 401
    assert client.post("/api/v1/sources", json=BODY, headers=auth("clerk")).status_code == 403
    assert client.post("/api/v1/sources", json=BODY, headers=auth("inspector")).status_code == 403


def test_bad_credit_code_is_422_naming_the_field(client, auth):
    bad = {**BODY, "credit_code": CODE[:17] + ("0" if CODE[17] != "0" else "1")}
    resp = client.post("/api/v1/sources", json=bad, headers=auth("chief"))
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "credit_code"


def test_gcj02_body_is_stored_as_wgs84(client, auth):
    glon, glat = coords.from_wgs84(120.40, 36.10, "gcj02")
    resp = client.post("/api/v1/sources", json={**BODY, "lon": glon, "lat": glat, "crs": "gcj02"},
                       headers=auth("chief"))
    assert resp.status_code == 201
    assert coords.haversine_m(resp.json()["lon"], resp.json()["lat"], 120.40, 36.10) < 1.0


def test_patch_updates_and_list_filters_and_geojson(client, auth):
    headers = auth("chief")
    sid = client.post("/api/v1/sources", json=BODY, headers=headers).json()["id"]
    resp = client.patch(f"/api/v1/sources/{sid}", json={"key_discharger": True, "categories": ["voc"]},
                        headers=headers)
    assert resp.status_code == 200 and resp.json()["key_discharger"] is True and resp.json()["categories"] == ["voc"]
    listed = client.get("/api/v1/sources", params={"key_discharger": "true", "industry": "printing",
                                                   "bbox": "120.3,36.0,120.5,36.2"}, headers=headers).json()
    assert sid in [s["id"] for s in listed["items"]] and listed["total"] >= 1
    outside = client.get("/api/v1/sources", params={"bbox": "100,20,100.1,20.1"}, headers=headers).json()
    assert outside == {"items": [], "total": 0}
    geo = client.get("/api/v1/sources", params={"format": "geojson", "category": "voc"}, headers=headers).json()
    feature = next(f for f in geo["features"] if f["id"] == sid)
    assert geo["type"] == "FeatureCollection" and feature["geometry"]["type"] == "Point"
    assert "credit_code" in feature["properties"]


def test_unknown_source_is_404(client, auth):
    assert client.get("/api/v1/sources/999999", headers=auth("clerk")).status_code == 404
    assert client.patch("/api/v1/sources/999999", json={"name": "x"}, headers=auth("chief")).status_code == 404


def test_only_admin_edits_the_industry_table(client, auth):
    listed = client.get("/api/v1/industries", headers=auth("clerk")).json()
    assert "chemical" in {i["code"] for i in listed["items"]}
    body = {"categories": ["odour", "voc", "dust"]}
    assert client.put("/api/v1/industries/printing", json=body, headers=auth("chief")).status_code == 403
    resp = client.put("/api/v1/industries/printing", json=body, headers=auth("admin"))
    assert resp.status_code == 200 and resp.json()["categories"] == ["dust", "odour", "voc"]
    bad = client.put("/api/v1/industries/printing", json={"categories": ["smell"]}, headers=auth("admin"))
    assert bad.status_code == 422
