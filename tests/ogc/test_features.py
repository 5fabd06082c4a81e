from __future__ import annotations

import pytest
from shapely.geometry import shape

from tests.ogc.layer_data import NAME, PHONE, build_city

COLLECTIONS = {"zones", "complaints", "cases", "sources", "hotspot_cells"}


@pytest.fixture
def city(db):
    return build_city(db)


def test_landing_page_links_conformance_and_collections(client, auth):
    r = client.get("/ogc", headers=auth("planner"))
    assert r.status_code == 200
    rels = {link["rel"]: link["href"] for link in r.json()["links"]}
    assert rels["conformance"].endswith("/ogc/conformance")
    assert rels["data"].endswith("/ogc/collections")
    assert rels["service-desc"].endswith("/openapi.json")
    conf = client.get("/ogc/conformance", headers=auth("planner")).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_ogc_api_needs_sign_in(client):
    assert client.get("/ogc/collections").status_code == 401
    assert client.get("/ogc/collections/zones/items").status_code == 401


@pytest.mark.usefixtures("city")
def test_collections_list_what_the_role_may_read(client, auth):
    planner = client.get("/ogc/collections", headers=auth("planner")).json()
    assert {c["id"] for c in planner["collections"]} == COLLECTIONS
    zones = next(c for c in planner["collections"] if c["id"] == "zones")
    assert zones["extent"]["spatial"]["bbox"] == [[120.3, 36.0, 120.4, 36.1]]
    inspector = client.get("/ogc/collections", headers=auth("inspector")).json()
    assert {c["id"] for c in inspector["collections"]} == {"zones", "sources"}
    assert client.get("/ogc/collections/complaints/items", headers=auth("inspector")).status_code == 404


@pytest.mark.usefixtures("city")
def test_items_page_with_next_links_and_counts(client, auth):
    headers = auth("clerk")
    seen, url, pages = [], "/ogc/collections/complaints/items?limit=2", 0
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/geo+json"
        body = r.json()
        assert body["numberMatched"] == 5
        assert body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5


def test_complaint_features_never_carry_personal_data(client, auth, city):
    for role in ("clerk", "chief", "admin"):
        r = client.get("/ogc/collections/complaints/items", headers=auth(role))
        text = r.text
        assert NAME not in text and PHONE not in text and "wang@example.cn" not in text
        one = client.get(f"/ogc/collections/complaints/items/{city.complaints[0].id}", headers=auth(role))
        assert one.status_code == 200
        assert NAME not in one.text and PHONE not in one.text
    cases = client.get("/ogc/collections/cases/items", headers=auth("chief"))
    assert cases.status_code == 200 and NAME not in cases.text and PHONE not in cases.text


def test_bbox_datetime_and_property_filters(client, auth, city):
    headers = auth("planner")
    west = client.get("/ogc/collections/complaints/items?bbox=120.30,36.00,120.335,36.10", headers=headers).json()
    assert sorted(f["id"] for f in west["features"]) == sorted(c.id for c in city.complaints[:2])
    assert west["numberMatched"] == 2
    odour = client.get("/ogc/collections/cases/items?category=odour", headers=headers).json()
    assert {f["properties"]["category"] for f in odour["features"]} == {"odour"} and odour["numberMatched"] == 3
    newest = city.complaints[0].received_at.isoformat()
    recent = client.get("/ogc/collections/complaints/items", params={"datetime": f"{newest}/.."},
                        headers=headers).json()
    assert [f["id"] for f in recent["features"]] == [city.complaints[0].id]
    instant = client.get("/ogc/collections/complaints/items", params={"datetime": newest}, headers=headers).json()
    assert instant["numberMatched"] == 1
    streets = client.get("/ogc/collections/zones/items?level=street", headers=headers).json()
    assert sorted(f["id"] for f in streets["features"]) == ["D-E", "D-W"]


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(("query", "field"), [
    ("colour=red", "colour"), ("complainant_name=x", "complainant_name"), ("bbox=1,2,3", "bbox"),
    ("datetime=yesterday", "datetime"), ("datetime=../..", "datetime"), ("repeat=maybe", "repeat"),
    ("f=xml", "f"), ("limit=0", "limit"),
])
def test_bad_parameters_are_refused_naming_them(client, auth, query, field):
    r = client.get(f"/ogc/collections/complaints/items?{query}", headers=auth("planner"))
    assert r.status_code == 400  # OGC API - Features: an invalid query parameter is a 400
    assert field in r.text


@pytest.mark.usefixtures("city")
def test_limit_is_capped_by_the_server(client, auth, settings):
    settings.ogc_max_limit = 2
    body = client.get("/ogc/collections/complaints/items?limit=1000", headers=auth("planner")).json()
    assert body["numberReturned"] == 2 and body["numberMatched"] == 5


@pytest.mark.usefixtures("city")
def test_zone_rings_follow_rfc7946(client, auth):
    body = client.get("/ogc/collections/zones/items", headers=auth("planner")).json()
    district = next(f for f in body["features"] if f["id"] == "D")
    polygon = shape(district["geometry"]).geoms[0]
    assert polygon.exterior.is_ccw
    assert len(polygon.interiors) == 1 and not polygon.interiors[0].is_ccw


def test_unknown_collection_and_item_are_not_found(client, auth, city):
    headers = auth("planner")
    assert client.get("/ogc/collections/people/items", headers=headers).status_code == 404
    assert client.get("/ogc/collections/complaints/items/99999999", headers=headers).status_code == 404
    assert client.get("/ogc/collections/complaints/items/abc", headers=headers).status_code == 404
    zone = client.get("/ogc/collections/zones/items/D-W", headers=headers)
    assert zone.status_code == 200 and zone.json()["properties"]["parent"] == "D"
    source = client.get(f"/ogc/collections/sources/items/{city.sources[0].id}", headers=headers).json()
    assert source["properties"]["key_discharger"] is True


@pytest.mark.usefixtures("city")
def test_hotspot_cells_are_polygons_paged_like_any_collection(client, auth, settings):
    settings.ogc_hotspot_cell_m = 2000
    headers = auth("planner")
    body = client.get("/ogc/collections/hotspot_cells/items?limit=10", headers=headers).json()
    assert body["numberMatched"] > 10 and body["numberReturned"] == 10
    assert sum(1 for link in body["links"] if link["rel"] == "next") == 1
    cell = body["features"][0]
    assert shape(cell["geometry"]).exterior.is_ccw
    one = client.get(f"/ogc/collections/hotspot_cells/items/{cell['id']}", headers=headers).json()
    assert one["geometry"] == cell["geometry"]
    counted = client.get("/ogc/collections/hotspot_cells/items?limit=10000", headers=headers).json()
    assert sum(f["properties"]["count"] for f in counted["features"]) == 5
