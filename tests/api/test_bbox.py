from __future__ import annotations

import pytest

ENDPOINTS = ["/api/v1/complaints", "/api/v1/zones", "/api/v1/sources", "/api/v1/aggregates/grid"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("bbox", ["120,36,121", "120,36,east,37", "121,36,120,37", "120,37,121,36", "120,36,200,37"])
def test_every_list_endpoint_refuses_a_bad_bbox_naming_it(client, auth, path, bbox):
    r = client.get(path, params={"bbox": bbox}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert "bbox" in r.text


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_list_endpoint_takes_a_good_bbox(client, auth, path):
    r = client.get(path, params={"bbox": "120,36,121,37"}, headers=auth("admin"))
    assert r.status_code == 200, r.text
