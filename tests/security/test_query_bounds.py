"""One request can no longer make the database work without end: grids cover the jurisdiction and
have a cell budget, periods are clipped to the data and bounded, every request statement runs under
a statement timeout, a request's query is cancelled when its client leaves, and the embedded
cluster caps temporary files."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from starlette.requests import Request

from api.deps import get_db
from api.factory import create_app
from ecogrid.accounts import service as user_service
from ecogrid.core import security
from ecogrid.core.database import Database
from ecogrid.core.models import Complaint, Source, Zone
from ecogrid.sources import credit_code
from tests.query_bounds_support import table_locked, wait_until, waiting_on_locks

NOW = datetime.now(UTC)
# A district of Qingdao, about 11 km x 11 km.
WEST, SOUTH, EAST, NORTH = 120.30, 36.00, 120.42, 36.10
ZONE_WKT = f"SRID=4326;MULTIPOLYGON((({WEST} {SOUTH},{EAST} {SOUTH},{EAST} {NORTH},{WEST} {NORTH},{WEST} {SOUTH})))"


def _complaint(db, lon: float, lat: float, *, at: datetime | None = None) -> Complaint:
    complaint = Complaint(channel="hotline_12345", kind="complaint", category="odour", description="smell",
                          received_at=at or NOW - timedelta(days=2), geom=f"SRID=4326;POINT({lon} {lat})")
    db.add(complaint)
    db.flush()
    return complaint


@pytest.fixture
def city(db):
    db.add(Zone(code="JUR", name="Jurisdiction", level="district", geom=ZONE_WKT))
    db.flush()
    for k in range(6):
        _complaint(db, 120.3505 + k * 0.0002, 36.0503)
    # Accepted by intake: a complaint at the corner of the map.
    _complaint(db, -180.0, -90.0)
    return db


def _get(client, url: str, headers: dict[str, str], **params) -> httpx.Response:
    # No wall clock here: what shows the work is bounded is the area, the cells and the window answered.
    return client.get(url, headers=headers, params=params)


def _fields(response: httpx.Response) -> list[str]:
    return [d["loc"][-1] for d in response.json()["detail"]]


# --- grids ------------------------------------------------------------------------------------

@pytest.mark.usefixtures("city")
def test_a_complaint_at_the_corner_of_the_map_does_not_stretch_the_patrol_grid(client, auth):
    r = _get(client, "/api/v1/patrols/targets", auth("planner"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["area"] == [WEST, SOUTH, EAST, NORTH]
    assert body["cells"] and body["cells"][0]["complaints"] == 6
    for cell in body["cells"]:
        for lon, lat in cell["geometry"]["coordinates"][0]:
            assert WEST - 0.01 < lon < EAST + 0.01 and SOUTH - 0.01 < lat < NORTH + 0.01


@pytest.mark.usefixtures("city")
def test_a_caller_bbox_is_cut_to_the_zones_and_an_area_over_budget_is_refused(client, auth, settings):
    headers = auth("planner")
    r = client.get("/api/v1/patrols/targets", headers=headers, params={"bbox": "-180,-90,180,90"})
    assert r.status_code == 200, r.text
    assert r.json()["area"] == [WEST, SOUTH, EAST, NORTH]
    settings.max_grid_cells = 100  # 500 m cells over 11 km x 11 km: about 600
    r = client.get("/api/v1/patrols/targets", headers=headers, params={"bbox": "-180,-90,180,90"})
    assert r.status_code == 422
    assert _fields(r) == ["bbox"]
    small = client.get("/api/v1/patrols/targets", headers=headers, params={"bbox": "120.345,36.045,120.36,36.06"})
    assert small.status_code == 200, small.text
    assert small.json()["cells"][0]["complaints"] == 6


@pytest.mark.usefixtures("city")
def test_aggregate_grids_of_tiny_cells_over_a_big_area_are_refused_naming_the_cell(client, auth, settings):
    headers = auth("chief")
    r = client.get("/api/v1/aggregates/grid", headers=headers, params={"cell": 20, "bbox": "-180,-90,180,90"})
    assert r.status_code == 422
    assert _fields(r) == ["cell"]
    settings.max_grid_cells = 1000
    r = client.get("/api/v1/hotspots", headers=headers, params={"cell": 100})
    assert r.status_code == 422
    assert _fields(r) == ["cell"]


@pytest.mark.parametrize("url", ["/api/v1/aggregates/grid", "/api/v1/hotspots"])
@pytest.mark.usefixtures("city")
def test_hexagon_grids_cover_the_zones_not_the_complaints(client, auth, url):
    r = _get(client, url, auth("chief"), cell=200, shape="hex")
    assert r.status_code == 200, r.text
    counts = [f["properties"]["count"] for f in r.json()["features"]]
    assert sum(counts) == 6  # the complaint at (-180, -90) lies outside every zone


# --- periods ----------------------------------------------------------------------------------

PERIOD_URLS = ["/api/v1/patrols/targets", "/api/v1/aggregates/zones", "/api/v1/hotspots", "/api/v1/aggregates/grid"]


@pytest.mark.parametrize("url", PERIOD_URLS)
def test_a_from_long_before_the_data_is_clipped_to_when_the_data_begins(client, auth, city, url, settings):
    first = _complaint(city, 120.35, 36.05, at=NOW - timedelta(days=40))
    settings.max_period_days = 366 * 200  # so that only the clipping, not the period bound, answers
    r = _get(client, url, auth("planner"), **{"from": "1901-01-13"})
    assert r.status_code == 200, r.text
    if "patrols" in url:
        assert datetime.fromisoformat(r.json()["window"]["from"]) == first.received_at


@pytest.mark.parametrize("url", PERIOD_URLS)
@pytest.mark.usefixtures("city")
def test_a_from_in_year_16_is_refused_naming_the_field(client, auth, url):
    r = _get(client, url, auth("planner"), **{"from": "0016-01-13"})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["from"]


def test_a_period_longer_than_allowed_is_refused_naming_the_field(client, auth, city, settings):
    _complaint(city, 120.35, 36.05, at=datetime(2001, 3, 1, tzinfo=UTC))
    headers = auth("planner")
    r = client.get("/api/v1/patrols/targets", headers=headers, params={"from": "2001-03-01"})
    assert r.status_code == 422
    assert _fields(r) == ["from"]
    r = client.get("/api/v1/aggregates/zones", headers=headers, params={"from": "2020-01-01", "to": "9999-01-01"})
    assert r.status_code == 422
    assert _fields(r) == ["to"]
    settings.max_period_days = 30
    r = client.get("/api/v1/aggregates/zones", headers=headers,
                   params={"from": (NOW - timedelta(days=60)).isoformat()})
    assert r.status_code == 422
    assert _fields(r) == ["from"]


# --- statement timeout, temporary files ---------------------------------------------------------

def test_request_sessions_of_the_app_run_under_the_statement_timeout(engine, settings):
    settings.statement_timeout_ms = 1234
    app = create_app(settings, Database(engine, sessionmaker(bind=engine)))
    dependency = get_db(Request({"type": "http", "app": app, "headers": []}))
    session = next(dependency)
    try:
        assert session.execute(text("SHOW statement_timeout")).scalar() == "1234ms"
        session.commit()  # a new transaction keeps the limit
        assert session.execute(text("SHOW statement_timeout")).scalar() == "1234ms"
    finally:
        dependency.close()
    with engine.connect() as conn:  # nothing leaks into the pool
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"


def test_the_embedded_cluster_caps_temporary_files(db):
    assert db.execute(text("SHOW temp_file_limit")).scalar() == "1GB"


# --- a real server ---------------------------------------------------------------------------------

@pytest.fixture
def planner_on_live(live_server):
    n = time.monotonic_ns()
    with live_server.session() as session:
        user = user_service.create(session, username=f"planner-{n}", role="planner", password="correct-horse-9")
        if not session.execute(text("SELECT 1 FROM zones")).first():
            session.add(Zone(code="LIVE", name="Live", level="district", geom=ZONE_WKT))
            session.add(Source(name="Works", credit_code=credit_code.make(org8=f"{n % 10**8:08d}"),
                               industry="chemical", categories=["odour"], unit_class="ordinary",
                               geom="SRID=4326;POINT(120.35 36.05)"))
        session.commit()
        token = security.issue_token(settings=live_server.settings, user_id=user.id, role=user.role)
    return {"Authorization": f"Bearer {token}"}


def _live_url(live_server) -> str:
    return live_server.database.engine.url.render_as_string(hide_password=False)


def test_a_request_waiting_longer_than_the_statement_timeout_gets_503_quickly(live_server, planner_on_live):
    warm = httpx.get(f"{live_server.url}/api/v1/patrols/targets", headers=planner_on_live, timeout=30)
    assert warm.status_code == 200, warm.text
    live_server.settings.statement_timeout_ms = 500
    try:
        with table_locked(_live_url(live_server), "sources"):
            started = time.perf_counter()
            r = httpx.get(f"{live_server.url}/api/v1/patrols/targets", headers=planner_on_live, timeout=15)
            took = time.perf_counter() - started
    finally:
        live_server.settings.statement_timeout_ms = 5000
    assert r.status_code == 503
    assert "longer than allowed" in r.json()["reason"], took


def test_the_query_of_a_client_that_leaves_is_cancelled(live_server, planner_on_live):
    url = _live_url(live_server)
    live_server.settings.statement_timeout_ms = 120_000  # so that the timeout is not what stops it
    try:
        with table_locked(url, "sources"):
            port = int(live_server.url.rsplit(":", 1)[1])
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(f"GET /api/v1/patrols/targets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Authorization: {planner_on_live['Authorization']}\r\n\r\n".encode())
            assert wait_until(lambda: waiting_on_locks(url, table="sources"), timeout=10), \
                "the request never reached the locked table"
            client.close()
            assert wait_until(lambda: not waiting_on_locks(url, table="sources"), timeout=5), \
                "the query still runs after its client left"
    finally:
        live_server.settings.statement_timeout_ms = 5000
    # The server goes on answering, on a fresh connection.
    ok = httpx.get(f"{live_server.url}/api/v1/patrols/targets", headers=planner_on_live, timeout=15)
    assert ok.status_code == 200, ok.text
