from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import intake
from ecogrid.zones import service as zone_service
from tests.zones.test_service import seed_zones

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HEADER = ["工单号", "来源", "类别", "内容", "受理时间", "经度", "纬度", "地址", "姓名", "电话"]
MAPPING = {"external_ref": "工单号", "channel": "来源", "category": "类别", "description": "内容",
           "received_at": "受理时间", "lon": "经度", "lat": "纬度", "address": "地址",
           "complainant_name": "姓名", "complainant_phone": "电话"}


def write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def row(ref: str, minutes: int, lon: float, lat: float = 36.002, category: str = "odour") -> list[str]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return [ref, "hotline_12345", category, "异味", at, f"{lon}", f"{lat}", "", "李四", "13900001111"]


def test_good_rows_stored_once_bad_rows_reported_and_rerun_adds_nothing(db, tmp_path):
    seed_zones(db)
    path = write(tmp_path / "export.csv", [
        row("W1", 0, 120.002),
        row("W2", 10, 120.0025),             # 45 m from W1: a repeat inside the batch
        row("W3", 20, 120.0045),             # 230 m from W1: still its case (nearest founder)
        row("W4", 30, 120.002, category="dust"),
        row("W5", 40, 120.03),               # outside every zone
        ["W6", "hotline_12345", "odour", "异味", T0.isoformat(), "190", "36", "", "", ""],
        ["W7", "fax", "odour", "异味", T0.isoformat(), "120", "36", "", "", ""],
        ["W8", "hotline_12345", "smells", "异味", T0.isoformat(), "120", "36", "", "", ""],
        ["", "hotline_12345", "odour", "异味", T0.isoformat(), "120", "36", "", "", ""],
        ["W9", "hotline_12345", "odour", "异味", "yesterday", "120", "36", "", "", ""],
        ["W10", "hotline_12345", "odour", "异味", T0.isoformat(), "", "", "", "", ""],
        row("W1", 50, 120.002),              # same ref again in the same file
    ])
    report, errors_path = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert report.stored == 5 and report.duplicates == 1
    assert report.repeats == 2 and report.new_cases == 3 and report.out_of_jurisdiction == 1
    with open(errors_path, encoding="utf-8-sig") as handle:
        errors = [(int(r["row"]), r["field"]) for r in csv.DictReader(handle)]
    assert errors == [(7, "lon"), (8, "channel"), (9, "category"), (10, "external_ref"), (11, "received_at"),
                      (12, "lon")]
    cases = db.execute(text("""SELECT c.external_ref, c.case_id, c.is_repeat, k.repeat_count, z.code
                               FROM complaints c JOIN cases k ON k.id = c.case_id LEFT JOIN zones z ON z.id = c.zone_id
                               ORDER BY c.external_ref""")).all()
    by_ref = {r.external_ref: r for r in cases}
    assert by_ref["W2"].case_id == by_ref["W1"].case_id == by_ref["W3"].case_id
    assert by_ref["W1"].repeat_count == 2 and not by_ref["W1"].is_repeat and by_ref["W2"].is_repeat
    assert by_ref["W4"].case_id != by_ref["W1"].case_id
    assert by_ref["W1"].code == "A1" and by_ref["W5"].code is None
    events = db.execute(text("SELECT action, count(*) FROM case_events GROUP BY action ORDER BY action")).all()
    assert [tuple(e) for e in events] == [("register", 3), ("repeat", 2)]

    before = db.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases)")).one()
    again, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert again.stored == 0 and again.duplicates == 6
    assert db.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases)")).one() == before


def test_import_assigns_zones_by_the_same_rules_as_single_intake(db, tmp_path):
    """Inside a street, in a hole, on a shared border and vertex, in both parts of a multipolygon,
    between them and outside: each imported complaint gets the zone (or nearest zone and distance)
    that ``zones.zone_at`` and ``zones.nearest_zone`` give for its point."""
    seed_zones(db)
    points = [(120.002, 36.002), (120.009, 36.002), (120.007, 36.007), (120.01, 36.005), (120.01, 36.01),
              (120.02, 36.0), (120.055, 36.005), (120.085, 36.005), (120.07, 36.005), (120.03, 36.005),
              (119.99, 35.99)]
    categories = ["odour", "dust", "noise_social", "wastewater", "solid_waste", "smoke"]
    path = write(tmp_path / "z.csv", [row(f"Z{i}", i * 600, lon, lat, category=categories[i % 6])
                                     for i, (lon, lat) in enumerate(points)])
    report, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert report.stored == len(points)
    stored = {r.external_ref: r for r in db.execute(text("""
        SELECT c.external_ref, z.code, n.code AS nearest, c.nearest_zone_distance_m AS d, c.out_of_jurisdiction
        FROM complaints c LEFT JOIN zones z ON z.id = c.zone_id LEFT JOIN zones n ON n.id = c.nearest_zone_id
    """))}
    for i, (lon, lat) in enumerate(points):
        got = stored[f"Z{i}"]
        hit = zone_service.zone_at(db, lon=lon, lat=lat)
        assert got.code == (hit.code if hit else None), (lon, lat)
        if hit is None:
            near = zone_service.nearest_zone(db, lon=lon, lat=lat)
            assert got.out_of_jurisdiction and got.nearest == near.code and round(got.d, 1) == near.distance_m
        else:
            assert not got.out_of_jurisdiction and got.nearest is None
    assert [stored[f"Z{i}"].code for i in range(6)] == ["A1", "A", None, "A", "A", "B"]


def test_import_converts_each_rows_coordinate_system_and_keeps_what_was_received(db, tmp_path):
    """Rows in GCJ-02 and BD-09 are stored in WGS-84 as the API would store them; a consultation
    next to a complaint opens a case of its own instead of joining it."""
    from geo import coords

    seed_zones(db)
    wgs = (120.002, 36.002)
    gcj = coords.from_wgs84(*wgs, "gcj02")
    bd = coords.from_wgs84(120.0021, 36.0021, "bd09")
    path = tmp_path / "crs.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "category", "kind", "text", "at", "x", "y", "crs"])
        writer.writerow(["G1", "odour", "", "异味", T0.isoformat(), *gcj, "gcj02"])
        writer.writerow(["G2", "odour", "", "异味", (T0 + timedelta(minutes=5)).isoformat(), *bd, "bd09"])
        writer.writerow(["G3", "odour", "consultation", "问询", (T0 + timedelta(minutes=9)).isoformat(), *wgs, ""])
    mapping = {"external_ref": "ref", "category": "category", "kind": "kind", "description": "text",
               "received_at": "at", "lon": "x", "lat": "y", "crs": "crs"}
    report, _ = complaint_import.import_csv(db, path=path, mapping=mapping, default_channel="hotline_12345")
    assert report.stored == 3 and report.new_cases == 2 and report.repeats == 1
    rows = {r.external_ref: r for r in db.execute(text("""
        SELECT external_ref, kind, ST_X(geom) AS lon, ST_Y(geom) AS lat, orig_lon, orig_lat, orig_crs, case_id,
               is_repeat FROM complaints"""))}
    for ref, (lon, lat), crs in (("G1", gcj, "gcj02"), ("G2", bd, "bd09"), ("G3", wgs, "wgs84")):
        expected = coords.to_wgs84(lon, lat, crs)
        assert coords.haversine_m(rows[ref].lon, rows[ref].lat, *expected) < 0.01, ref
        assert (rows[ref].orig_lon, rows[ref].orig_lat, rows[ref].orig_crs) == (lon, lat, crs)
    assert coords.haversine_m(rows["G1"].lon, rows["G1"].lat, *wgs) < 1.0
    assert rows["G2"].case_id == rows["G1"].case_id and rows["G2"].is_repeat
    assert rows["G3"].kind == "consultation" and rows["G3"].case_id != rows["G1"].case_id


def test_import_links_repeats_to_cases_already_in_the_database(db, tmp_path):
    seed_zones(db)
    complaint_import.import_csv(db, path=write(tmp_path / "a.csv", [row("A1", 0, 120.002)]), mapping=MAPPING)
    report, _ = complaint_import.import_csv(db, path=write(tmp_path / "b.csv", [row("B1", 60, 120.0021)]),
                                            mapping=MAPPING)
    assert report.repeats == 1
    count = db.scalar(text("SELECT repeat_count FROM cases k JOIN complaints c ON c.case_id = k.id "
                           "WHERE c.external_ref = 'A1'"))
    assert count == 1


def test_a_file_partly_stored_before_links_its_new_rows_like_a_fresh_import(db, tmp_path):
    """The sweep first guesses that nothing was stored before; here the guess is wrong for P1 (stored
    by the first file) and for P2 (its case is in the database), so the new rows are linked again."""
    seed_zones(db)
    complaint_import.import_csv(db, path=write(tmp_path / "a.csv", [row("P1", 0, 120.002)]), mapping=MAPPING)
    path = write(tmp_path / "b.csv", [
        row("P3", 30, 120.0024),              # 36 m from P2, but P2's case (P1's) is older and nearer
        row("P1", 0, 120.002),                # stored by a.csv
        row("P2", 20, 120.0021),              # 9 m from P1: joins P1's case in the database
        row("P4", 40, 120.009),               # 630 m away: a case of its own
        row("P5", 50, 120.00905),             # joins P4's new case
    ])
    report, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert report.duplicates == 1 and report.stored == 4
    assert report.repeats == 3 and report.new_cases == 1
    case_of = dict(db.execute(text("SELECT external_ref, case_id FROM complaints")).all())
    assert case_of["P2"] == case_of["P3"] == case_of["P1"]
    assert case_of["P5"] == case_of["P4"] != case_of["P1"]
    counts = dict(db.execute(text("SELECT id, repeat_count FROM cases")).all())
    assert counts[case_of["P1"]] == 2 and counts[case_of["P4"]] == 1


def test_chained_complaints_found_a_second_case_when_out_of_reach_of_the_first(db, tmp_path):
    seed_zones(db)
    # dust radius 300 m: C1 founds; C2 (250 m) joins C1; C3 (500 m from C1) is out of C1's reach.
    path = write(tmp_path / "c.csv", [row("C1", 0, 120.001, category="dust"),
                                      row("C2", 5, 120.00378, category="dust"),
                                      row("C3", 10, 120.00656, category="dust")])
    report, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert report.new_cases == 2 and report.repeats == 1
    refs = dict(db.execute(text("SELECT external_ref, is_repeat FROM complaints")).all())
    assert refs == {"C1": False, "C2": True, "C3": False}


def test_each_refused_row_names_every_fault_with_its_value_and_rows_with_an_address_only_are_kept(db, tmp_path):
    seed_zones(db)
    at = T0.isoformat()
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    path = write(tmp_path / "e.csv", [
        ["E1", "fax", "smells", "异味", "yesterday", "x", "y", "", "", ""],      # five faults at once
        ["E2", "hotline_12345", "odour", "异味", at, "nan", "36", "", "", ""],  # lon not finite
        ["E3", "hotline_12345", "odour", "异味", at, "120", "", "", "", ""],    # lat missing beside a lon
        ["E4", "hotline_12345", "odour", "异味", at, "200", "x", "", "", ""],   # lon and lat both wrong
        ["E5", "hotline_12345", "odour", "异味", future, "120.002", "36.002", "", "", ""],
        ["E6", "hotline_12345", "odour", "", at, "120.002", "36.002", "", "", ""],
        ["E7", "hotline_12345", "odour", "异味", at, "", "", "某路1号", "", ""],  # address only: stored
    ])
    report, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)
    assert [(e.row, e.field, e.value) for e in report.errors] == [
        (2, "channel", "fax"), (2, "category", "smells"), (2, "lon", "x"), (2, "lat", "y"),
        (2, "received_at", "yesterday"), (3, "lon", "nan"), (4, "lat", ""), (5, "lon", "200"), (5, "lat", "x"),
        (6, "received_at", future), (7, "description", "")]
    assert report.refused == 6
    assert "not a valid lon" in report.errors[5].reason and "future" in report.errors[9].reason
    assert report.stored == 1 and report.new_cases == 1
    stored = db.execute(text("SELECT geom IS NULL, address FROM complaints WHERE external_ref = 'E7'")).one()
    assert tuple(stored) == (True, "某路1号")


def test_repeat_sweep_picks_the_same_founders_as_a_search_over_every_earlier_founder():
    import random

    from ecogrid.core.settings import get_settings
    from geo import coords

    settings = get_settings()
    rng = random.Random(3)
    rows, staged = [], []
    for i in range(1500):
        category = rng.choice(["odour", "dust", "noise_social"])
        rows.append({"kind": "complaint", "category": category,
                     "lon": 120.0 + rng.uniform(0, 0.02), "lat": 36.0 + rng.uniform(0, 0.02)})
        staged.append(complaint_import._Staged(ord=i + 1, pos=i, existing_case_id=None))
    points = [(r["kind"], r["category"], r["lon"], r["lat"]) for r in rows]
    founder_of, founders = complaint_import._sweep(staged=staged, points=points, settings=settings)

    expected, chosen = [], {}
    for s in staged:
        r = rows[s.pos]
        radius = intake.repeat_radius_m(settings, r["category"])
        near = [(coords.haversine_m(r["lon"], r["lat"], rows[f - 1]["lon"], rows[f - 1]["lat"]), f)
                for f in expected if rows[f - 1]["category"] == r["category"]]
        near = [(d, f) for d, f in near if d <= radius]
        if near:
            chosen[s.ord] = min(near)[1]
        else:
            expected.append(s.ord)
    assert founders == expected and founder_of == chosen
    assert chosen  # the sample holds repeats, so the comparison means something


def test_csv_columns_read_like_dict_rows_short_rows_blank_lines_and_missing_columns(db, tmp_path):
    seed_zones(db)
    path = tmp_path / "short.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write("工单号,来源,类别,内容,受理时间,经度,纬度\n")
        handle.write(f"S1,hotline_12345,odour,异味,{T0.isoformat()},120.002,36.002\n")
        handle.write("\n")                                                      # skipped, not a row
        handle.write(f"S2,hotline_12345,odour,异味,{T0.isoformat()}\n")         # short: no location
    report, _ = complaint_import.import_csv(db, path=path, mapping=MAPPING)   # 地址/姓名/电话 absent
    assert report.rows == 2 and report.stored == 1
    # The row number is the line in the file (the blank line counts), as a spreadsheet would show it.
    assert [(e.row, e.field) for e in report.errors] == [(4, "lon")]
    with open(path, newline="", encoding="utf-8-sig") as handle:
        assert report.rows == len(list(csv.DictReader(handle)))
