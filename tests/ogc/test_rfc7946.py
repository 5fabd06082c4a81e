"""Every GeoJSON the API gives: ``application/geo+json``, exterior rings counterclockwise and holes
clockwise (RFC 7946, 3.1.6), though the zones and footprints were stored the other way round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import shape

from tests.ogc.layer_data import build_city, clockwise_box

GEOJSON = "application/geo+json"


@pytest.fixture
def city(db):
    built = build_city(db)
    built.sources[0].footprint = "SRID=4326;MULTIPOLYGON((" + clockwise_box(120.309, 36.049, 120.311, 36.051) + "))"
    db.flush()
    db.expire_all()  # read back from PostGIS, as a request would
    return built


def _polygons(geometry: dict[str, Any]) -> Iterator[Any]:
    geom = shape(geometry)
    if geom.geom_type == "Polygon":
        yield geom
    elif geom.geom_type == "MultiPolygon":
        yield from geom.geoms


def _check_rings(geometries: list[dict[str, Any]]) -> int:
    rings = 0
    for geometry in geometries:
        for polygon in _polygons(geometry):
            assert polygon.exterior.is_ccw, "exterior ring clockwise"
            assert all(not hole.is_ccw for hole in polygon.interiors), "hole counterclockwise"
            rings += 1 + len(polygon.interiors)
    return rings


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize("url", [
    "/api/v1/zones", "/api/v1/zones/D", "/api/v1/aggregates/zones?level=district",
    "/api/v1/aggregates/zones?level=street", "/api/v1/aggregates/grid?cell=2000",
    "/api/v1/hotspots?cell=2000", "/ogc/collections/zones/items", "/ogc/collections/hotspot_cells/items",
])
def test_polygon_answers_are_geojson_wound_counterclockwise(client, auth, url, settings):
    settings.ogc_hotspot_cell_m = 2000
    r = client.get(url, headers=auth("planner"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    body = r.json()
    features = body["features"] if body["type"] == "FeatureCollection" else [body]
    assert _check_rings([f["geometry"] for f in features if f["geometry"]]) >= 1


@pytest.mark.usefixtures("city")
def test_district_hole_stays_a_clockwise_hole(client, auth):
    zone = client.get("/api/v1/zones/D", headers=auth("planner")).json()
    polygon = shape(zone["geometry"]).geoms[0]
    assert polygon.exterior.is_ccw and len(polygon.interiors) == 1 and not polygon.interiors[0].is_ccw


def test_source_footprints_are_wound_counterclockwise(client, auth, city):
    r = client.get(f"/api/v1/sources/{city.sources[0].id}", headers=auth("planner"))
    assert _check_rings([r.json()["footprint"]]) == 1
    listing = client.get("/api/v1/sources?format=geojson", headers=auth("planner"))
    assert listing.headers["content-type"] == GEOJSON
    footprints = [f["properties"].get("footprint") for f in listing.json()["features"]]
    assert footprints == [None] * len(footprints)  # points in GeoJSON; the footprint is read one by one


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(("url", "total"), [("/api/v1/sources?format=geojson&limit=2", 3),
                                            ("/api/v1/complaints?format=geojson&limit=2", 5),
                                            ("/api/v1/zones?limit=2", 3)])
def test_geojson_lists_honour_limit_and_page_with_next_links(client, auth, url, total):
    headers = auth("clerk")
    ids, pages = [], 0
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
        body = r.json()
        assert len(body["features"]) <= 2 and body["total"] == total
        ids += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert len(ids) == len(set(ids)) == total
    assert pages == (total + 1) // 2


@pytest.mark.usefixtures("city")
def test_plain_json_lists_keep_their_media_type(client, auth):
    r = client.get("/api/v1/sources", headers=auth("clerk"))
    assert r.headers["content-type"] == "application/json"
    assert client.get("/api/v1/complaints", headers=auth("clerk")).headers["content-type"] == "application/json"
