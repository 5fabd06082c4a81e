from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from ecogrid.core.errors import InvalidInput
from ecogrid.zones import service as zone_service

DATA = Path(__file__).resolve().parents[1] / "data"


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(code: str, name: str, geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def seed_zones(db) -> None:
    """Districts A and B share the border lon=120.01; A has a hole; C is two separate squares;
    street A1 lies inside A's south-west quarter."""
    a = {"type": "Polygon", "coordinates": [square(120.0, 36.0, 120.01, 36.01),
                                            square(120.006, 36.006, 120.008, 36.008)]}
    b = {"type": "Polygon", "coordinates": [square(120.01, 36.0, 120.02, 36.01)]}
    c = {"type": "MultiPolygon", "coordinates": [[square(120.05, 36.0, 120.06, 36.01)],
                                                 [square(120.08, 36.0, 120.09, 36.01)]]}
    zone_service.import_zones(db, collection=collection(feature("A", "甲区", a), feature("B", "乙区", b),
                                                        feature("C", "丙区", c)),
                              level="district", code_field="code", name_field="name")
    a1 = {"type": "Polygon", "coordinates": [square(120.0, 36.0, 120.005, 36.005)]}
    zone_service.import_zones(db, collection=collection(feature("A1", "甲一街道", a1)), level="street",
                              code_field="code", name_field="name")


def code_at(db, lon: float, lat: float) -> str | None:
    hit = zone_service.zone_at(db, lon=lon, lat=lat)
    return hit.code if hit else None


def test_point_inside_goes_to_deepest_zone(db):
    seed_zones(db)
    assert code_at(db, 120.002, 36.002) == "A1"
    assert code_at(db, 120.009, 36.002) == "A"


def test_point_in_a_hole_is_not_in_the_zone(db):
    seed_zones(db)
    assert code_at(db, 120.007, 36.007) is None


def test_point_on_shared_border_goes_to_one_zone_every_time(db):
    seed_zones(db)
    answers = {code_at(db, 120.01, 36.005) for _ in range(5)}
    assert answers == {"A"}  # both cover it; the smaller code wins
    assert code_at(db, 120.01, 36.01) == "A"  # a shared vertex


def test_point_on_a_vertex_belongs_to_the_zone(db):
    seed_zones(db)
    assert code_at(db, 120.02, 36.0) == "B"


def test_both_parts_of_a_multipolygon_are_the_zone(db):
    seed_zones(db)
    assert code_at(db, 120.055, 36.005) == "C"
    assert code_at(db, 120.085, 36.005) == "C"
    assert code_at(db, 120.07, 36.005) is None


def test_outside_every_zone_gives_nearest_zone_and_distance(db):
    seed_zones(db)
    near = zone_service.nearest_zone(db, lon=120.03, lat=36.005)
    assert near is not None and near.code == "B"
    # 0.01 degrees of longitude at 36 N is about 900 m.
    assert 880 < near.distance_m < 920


def test_nearest_zone_is_the_nearest_on_the_ground_not_in_degrees(db):
    """At 50 N a degree of longitude is 0.64 of a degree of latitude: the zone 0.010 degrees east
    (about 715 m) is nearer than the one 0.008 degrees north (about 890 m)."""
    east = {"type": "Polygon", "coordinates": [square(125.010, 49.990, 125.020, 50.010)]}
    north = {"type": "Polygon", "coordinates": [square(124.990, 50.008, 125.005, 50.020)]}
    zone_service.import_zones(db, collection=collection(feature("N", "北", north), feature("E", "东", east)),
                              level="district", code_field="code", name_field="name")
    near = zone_service.nearest_zone(db, lon=125.0, lat=50.0)
    assert near is not None and near.code == "E"
    assert 700 < near.distance_m < 730


def test_street_without_parent_field_gets_the_covering_district(db):
    seed_zones(db)
    parent = db.scalar(text("SELECT p.code FROM zones z JOIN zones p ON p.id = z.parent_id WHERE z.code = 'A1'"))
    assert parent == "A"


def test_reimport_updates_in_place(db):
    seed_zones(db)
    before = db.scalar(text("SELECT id FROM zones WHERE code = 'B'"))
    b = {"type": "Polygon", "coordinates": [square(120.01, 36.0, 120.03, 36.01)]}
    result = zone_service.import_zones(db, collection=collection(feature("B", "乙区(新)", b)), level="district",
                                       code_field="code", name_field="name")
    assert result.updated == ["B"] and result.created == []
    row = db.execute(text("SELECT id, name FROM zones WHERE code = 'B'")).one()
    assert row.id == before and row.name == "乙区(新)"
    assert code_at(db, 120.025, 36.005) == "B"


def test_overlaps_between_zones_of_one_level_are_reported(db):
    seed_zones(db)
    d = {"type": "Polygon", "coordinates": [square(120.015, 36.0, 120.025, 36.01)]}
    result = zone_service.import_zones(db, collection=collection(feature("D", "丁区", d)), level="district",
                                       code_field="code", name_field="name")
    assert [(o.a, o.b) for o in result.overlaps] == [("B", "D")]
    # 0.005 x 0.01 degrees at 36 N: about 450 m x 1110 m.
    assert 400_000 < result.overlaps[0].area_m2 < 600_000


def test_bow_tie_is_refused_naming_the_feature(db):
    bow = {"type": "Polygon", "coordinates": [[[120.0, 36.0], [120.01, 36.01], [120.01, 36.0], [120.0, 36.01],
                                               [120.0, 36.0]]]}
    with pytest.raises(InvalidInput) as err:
        zone_service.import_zones(db, collection=collection(feature("X9", "坏区", bow)), level="district",
                                  code_field="code", name_field="name")
    assert "code=X9" in err.value.message and "Self-intersection" in err.value.message
    assert db.scalar(text("SELECT count(*) FROM zones WHERE code = 'X9'")) == 0


def test_small_self_intersection_is_repaired(db):
    # A square whose last corner is drawn with a tiny twist: make_valid keeps nearly all of its area.
    ring = [[120.0, 36.0], [120.01, 36.0], [120.01, 36.01], [120.0001, 36.01], [120.0, 36.0099],
            [120.00005, 36.01], [120.0, 36.0]]
    geom = {"type": "Polygon", "coordinates": [ring]}
    result = zone_service.import_zones(db, collection=collection(feature("R1", "修复区", geom)), level="district",
                                       code_field="code", name_field="name")
    assert result.repaired and "R1" in result.repaired[0]["feature"]
    assert code_at(db, 120.005, 36.005) == "R1"


def test_unknown_crs_and_level_are_refused_by_field(db):
    with pytest.raises(InvalidInput) as err:
        zone_service.import_zones(db, collection=collection(), level="district", code_field="c", name_field="n",
                                  crs="EPSG:3857")
    assert err.value.field == "crs"
    with pytest.raises(InvalidInput) as err:
        zone_service.import_zones(db, collection=collection(), level="county", code_field="c", name_field="n")
    assert err.value.field == "level"


def test_datav_districts_imported_as_gcj02_land_where_expected(db):
    data = json.loads((DATA / "420200_full.json").read_text(encoding="utf-8"))
    result = zone_service.import_zones(db, collection=data, level="district", code_field="adcode",
                                       name_field="name", crs="gcj02")
    assert len(result.created) == 6
    # Huangshi city centre (黄石港区, around the municipal square), WGS-84 from GPS.
    assert code_at(db, 115.0730, 30.2120) == "420202"
    # Daye city centre (大冶市 government), WGS-84.
    assert code_at(db, 114.9740, 30.0960) == "420281"
    # The conversion moved the boundary: stored vertices differ from the file's by the GCJ-02 offset.
    shift = db.scalar(text("""SELECT ST_Distance(ST_Centroid(geom)::geography,
                              ST_SetSRID(ST_MakePoint(115.090164, 30.212086), 4326)::geography)
                              FROM zones WHERE code = '420202'"""))
    assert shift > 100


def test_grid_cells_cover_the_parent_and_derive_their_codes(db):
    seed_zones(db)
    result = zone_service.generate_grid(db, parent_code="B", size_m=250)
    assert result.created and all(code.startswith("B-") for code in result.created)
    total = db.execute(text("""SELECT sum(ST_Area(geom::geography)) AS cells,
                               (SELECT ST_Area(geom::geography) FROM zones WHERE code = 'B') AS parent
                               FROM zones WHERE code LIKE 'B-%'""")).one()
    assert abs(total.cells - total.parent) / total.parent < 0.001
    assert code_at(db, 120.015, 36.005).startswith("B-")
    again = zone_service.generate_grid(db, parent_code="B", size_m=250)
    assert again.created == [] and len(again.updated) == len(result.created)
