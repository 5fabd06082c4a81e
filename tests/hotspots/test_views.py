from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ecogrid.core.models import Case, Complaint, Revisit, Zone
from ecogrid.hotspots import aggregates as aggregate_service

NOW = datetime.now(UTC)
T0 = NOW - timedelta(days=10)
SRID = 32651  # UTM 51N: the zone of 120-126 E, where the test zones lie


def _box(w: float, s: float, e: float, n: float) -> str:
    return f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


@pytest.fixture
def city(db):
    district = Zone(code="D", name="District", level="district", geom=_box(120.30, 36.00, 120.40, 36.10))
    db.add(district)
    db.flush()
    west = Zone(code="D-W", name="West", level="street", parent_id=district.id,
                geom=_box(120.30, 36.00, 120.35, 36.10))
    east = Zone(code="D-E", name="East", level="street", parent_id=district.id,
                geom=_box(120.35, 36.00, 120.40, 36.10))
    db.add_all([west, east])
    db.flush()
    west_grid = Zone(code="D-W-1", name="West 1", level="grid", parent_id=west.id,
                     geom=_box(120.30, 36.00, 120.35, 36.05))
    db.add(west_grid)
    db.flush()
    return {"district": district, "west": west, "east": east, "west_grid": west_grid}


def _case(db, zone, status, *, due=None, satisfaction=None, category="odour"):
    case = Case(kind="complaint", category=category, channel="hotline_12345", status=status, zone_id=zone.id,
                opened_at=T0, last_complaint_at=T0, due_at=due, satisfaction=satisfaction,
                geom="SRID=4326;POINT(120.32 36.02)")
    db.add(case)
    db.flush()
    if satisfaction is not None:
        # The satisfaction rate is per revisit: the judgement is a revisit's.
        db.add(Revisit(case_id=case.id, at=T0, satisfaction=satisfaction, handling=1))
    return case


def _complaint(db, zone, lon, lat, *, case=None, category="odour", repeat=False, at=T0):
    c = Complaint(channel="hotline_12345", kind="complaint", category=category, description="smell",
                  received_at=at, geom=f"SRID=4326;POINT({lon} {lat})", zone_id=zone.id if zone else None,
                  case_id=case.id if case else None, is_repeat=repeat)
    db.add(c)
    return c


@pytest.fixture
def figures(db, city):
    west, east, west_grid = city["west"], city["east"], city["west_grid"]
    overdue = _case(db, west, "dispatched", due=NOW - timedelta(days=1))
    _case(db, west, "closed", satisfaction="satisfied")
    _case(db, east, "closed", satisfaction="unsatisfied")
    _case(db, east, "revisited", satisfaction="basically_satisfied")
    _case(db, east, "in_progress", due=NOW + timedelta(days=1))
    _case(db, east, "replied", due=NOW - timedelta(days=5))  # replied (办结): no longer overdue
    _complaint(db, west_grid, 120.31, 36.01, case=overdue)  # assigned to a grid cell under West
    _complaint(db, west, 120.32, 36.07, case=overdue, repeat=True)
    _complaint(db, west, 120.33, 36.08, category="dust")
    _complaint(db, east, 120.36, 36.02)
    _complaint(db, east, 120.37, 36.03, repeat=True)
    _complaint(db, east, 120.38, 36.04, at=NOW - timedelta(days=400))  # outside the period tested below
    db.flush()
    return city


@pytest.mark.usefixtures("figures")
def test_zone_figures_match_counts_made_by_hand(client, auth):
    r = client.get("/api/v1/aggregates/zones", headers=auth("chief"),
                   params={"from": (NOW - timedelta(days=30)).isoformat()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert set(by_code) == {"D-W", "D-E"}
    west, east = by_code["D-W"], by_code["D-E"]
    assert (west["complaints"], west["repeats"], west["cases"], west["overdue"]) == (3, 1, 2, 1)
    assert west["satisfaction_rate"] == 1.0
    assert (east["complaints"], east["repeats"], east["cases"], east["overdue"]) == (2, 1, 4, 0)
    assert east["satisfaction_rate"] == 0.5
    geometry = body["features"][0]["geometry"]
    assert geometry["type"] == "MultiPolygon"
    assert 120.29 < geometry["coordinates"][0][0][0][0] < 120.41


@pytest.mark.usefixtures("figures")
def test_zone_filters_category_level_and_parent(client, auth):
    headers = auth("planner")
    dust = client.get("/api/v1/aggregates/zones", headers=headers, params={"category": "dust"}).json()
    assert {f["properties"]["code"]: f["properties"]["complaints"] for f in dust["features"]} == {"D-W": 1, "D-E": 0}
    district = client.get("/api/v1/aggregates/zones", headers=headers, params={"level": "district"}).json()
    assert [f["properties"]["complaints"] for f in district["features"]] == [6]
    grid = client.get("/api/v1/aggregates/zones", headers=headers, params={"level": "grid", "parent": "D-W"}).json()
    assert [(f["properties"]["code"], f["properties"]["complaints"]) for f in grid["features"]] == [("D-W-1", 1)]
    status = client.get("/api/v1/aggregates/zones", headers=headers, params={"status": "dispatched"}).json()
    assert {f["properties"]["code"]: f["properties"]["complaints"] for f in status["features"]} == {"D-W": 2, "D-E": 0}


@pytest.mark.parametrize(("params", "field"), [
    ({"category": "smell"}, "category"), ({"level": "city"}, "level"), ({"parent": "nowhere"}, "parent"),
    ({"from": "2025-02-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"),
])
@pytest.mark.usefixtures("figures")
def test_bad_zone_filters_name_the_field(client, auth, params, field):
    r = client.get("/api/v1/aggregates/zones", headers=auth("chief"), params=params)
    assert r.status_code == 422
    assert field in r.text


@pytest.mark.usefixtures("figures")
def test_aggregates_need_a_signed_in_reader(client, auth):
    assert client.get("/api/v1/aggregates/zones").status_code == 401
    assert client.get("/api/v1/aggregates/grid").status_code == 401
    assert client.get("/api/v1/hotspots").status_code == 401
    assert client.get("/tiles/complaints/12/3417/1607.mvt").status_code == 401
    inspector = auth("inspector")
    assert client.get("/api/v1/aggregates/zones", headers=inspector).status_code == 403
    assert client.get("/tiles/complaints/12/3417/1607.mvt", headers=inspector).status_code == 403
    assert client.get("/api/v1/aggregates/zones", headers=auth("clerk")).status_code == 200


def _utm_point(db, x: float, y: float) -> tuple[float, float]:
    row = db.execute(text("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), :s), 4326) p"),
                     {"x": x, "y": y, "s": SRID}).one()
    return row[0], row[1]


def test_grid_counts_points_in_known_cells(client, auth, db, city):
    # Cells of 200 m in UTM 51N: (1292, 19947) gets 3 points, (1294, 19948) gets 1,
    # both inside the West zone (the grid covers the zones only).
    placed = [(1292 * 200 + 20, 19947 * 200 + 20), (1292 * 200 + 180, 19947 * 200 + 100),
              (1292 * 200 + 100, 19947 * 200 + 179), (1294 * 200 + 50, 19948 * 200 + 50)]
    for x, y in placed:
        lon, lat = _utm_point(db, x, y)
        _complaint(db, city["west"], lon, lat)
    db.flush()
    r = client.get("/api/v1/aggregates/grid", headers=auth("chief"), params={"cell": 200})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["srid"] == SRID
    cells = {(f["properties"]["i"], f["properties"]["j"]): f for f in body["features"]}
    assert {k: f["properties"]["count"] for k, f in cells.items()} == {(1292, 19947): 3, (1294, 19948): 1}
    ring = cells[(1292, 19947)]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and 119.0 < ring[0][0] < 121.0  # a square, in WGS-84 degrees

    hexes = client.get("/api/v1/aggregates/grid", headers=auth("chief"), params={"cell": 200, "shape": "hex"}).json()
    assert sum(f["properties"]["count"] for f in hexes["features"]) == 4
    assert all(len(f["geometry"]["coordinates"][0]) == 7 for f in hexes["features"])

    outside = client.get("/api/v1/aggregates/grid", headers=auth("chief"),
                         params={"cell": 200, "bbox": "120.0,35.0,120.1,35.1"}).json()
    assert outside["features"] == []


@pytest.mark.parametrize(("params", "field"), [
    ({"cell": 1}, "cell"), ({"shape": "triangle"}, "shape"), ({"bbox": "1,2,3"}, "bbox"),
])
def test_bad_grid_requests_name_the_field(client, auth, params, field):
    r = client.get("/api/v1/aggregates/grid", headers=auth("chief"), params=params)
    assert r.status_code == 422
    assert field in r.text


def _scatter(db, zone, rng: random.Random, n: int, box: tuple[float, float, float, float], at: datetime) -> None:
    w, s, e, nn = box
    rows = [{"lon": rng.uniform(w, e), "lat": rng.uniform(s, nn), "zone": zone.id, "at": at} for _ in range(n)]
    db.execute(text("""
        INSERT INTO complaints (channel, kind, category, description, received_at, geom, zone_id)
        VALUES ('hotline_12345', 'complaint', 'odour', 'x', :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :zone)
    """), rows)


def test_hotspots_find_a_planted_cluster(client, auth, db, city):
    rng = random.Random(7)
    _scatter(db, city["west"], rng, 300, (120.30, 36.00, 120.40, 36.10), T0)  # background
    _scatter(db, city["west"], rng, 80, (120.332, 36.052, 120.338, 36.058), T0)  # planted, ~500 m across
    r = client.get("/api/v1/hotspots", headers=auth("chief"), params={
        "cell": 500, "from": (NOW - timedelta(days=30)).isoformat(), "to": NOW.isoformat()})
    assert r.status_code == 200, r.text
    cells = [f["properties"] for f in r.json()["features"]]
    assert len(cells) > 300  # every cell of the district, empty ones included
    assert sum(c["count"] for c in cells) == 380
    hot = [c for c in cells if c["hot_cold"] == "hot" and c["confidence"] == 99]
    assert hot
    busiest = max(cells, key=lambda c: c["count"])
    assert busiest in hot
    assert busiest["trend"] == "up" and busiest["previous"] == 0
    lon, lat = r.json()["features"][cells.index(busiest)]["geometry"]["coordinates"][0][0]
    assert 120.325 < lon < 120.345 and 36.045 < lat < 36.065


def test_hotspots_find_nothing_in_uniform_noise(db, city):
    rng = random.Random(11)
    _scatter(db, city["west"], rng, 400, (120.30, 36.00, 120.40, 36.10), T0)
    period = aggregate_service.Period(NOW - timedelta(days=30), NOW)
    cells = aggregate_service.compute_hotspots(db, cell_m=500, period=period)
    assert sum(c["count"] for c in cells) == 400
    assert [c for c in cells if c["confidence"] is not None and c["confidence"] >= 95] == []


def test_hotspots_compare_with_the_previous_period(db, city):
    rng = random.Random(3)
    _scatter(db, city["west"], rng, 30, (120.30, 36.00, 120.40, 36.10), T0)
    _scatter(db, city["west"], rng, 40, (120.371, 36.071, 120.373, 36.073), NOW - timedelta(days=45))
    period = aggregate_service.Period(NOW - timedelta(days=30), NOW)
    cells = aggregate_service.compute_hotspots(db, cell_m=500, period=period)
    before = max(cells, key=lambda c: c["previous"])
    assert before["previous"] == 40 and before["trend"] == "down"


def _mvt_features(db, z: int, x: int, y: int) -> int:
    return db.execute(text("""
        SELECT count(*) FROM complaints c
        WHERE ST_Intersects(ST_Transform(c.geom, 3857), ST_TileEnvelope(:z, :x, :y))
    """), {"z": z, "x": x, "y": y}).scalar_one()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.mark.usefixtures("figures")
def test_vector_tile_holds_the_complaints_of_its_area(client, auth, db):
    x, y = _tile_of(120.31, 36.01, 15)
    expected = _mvt_features(db, 15, x, y)
    assert expected >= 1
    r = client.get(f"/tiles/complaints/15/{x}/{y}.mvt", headers=auth("chief"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = r.content
    assert b"complaints" in tile and b"category" in tile and b"received_at" in tile
    # The same tile built by the service has as many features as there are points in the envelope.
    count = db.execute(text("""
        SELECT count(*) FROM (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y)) g
                              FROM complaints) t WHERE g IS NOT NULL
    """), {"z": 15, "x": x, "y": y}).scalar_one()
    assert count == expected
    assert tile == aggregate_service.complaint_tile(db, z=15, x=x, y=y)

    low_x, low_y = _tile_of(120.35, 36.05, 10)
    low = client.get(f"/tiles/complaints/10/{low_x}/{low_y}.mvt", headers=auth("chief"))
    assert low.status_code == 200 and b"count" in low.content


@pytest.mark.usefixtures("figures")
def test_vector_tile_of_an_empty_area_is_empty(client, auth):
    x, y = _tile_of(-40.0, -40.0, 14)
    r = client.get(f"/tiles/complaints/14/{x}/{y}.mvt", headers=auth("chief"))
    assert r.status_code == 204
    assert r.content == b""
    assert client.get("/tiles/complaints/3/9/1.mvt", headers=auth("chief")).status_code == 422


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as int, length-delimited as bytes."""
    out, i = [], 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, value))
    return out


def _decode_features(tile: bytes) -> list[dict[str, object]]:
    """The properties of every feature of the tile's one layer (Mapbox Vector Tile 2.1)."""
    layers = [v for n, v in _fields(tile) if n == 3]
    assert len(layers) == 1
    layer = _fields(layers[0])
    keys = [v.decode() for n, v in layer if n == 3]
    values = []
    for n, v in layer:
        if n == 4:
            (kind, raw), = _fields(v)
            values.append(raw.decode() if kind == 1 else raw)
    features = []
    for n, v in layer:
        if n == 2:
            tags: list[int] = []
            for fn, fv in _fields(v):
                if fn == 2:
                    i = 0
                    while i < len(fv):
                        t, i = _varint(fv, i)
                        tags.append(t)
            features.append({keys[tags[k]]: values[tags[k + 1]] for k in range(0, len(tags), 2)})
    return features


def test_tiles_merge_nearby_complaints_below_the_cluster_zoom(client, auth, db, city):
    # Five complaints within half a metre, three of them about dust, and one 450 m away: two
    # merged points below the cluster zoom, six single complaints from it.
    west_grid = city["west_grid"]
    for k, category in enumerate(["dust", "dust", "odour", "dust", "noise_social"]):
        _complaint(db, west_grid, 120.3150 + k * 1e-6, 36.0100, category=category)
    _complaint(db, west_grid, 120.3200, 36.0100)
    db.flush()
    zoom = aggregate_service.CLUSTER_BELOW_ZOOM
    assert zoom >= 14  # a z=13 tile of every point in a dense city is megabytes

    x, y = _tile_of(120.3175, 36.01, zoom - 1)
    r = client.get(f"/tiles/complaints/{zoom - 1}/{x}/{y}.mvt", headers=auth("chief"))
    assert r.status_code == 200
    merged = sorted(_decode_features(r.content), key=lambda f: -f["count"])
    assert [(f["count"], f["category"]) for f in merged] == [(5, "dust"), (1, "odour")]
    assert all("id" not in f for f in merged)

    x, y = _tile_of(120.3175, 36.01, zoom)
    single = _decode_features(client.get(f"/tiles/complaints/{zoom}/{x}/{y}.mvt", headers=auth("chief")).content)
    assert len(single) == 6
    assert all("count" not in f and {"id", "category", "received_at"} <= set(f) for f in single)
