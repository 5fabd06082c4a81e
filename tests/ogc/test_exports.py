"""Layer exports as QGIS and Excel open them: GeoPackage read back by GDAL (ogrinfo) and by pyogrio,
CSV with coordinates and a BOM; complainants' data only for the roles that may see them, audited."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.models import AuditEntry
from tests.databases import scratch_database
from tests.ogc.layer_data import NAME, PHONE, build_city

needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is not installed")


@pytest.fixture
def city(db):
    built = build_city(db)
    built.complaints[1].description = "=HYPERLINK(\"http://evil\")"
    db.flush()
    return built


def _exports(db) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.export")))


def _gpkg(tmp_path: Path, body: bytes, name: str = "out.gpkg") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_complaints_geopackage_opens_in_pyogrio_with_rows_geometry_and_crs(client, auth, city, tmp_path):
    r = client.get("/api/v1/exports/complaints.gpkg", headers=auth("clerk"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="complaints-' in r.headers["content-disposition"]
    path = _gpkg(tmp_path, r.content)
    info = pyogrio.read_info(path)
    assert info["features"] == 5 and info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326"
    meta, _, geometry, fields = pyogrio.raw.read(path)
    names = meta["fields"].tolist()
    rows = {int(i): n for n, i in enumerate(fields[names.index("id")])}
    for i, complaint in enumerate(city.complaints):
        n = rows[complaint.id]
        point = wkb.loads(bytes(geometry[n]))
        assert point.equals_exact(Point(120.31 + i * 0.015, 36.01 + i * 0.01), 1e-7)
        assert fields[names.index("category")][n] == complaint.category
        assert fields[names.index("complainant_name")][n] == NAME
    assert fields[names.index("received_at")].dtype.kind == "M"


@needs_gdal
@pytest.mark.usefixtures("city")
def test_geopackage_reads_in_gdal_with_crs_and_every_row(client, auth, tmp_path):
    path = _gpkg(tmp_path, client.get("/api/v1/exports/zones.gpkg", headers=auth("planner")).content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert "Feature Count: 3" in out
    assert "Geometry: Multi Polygon" in out
    assert 'ID["EPSG",4326]' in out
    detail = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-where", "code = 'D'", str(path)], capture_output=True,
                            text=True, check=True, timeout=60).stdout
    assert "市南区" in detail and "MULTIPOLYGON (((120.3 36" in detail
    # GeoPackage keeps date-times in UTC.
    assert re.search(r"updated_at \(DateTime\) = \d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)?\+00", detail), detail


def test_personal_data_only_for_roles_that_may_see_it_and_audited(client, auth, city, db, tmp_path):
    planner = client.get("/api/v1/exports/complaints.gpkg", headers=auth("planner"))
    fields = pyogrio.read_info(_gpkg(tmp_path, planner.content, "p.gpkg"))["fields"].tolist()
    assert "complainant_name" not in fields and "complainant_phone" not in fields
    assert _exports(db) == []
    chief = client.get("/api/v1/exports/cases.csv", headers=auth("chief"))
    assert NAME in chief.text and PHONE in chief.text
    entry = _exports(db)[0]
    assert entry.entity == "complaint"
    assert sorted(entry.detail["ids"]) == sorted(str(c.id) for c in city.complaints)


@pytest.mark.usefixtures("city")
def test_csv_has_bom_coordinates_and_escaped_formulas(client, auth):
    r = client.get("/api/v1/exports/complaints.csv?category=dust", headers=auth("clerk"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and {row["category"] for row in rows} == {"dust"}
    assert all(float(row["lon"]) > 120 and float(row["lat"]) > 36 for row in rows)
    assert any(row["description"].startswith("'=HYPERLINK") for row in rows)


@pytest.mark.usefixtures("city")
def test_area_csv_carries_wkt_and_a_point_inside(client, auth):
    r = client.get("/api/v1/exports/zones.csv?level=street", headers=auth("inspector"))
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == ["D-E", "D-W"]
    assert rows[0]["wkt"].startswith("MULTIPOLYGON") and 120.35 < float(rows[0]["lon"]) < 120.40


@pytest.mark.usefixtures("city")
def test_exports_refuse_roles_layers_and_filters_they_should(client, auth, settings):
    assert client.get("/api/v1/exports/complaints.csv").status_code == 401
    assert client.get("/api/v1/exports/complaints.gpkg", headers=auth("inspector")).status_code == 404
    assert client.get("/api/v1/exports/people.csv", headers=auth("admin")).status_code == 404
    assert client.get("/api/v1/exports/zones.shp", headers=auth("admin")).status_code == 422
    bad = client.get("/api/v1/exports/complaints.csv?complainant_phone=138", headers=auth("admin"))
    assert bad.status_code == 422 and "complainant_phone" in bad.text
    settings.export_max_rows = 4
    too_many = client.get("/api/v1/exports/complaints.csv", headers=auth("admin"))
    assert too_many.status_code == 422 and "more than 4 rows" in too_many.text


@pytest.mark.usefixtures("city")
def test_hotspot_cells_export_as_polygons(client, auth, settings, tmp_path):
    settings.ogc_hotspot_cell_m = 2000
    path = _gpkg(tmp_path, client.get("/api/v1/exports/hotspot_cells.gpkg", headers=auth("planner")).content)
    meta, _, geometry, fields = pyogrio.raw.read(path)
    assert meta["geometry_type"] == "Polygon" and len(geometry) > 10
    assert sum(fields[meta["fields"].tolist().index("count")]) == 5


# --------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli_database(cluster):
    with scratch_database(cluster, "export") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            build_city(session)
            user_service.create(session, username="clerk_li", role="clerk", password="correct-horse-9")
            user_service.create(session, username="planner_wu", role="planner", password="correct-horse-9")
            session.commit()
        yield url, database
        database.dispose()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecogrid.cli", "export", *args], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url}, timeout=180)


@needs_gdal
def test_cli_exports_geopackage_and_csv(cli_database, tmp_path):
    url, _ = cli_database
    target = tmp_path / "complaints.gpkg"
    done = _cli(url, "complaints", str(target), "--where", "category=odour")
    assert done.returncode == 0, done.stderr
    assert "wrote 3 rows of complaints" in done.stdout
    info = pyogrio.read_info(target)
    assert info["features"] == 3 and info["crs"] == "EPSG:4326"
    assert "complainant_name" not in info["fields"].tolist()
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(target)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert "Feature Count: 3" in out
    sheet = tmp_path / "sources.csv"
    assert _cli(url, "sources", str(sheet)).returncode == 0
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf") and sheet.read_text("utf-8-sig").count("\n") == 4


def test_cli_as_a_clerk_includes_personal_data_and_audits_it(cli_database, tmp_path):
    url, database = cli_database
    target = tmp_path / "cases.csv"
    done = _cli(url, "cases", str(target), "--as", "clerk_li")
    assert done.returncode == 0, done.stderr
    assert NAME in target.read_text("utf-8-sig")
    with database.sessionmaker() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.actor_name == "clerk_li")))
    assert [e.action for e in entries] == ["personal_data.export"]
    planner = _cli(url, "cases", str(tmp_path / "p.csv"), "--as", "planner_wu")
    assert planner.returncode == 0 and NAME not in (tmp_path / "p.csv").read_text("utf-8-sig")


def test_cli_refuses_unknown_formats_filters_and_users(cli_database, tmp_path):
    url, _ = cli_database
    assert _cli(url, "zones", str(tmp_path / "z.shp")).returncode != 0
    wrong = _cli(url, "zones", str(tmp_path / "z.csv"), "--where", "colour=red")
    assert wrong.returncode == 2 and "colour" in wrong.stderr
    nobody = _cli(url, "zones", str(tmp_path / "z.csv"), "--as", "nobody")
    assert nobody.returncode == 2 and "nobody" in nobody.stderr
