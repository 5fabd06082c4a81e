from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from ecogrid.core.errors import Conflict, InvalidInput
from ecogrid.core.models import Source, Zone
from ecogrid.sources import credit_code
from ecogrid.sources import service as source_service
from geo import coords

GOOD_A = credit_code.make(org8="MA000001")
GOOD_B = credit_code.make(org8="MA000002")
BAD = GOOD_A[:17] + ("0" if GOOD_A[17] != "0" else "1")
HEADER = "企业名称,统一社会信用代码,行业,经度,纬度,重点排污\n"
MAPPING = {"name": "企业名称", "credit_code": "统一社会信用代码", "industry": "行业", "lon": "经度", "lat": "纬度",
           "key_discharger": "重点排污"}


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def run_import(db, path, **kwargs):
    return source_service.import_sources(db, records=source_service.read_file(path), **kwargs)


def test_csv_import_stores_good_rows_and_names_the_row_with_a_bad_credit_code(db, tmp_path):
    path = write(tmp_path, "sources.csv", HEADER + f"甲化工,{GOOD_A},chemical,120.40,36.10,是\n"
                                                    f"乙印刷,{BAD},printing,120.41,36.11,否\n"
                                                    f"丙印刷,{GOOD_B},printing,120.42,36.12,否\n")
    report = run_import(db, path, mapping=MAPPING)
    assert (report.created, report.updated) == (2, 0)
    assert [(e.row, e.field) for e in report.errors] == [(2, "credit_code")]
    assert "check character" in report.errors[0].reason
    stored = {s.credit_code: s for s in db.scalars(select(Source).where(Source.id.in_(report.source_ids)))}
    assert set(stored) == {GOOD_A, GOOD_B}
    assert stored[GOOD_A].key_discharger is True and stored[GOOD_B].key_discharger is False


def test_reimport_updates_by_credit_code_instead_of_duplicating(db, tmp_path):
    first = write(tmp_path, "a.csv", HEADER + f"甲化工,{GOOD_A},chemical,120.40,36.10,否\n")
    run_import(db, first, mapping=MAPPING)
    again = write(tmp_path, "b.csv", HEADER + f"甲化工(更名),{GOOD_A},pharmaceutical,120.40,36.10,是\n")
    report = run_import(db, again, mapping=MAPPING)
    assert (report.created, report.updated) == (0, 1)
    rows = db.scalars(select(Source).where(Source.credit_code == GOOD_A)).all()
    assert len(rows) == 1 and rows[0].name == "甲化工(更名)" and rows[0].industry == "pharmaceutical"


def test_gcj02_input_is_stored_in_wgs84(db, tmp_path):
    lon, lat = 120.40, 36.10
    glon, glat = coords.from_wgs84(lon, lat, "gcj02")
    path = write(tmp_path, "g.csv", HEADER + f"甲化工,{GOOD_A},chemical,{glon},{glat},否\n")
    report = run_import(db, path, mapping=MAPPING, crs="gcj02")
    src = db.get(Source, report.source_ids[0])
    x, y = db.execute(select(func.ST_X(Source.geom), func.ST_Y(Source.geom)).where(Source.id == src.id)).one()
    assert coords.haversine_m(x, y, lon, lat) < 1.0
    assert coords.haversine_m(glon, glat, lon, lat) > 100  # the shift is real, so the conversion mattered
    assert src.orig_crs == "gcj02" and src.orig_lon == pytest.approx(glon)


def test_geojson_import_with_footprint_and_point_in_gcj02(db, tmp_path):
    glon, glat = coords.from_wgs84(120.40, 36.10, "gcj02")
    ring = [[glon - 0.001, glat - 0.001], [glon + 0.001, glat - 0.001], [glon + 0.001, glat + 0.001],
            [glon - 0.001, glat + 0.001], [glon - 0.001, glat - 0.001]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"name": "甲化工", "code": GOOD_A, "industry": "chemical", "stack": 30,
                        "categories": "odour,voc"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [glon, glat]},
         "properties": {"name": "乙印刷", "code": GOOD_B, "industry": "printing"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [glon, glat]},
         "properties": {"name": "丙", "code": GOOD_B, "industry": "no_such_industry"}},
    ]}
    path = write(tmp_path, "s.geojson", json.dumps(doc, ensure_ascii=False))
    mapping = {"credit_code": "code", "stack_height_m": "stack"}
    report = run_import(db, path, mapping=mapping, crs="gcj02")
    assert report.created == 2 and [(e.row, e.field) for e in report.errors] == [(3, "industry")]
    a = db.scalar(select(Source).where(Source.credit_code == GOOD_A))
    assert a.footprint is not None and a.stack_height_m == 30 and a.categories == ["odour", "voc"]
    inside = db.scalar(select(func.ST_Covers(Source.footprint, func.ST_SetSRID(func.ST_MakePoint(120.40, 36.10),
                                                                                4326))).where(Source.id == a.id))
    assert inside
    again = run_import(db, path, mapping=mapping, crs="gcj02")
    assert (again.created, again.updated) == (0, 2)


def test_bad_coordinates_and_unknown_category_are_reported_by_field(db, tmp_path):
    path = write(tmp_path, "x.csv", "name,credit_code,industry,lon,lat,categories\n"
                                    f"甲,{GOOD_A},chemical,abc,36.1,\n"
                                    f"乙,{GOOD_B},chemical,120.4,36.1,odour;smell\n")
    report = run_import(db, path)
    assert [(e.row, e.field) for e in report.errors] == [(1, "lon"), (2, "categories")]
    assert report.created == 0


def test_unknown_mapping_field_is_refused(db, tmp_path):
    path = write(tmp_path, "x.csv", HEADER)
    with pytest.raises(InvalidInput) as exc:
        run_import(db, path, mapping={"nmae": "企业名称"})
    assert exc.value.field == "mapping"


def test_source_goes_to_the_deepest_zone_covering_it(db):
    square = "SRID=4326;MULTIPOLYGON((({0} {1},{2} {1},{2} {3},{0} {3},{0} {1})))"
    district = Zone(code="T-D", name="区", level="district", geom=square.format(120.0, 36.0, 121.0, 37.0))
    db.add(district)
    db.flush()
    grid = Zone(code="T-G", name="网格", level="grid", parent_id=district.id,
                geom=square.format(120.39, 36.09, 120.41, 36.11))
    db.add(grid)
    db.flush()
    inner = source_service.create_source(db, data={"name": "甲", "credit_code": GOOD_A, "industry": "chemical",
                                                   "lon": 120.40, "lat": 36.10})
    outer = source_service.create_source(db, data={"name": "乙", "credit_code": GOOD_B, "industry": "chemical",
                                                   "lon": 120.60, "lat": 36.50})
    assert inner.zone_id == grid.id and outer.zone_id == district.id
    items, total = source_service.list_sources(db, zone="T-D")
    assert total == 2
    items, total = source_service.list_sources(db, zone="T-G")
    assert [s.id for s in items] == [inner.id]


def test_creating_a_second_source_with_the_same_code_conflicts(db):
    data = {"name": "甲", "credit_code": GOOD_A, "industry": "chemical", "lon": 120.4, "lat": 36.1}
    source_service.create_source(db, data=data)
    with pytest.raises(Conflict):
        source_service.create_source(db, data=data)


def test_category_filter_reads_the_industry_table_for_sources_without_own_categories(db):
    source_service.create_source(db, data={"name": "甲", "credit_code": GOOD_A, "industry": "printing",
                                           "lon": 120.4, "lat": 36.1})
    assert source_service.list_sources(db, category="voc")[1] >= 1
    db.execute(text("UPDATE industries SET categories = '{noise_industrial}' WHERE code = 'printing'"))
    items, _ = source_service.list_sources(db, category="voc")
    assert GOOD_A not in {s.credit_code for s in items}
