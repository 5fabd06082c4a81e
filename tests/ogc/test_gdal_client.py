"""GDAL's OAPIF driver (what QGIS uses for OGC API Features) against a real server: it lists every
collection the key may read and pages through each to the last feature."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from shapely.geometry import shape

from ecogrid.accounts import service as user_service
from tests.ogc.layer_data import NAME, PHONE, build_city

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is not installed")
LAYERS = ("zones", "complaints", "cases", "sources", "hotspot_cells")
PAGE = 2


@pytest.fixture(scope="module")
def served(live_server):
    with live_server.session() as session:
        city = build_city(session)
        _, key = user_service.create_api_key(session, name="qgis", role="planner")
        session.commit()
        expected = {"zones": len(city.zones), "complaints": len(city.complaints), "cases": len(city.cases),
                    "sources": len(city.sources)}
    live_server.settings.ogc_hotspot_cell_m = 2500
    return live_server, key, expected


def _gdal(tool: str, *args: str, key: str) -> str:
    done = subprocess.run([tool, "--config", "GDAL_HTTP_HEADERS", f"X-API-Key: {key}",
                           "--config", "CPL_DEBUG", "ON", *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_ogrinfo_lists_every_collection(served):
    server, key, _ = served
    out = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server.url}/ogc", key=key)
    for layer in LAYERS:
        assert f": {layer} " in out or f": {layer}\n" in out, out


def test_a_wrong_key_reads_nothing(served):
    server, _, _ = served
    done = subprocess.run(["ogrinfo", "-ro", "-q", "--config", "GDAL_HTTP_HEADERS", "X-API-Key: wrong",
                           f"OAPIF:{server.url}/ogc"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0


@pytest.mark.parametrize("layer", LAYERS)
def test_ogr2ogr_pages_through_every_collection(served, layer, tmp_path: Path):
    server, key, expected = served
    target = tmp_path / f"{layer}.geojson"
    log = _gdal("ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{server.url}/ogc", layer,
                "-oo", f"PAGE_SIZE={PAGE}", key=key)
    written = json.loads(target.read_text(encoding="utf-8"))["features"]
    if layer in expected:
        assert len(written) == expected[layer]
    else:
        assert len(written) > PAGE * 3
    # Every page after the first was asked for by following a next link (they carry the offset).
    assert log.count("/items?limit=2&offset=") == (len(written) - 1) // PAGE, log[-2000:]
    assert all(f["geometry"] is not None and shape(f["geometry"]).is_valid for f in written)
    text = target.read_text(encoding="utf-8")
    assert NAME not in text and PHONE not in text
