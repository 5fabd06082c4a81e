"""Hotline exports as platforms write them, imported with a mapping file into the real PostGIS: the
shipped samples, the dry run, unmapped values, every problem of a row, the command's exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import import_mapping as mappings
from ecogrid.core import migrate
from ecogrid.core.database import Database
from geo import coords
from tests.databases import scratch_database
from tests.zones.test_service import seed_zones

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def stored(db) -> dict[str, dict]:
    rows = db.execute(text("""
        SELECT c.external_ref, c.channel, c.kind, c.category, c.description, c.received_at, c.address, c.urgency,
               c.is_repeat, c.out_of_jurisdiction, c.orig_crs, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, z.code
        FROM complaints c LEFT JOIN zones z ON z.id = c.zone_id""")).mappings().all()
    return {r["external_ref"]: dict(r) for r in rows}


def test_nyc_311_sample_imports_with_its_mapping(db):
    seed_zones(db)
    mapping = mappings.load(mapping_file=EXAMPLES / "nyc311.mapping.json")
    report = complaint_import.import_file(db, source=EXAMPLES / "nyc311-sample.csv", mapping=mapping)
    assert report.errors == [] and report.unmapped == {}
    # Heat, parking and pests are the city's business, not the bureau's: skipped, not refused.
    assert report.rows == 14 and report.skipped == 3 and report.stored == 11
    assert report.repeats == 2 and report.new_cases == 9 and report.out_of_jurisdiction == 1
    rows = stored(db)
    first = rows["56789001"]
    # 02/28/2023 07:43:45 PM in New York (EST, UTC-5).
    assert first["received_at"] == datetime(2023, 3, 1, 0, 43, 45, tzinfo=UTC)
    assert first["category"] == "noise_social" and first["channel"] == "hotline_12345"
    assert first["description"] == "Noise - Residential / Loud Music/Party" and first["code"] == "A1"
    assert rows["56789002"]["is_repeat"] and rows["56789013"]["is_repeat"]
    assert rows["56789014"]["category"] == "noise_construction" and rows["56789006"]["category"] == "odour"
    assert rows["56789012"]["lon"] is None and rows["56789012"]["address"] == "780 AMSTERDAM AVENUE"
    assert rows["56789011"]["out_of_jurisdiction"]
    assert "56789004" not in rows and "56789005" not in rows


def hotline_rows(db) -> dict[str, tuple]:
    return {ref: (r["channel"], r["kind"], r["category"], r["urgency"], r["received_at"], r["code"],
                  None if r["lon"] is None else (round(r["lon"], 6), round(r["lat"], 6)))
            for ref, r in stored(db).items()}


@pytest.mark.parametrize("sample", ["hotline12345-sample.xlsx", "hotline12345-sample-gbk.csv"])
def test_12345_samples_import_with_their_mapping(db, sample):
    seed_zones(db)
    mapping = mappings.load(mapping_file=EXAMPLES / "hotline12345.mapping.json")
    report = complaint_import.import_file(db, source=EXAMPLES / sample, mapping=mapping)
    assert report.errors == [] and report.unmapped == {}
    assert report.rows == 10 and report.stored == 10 and report.out_of_jurisdiction == 1
    rows = hotline_rows(db)
    # 2024/7/19 10:23 Beijing time; the 烧烤店 complaint in GCJ-02 lands in district B once converted.
    assert rows["GD20240719000104"][:6] == ("hotline_12345", "complaint", "cooking_fumes", "ordinary",
                                            datetime(2024, 7, 19, 2, 23, tzinfo=UTC), "B")
    assert rows["GD20240719000103"][:4] == ("hotline_12369", "complaint", "odour", "urgent")
    assert rows["GD20240719000107"][1] == "consultation" and rows["GD20240719000107"][6] is None
    assert rows["GD20240719000110"][1] == "suggestion" and rows["GD20240719000105"][0] == "web"
    assert rows["GD20240719000101"][5] == "A1" and rows["GD20240719000101"][6] == (120.0021, 36.0021)
    # 000102 repeats 000101 (same noise, 20 m away); 000108 repeats 000104 (same restaurant).
    assert report.repeats == 2


def test_the_xlsx_and_gbk_csv_samples_hold_the_same_complaints(db):
    seed_zones(db)
    mapping = mappings.load(mapping_file=EXAMPLES / "hotline12345.mapping.json")
    first = db.begin_nested()
    complaint_import.import_file(db, source=EXAMPLES / "hotline12345-sample.xlsx", mapping=mapping)
    from_xlsx = hotline_rows(db)
    first.rollback()
    assert stored(db) == {}
    complaint_import.import_file(db, source=EXAMPLES / "hotline12345-sample-gbk.csv", mapping=mapping)
    assert hotline_rows(db) == from_xlsx and len(from_xlsx) == 10


def test_dry_run_reports_what_would_happen_and_stores_nothing(db):
    seed_zones(db)
    mapping = mappings.load(mapping_file=EXAMPLES / "nyc311.mapping.json")
    source = EXAMPLES / "nyc311-sample.csv"
    check = complaint_import.import_file(db, source=source, mapping=mapping, check=True)
    assert check.checked
    assert (check.stored, check.repeats, check.new_cases, check.out_of_jurisdiction, check.skipped) == (11, 2, 9, 1, 3)
    counts = db.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases),"
                             " (SELECT count(*) FROM case_events)")).one()
    assert tuple(counts) == (0, 0, 0)
    real = complaint_import.import_file(db, source=source, mapping=mapping)
    assert (real.stored, real.repeats, real.new_cases) == (11, 2, 9)
    # After the real import the dry run says nothing new would be stored.
    again = complaint_import.import_file(db, source=source, mapping=mapping, check=True)
    assert again.stored == 0 and again.duplicates == 11


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = ["工单编号", "受理时间", "诉求类型", "诉求内容", "经度", "纬度"]


def test_unmapped_values_are_counted_once_and_their_rows_refused_with_the_value(db, tmp_path):
    seed_zones(db)
    path = write_csv(tmp_path / "u.csv", HEADER, [
        ["U1", "2024/7/19 8:05", "噪声污染", "广场舞", "120.0021", "36.0021"],
        ["U2", "2024/7/19 8:06", "光污染", "灯光刺眼", "120.0021", "36.0021"],
        ["U3", "2024/7/19 8:07", "光污染", "灯光", "120.0022", "36.0022"],
        ["U4", "2024/7/19 8:08", "违章建筑", "搭建", "120.0023", "36.0023"],
        ["U5", "2024/7/19 8:09", "odour", "已是代码", "120.0024", "36.0024"],
    ])
    mapping = mappings.from_document({
        "fields": {"external_ref": "工单编号", "received_at": "受理时间", "category": "诉求类型",
                   "description": "诉求内容", "lon": "经度", "lat": "纬度"},
        "values": {"category": {"噪声污染": "noise_social"}}, "defaults": {"channel": "hotline_12345"}})
    report = complaint_import.import_file(db, source=path, mapping=mapping)
    assert report.unmapped == {"category": {"光污染": 2, "违章建筑": 1}}
    assert [(e.row, e.field, e.value, e.reason) for e in report.errors] == [
        (3, "category", "光污染", "unknown category"), (4, "category", "光污染", "unknown category"),
        (5, "category", "违章建筑", "unknown category")]
    assert report.stored == 2 and report.refused_by_reason() == [("category", "unknown category", 3)]


def test_ambiguous_dates_are_refused_with_the_reason(db, tmp_path):
    seed_zones(db)
    path = write_csv(tmp_path / "d.csv", HEADER, [
        ["D1", "03/04/2024 10:00", "odour", "异味", "120.0021", "36.0021"],
        ["D2", "05/06/2024 11:00", "odour", "异味", "120.0021", "36.0021"],
    ])
    mapping = mappings.from_document({"fields": {"external_ref": "工单编号", "received_at": "受理时间",
                                                 "category": "诉求类型", "description": "诉求内容",
                                                 "lon": "经度", "lat": "纬度"},
                                      "defaults": {"channel": "hotline_12345"}})
    report = complaint_import.import_file(db, source=path, mapping=mapping)
    assert report.stored == 0 and [(e.row, e.field, e.value) for e in report.errors] == [
        (2, "received_at", "03/04/2024 10:00"), (3, "received_at", "05/06/2024 11:00")]
    assert "ambiguous" in report.errors[0].reason
    with_format = mappings.override(mapping, received_at_format="%d/%m/%Y %H:%M")
    report = complaint_import.import_file(db, source=path, mapping=with_format)
    assert report.stored == 2
    assert stored(db)["D1"]["received_at"] == datetime(2024, 4, 3, 2, 0, tzinfo=UTC)


def test_excel_serial_dates_and_numeric_cells_import(db, tmp_path):
    seed_zones(db)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    gcj = coords.from_wgs84(120.0021, 36.0021, "gcj02")
    ws.append([20240719001, 45492.432638888889, "噪声污染", "广场舞", *gcj])  # unformatted: a bare serial number
    ws.append([20240719002, "45492.5", "噪声污染", "广场舞", *gcj])
    path = tmp_path / "serial.xlsx"
    book.save(path)
    mapping = mappings.load(mapping_file=EXAMPLES / "hotline12345.mapping.json",
                            pairs=["category=诉求类型"], sheet=ws.title)
    report = complaint_import.import_file(db, source=path, mapping=mapping)
    assert report.errors == [] and report.stored == 2
    rows = stored(db)
    assert rows["20240719001"]["received_at"] == datetime(2024, 7, 19, 2, 23, tzinfo=UTC)
    assert rows["20240719002"]["received_at"] == datetime(2024, 7, 19, 4, 0, tzinfo=UTC)
    assert rows["20240719001"]["code"] == "A1" and rows["20240719001"]["orig_crs"] == "gcj02"


def test_a_required_column_missing_from_the_file_is_one_clear_error(db, tmp_path):
    path = write_csv(tmp_path / "m.csv", ["编号", "内容"], [["M1", "异味"]])
    mapping = mappings.from_document({"fields": {"external_ref": "编号", "received_at": "受理时间"}})
    with pytest.raises(Exception, match="received_at: no column '受理时间' in the file"):
        complaint_import.import_file(db, source=path, mapping=mapping)


# ------------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def zoned_url(cluster):
    with scratch_database(cluster, "hotline") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            seed_zones(session)
            session.commit()
        database.dispose()
        yield url


def run(url: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "ecogrid.cli", "complaints", "import", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=180)


def count(url: str) -> int:
    database = Database.from_url(url)
    try:
        with database.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM complaints")).scalar_one()
    finally:
        database.dispose()


def test_command_dry_run_then_import_of_the_12345_excel_sample(zoned_url, tmp_path):
    sample = tmp_path / "hotline12345-sample.xlsx"
    sample.write_bytes((EXAMPLES / sample.name).read_bytes())
    mapping = EXAMPLES / "hotline12345.mapping.json"
    proc = run(zoned_url, sample, "--mapping-file", mapping, "--check")
    assert proc.returncode == 0, proc.stderr
    assert "dry run, nothing stored: 10 rows: 10 would be stored" in proc.stdout
    assert count(zoned_url) == 0
    proc = run(zoned_url, sample, "--mapping-file", mapping)
    assert proc.returncode == 0, proc.stderr
    assert "10 rows: 10 stored" in proc.stdout and count(zoned_url) == 10


def test_command_exits_non_zero_and_lists_every_problem_and_unmapped_value(zoned_url, tmp_path):
    path = write_csv(tmp_path / "bad.csv", HEADER, [
        ["B1", "2024/7/19 8:05", "光污染", "", "x", "36.0021"],
        ["B2", "2024/7/19 8:06", "光污染", "灯光", "120.0021", "36.0021"],
        ["B3", "2024/7/19 8:07", "噪声污染", "广场舞", "120.0021", "36.0021"],
    ], encoding="gbk")
    values = tmp_path / "categories.json"
    values.write_text(json.dumps({"噪声污染": "noise_social"}, ensure_ascii=False), encoding="utf-8")
    proc = run(zoned_url, path, "--map", "external_ref=工单编号", "--map", "received_at=受理时间",
               "--map", "category=诉求类型", "--map", "description=诉求内容", "--map", "lon=经度",
               "--map", "lat=纬度", "--value-map", f"category={values}", "--channel", "hotline_12345")
    assert proc.returncode == 1, proc.stderr
    assert "3 rows: 1 stored" in proc.stdout and "2 refused" in proc.stdout
    assert "unmapped category values" in proc.stdout and "     2  光污染" in proc.stdout
    with open(tmp_path / "bad.errors.csv", encoding="utf-8-sig") as handle:
        report = [(r["row"], r["field"], r["value"], r["reason"]) for r in csv.DictReader(handle)]
    assert report == [("2", "category", "光污染", "unknown category"),
                      ("2", "description", "", "description is required"),
                      ("2", "lon", "x", "not a number"),
                      ("3", "category", "光污染", "unknown category")]


def test_command_refuses_an_unreadable_encoding_cleanly(zoned_url, tmp_path):
    path = tmp_path / "garbled.csv"
    path.write_bytes("工单编号,受理时间\n".encode() + b"G1,\x80\xff\n")
    proc = run(zoned_url, path, "--map", "external_ref=工单编号")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "neither UTF-8 nor GBK" in proc.stderr
    assert "Traceback" not in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"fields": {"external_ref": ', encoding="utf-8")
    proc = run(zoned_url, path, "--mapping-file", broken)  # a broken mapping file: a clear error too
    assert proc.returncode == 2 and "cannot be read" in proc.stderr and "Traceback" not in proc.stderr
