from __future__ import annotations

import math

import pytest

from tests.ogc.layer_data import build_city


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def city(db):
    return build_city(db)


@pytest.mark.usefixtures("city")
def test_tilejson_template_leads_to_the_complaint_tiles(client, auth):
    headers = auth("planner")
    r = client.get("/tiles/complaints.json?category=odour&channel=hotline_12345", headers=headers)
    assert r.status_code == 200
    doc = r.json()
    assert doc["tilejson"] == "3.0.0" and doc["vector_layers"][0]["id"] == "complaints"
    assert doc["bounds"] == [120.3, 36.0, 120.4, 36.1]
    template = doc["tiles"][0]
    assert template.endswith("/tiles/complaints/{z}/{x}/{y}.mvt?category=odour&channel=hotline_12345")
    x, y = _tile(120.31, 36.01, 16)
    url = template.replace("{z}", "16").replace("{x}", str(x)).replace("{y}", str(y))
    tile = client.get(url.removeprefix("http://testserver"), headers=headers)
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert b"complaints" in tile.content


def test_tilejson_needs_a_role_that_reads_complaints(client, auth):
    assert client.get("/tiles/complaints.json").status_code == 401
    assert client.get("/tiles/complaints.json", headers=auth("inspector")).status_code == 403
    assert client.get("/tiles/complaints.json?category=nonsense", headers=auth("planner")).status_code == 422
