"""The mobile form draws the bureau's configured base map itself: the API tells it which tiles and datum."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecogrid.core.settings import Settings
from tests.conftest import TEST_SECRET

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(secret_key=TEST_SECRET, upload_dir=tmp_path / "uploads", data_dir=tmp_path / "var",
                    database_url="postgresql+psycopg://unused/unused", base_map="tianditu", tianditu_key=KEY)


def test_tianditu_layers_come_with_the_key_and_plain_text_attribution(client, auth):
    resp = client.get("/api/v1/inspections/base-map", headers=auth("inspector"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["provider"] == "tianditu" and body["crs"] == "wgs84"
    assert [layer["labels"] for layer in body["layers"]] == [False, True]
    assert all(f"tk={KEY}" in layer["url"] and "{tianditu_key}" not in layer["url"] for layer in body["layers"])
    assert body["layers"][0]["attribution"] == "© 天地图 Tianditu"
    assert body["layers"][0]["subdomains"] == "01234567"
    # The page may load these tiles: its policy names the tile hosts.
    page = client.get("/m/")
    assert "https://t0.tianditu.gov.cn" in page.headers["content-security-policy"]


def test_base_map_is_for_field_staff(client, auth):
    assert client.get("/api/v1/inspections/base-map").status_code == 401
    assert client.get("/api/v1/inspections/base-map", headers=auth("clerk")).status_code == 403
