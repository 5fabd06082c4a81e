from __future__ import annotations

from fastapi.testclient import TestClient

from api.factory import create_app
from ecogrid.database import Database
from ecogrid.migrate import head_revision


def test_health_reports_postgis_and_schema(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["schema"] == head_revision()


def test_health_is_503_with_a_reason_when_the_database_is_down(settings):
    # Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    database = Database.from_url("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2")
    with TestClient(create_app(settings, database)) as c:
        resp = c.get("/healthz")
    assert resp.status_code == 503
    assert "database unreachable" in resp.json()["reason"]


def test_openapi_and_docs_are_served(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "ecogrid"
    assert client.get("/docs").status_code == 200
