"""``POST /api/v1/complaints/import``: the shipped samples and mapping files over HTTP, the dry run, the
error report as a CSV download, who may import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import text

from tests.zones.test_service import seed_zones

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"
URL = "/api/v1/complaints/import"


def files(sample: str, mapping: str = "hotline12345.mapping.json") -> dict:
    return {"file": (sample, (EXAMPLES / sample).read_bytes()),
            "mapping": (mapping, (EXAMPLES / mapping).read_bytes(), "application/json")}


def stored(db) -> int:
    return db.execute(text("SELECT count(*) FROM complaints")).scalar_one()


def test_clerk_imports_the_12345_excel_sample_after_a_dry_run(db, client, auth, make_user):
    seed_zones(db)
    clerk = auth(make_user("clerk", username="xiao.li"))
    r = client.post(f"{URL}?check=true", files=files("hotline12345-sample.xlsx"), headers=clerk)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["checked"] and out["rows"] == 10 and out["stored"] == 10 and out["repeats"] == 2
    assert out["refused"] == 0 and out["errors"] == [] and stored(db) == 0
    r = client.post(URL, files=files("hotline12345-sample.xlsx"), headers=clerk)
    assert r.status_code == 200 and r.json()["stored"] == 10 and not r.json()["checked"]
    assert stored(db) == 10
    created_by = db.execute(text("SELECT DISTINCT u.username FROM complaints c JOIN users u ON u.id = c.created_by_id"))
    assert created_by.scalars().all() == ["xiao.li"]


def test_the_error_report_downloads_as_csv_with_the_figures_in_headers(db, client, auth):
    seed_zones(db)
    export = "工单编号,受理时间,诉求类型,诉求内容,经度,纬度\nE1,2024/7/19 8:05,光污染,,x,36.0021\n" \
             "E2,2024/7/19 8:06,噪声污染,广场舞,120.0073,36.0022\n"
    upload = {"file": ("export.csv", export.encode("gbk")),
              "mapping": ("m.json", (EXAMPLES / "hotline12345.mapping.json").read_bytes())}
    r = client.post(f"{URL}?report=csv", files=upload, headers=auth("clerk"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    assert r.headers["x-import-stored"] == "1" and r.headers["x-import-refused"] == "1"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["row"], x["field"], x["value"]) for x in rows] == [
        ("2", "category", "光污染"), ("2", "description", ""), ("2", "lon", "x")]
    r = client.post(URL, files=upload, headers=auth("admin"))
    assert r.json()["unmapped"] == {"category": {"光污染": 1}} and r.json()["duplicates"] == 1


def test_only_clerks_and_admins_import_and_bad_files_name_the_field(db, client, auth):
    r = client.post(URL, files=files("hotline12345-sample.xlsx"), headers=auth("inspector"))
    assert r.status_code == 403 and stored(db) == 0
    r = client.post(URL, files={"file": ("x.csv", b"a,b\n\x80\xff,1\n")}, headers=auth("clerk"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "encoding"]
    r = client.post(URL, files={"file": ("x.csv", b"a\n1\n"), "mapping": ("m.json", b"{\"fields\": 3}")},
                    headers=auth("clerk"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mapping"]
