from __future__ import annotations

from fastapi.testclient import TestClient

from api.factory import create_app
from ecogrid.core.database import Database
from ecogrid.core.migrate import head_revision


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


def test_openapi_and_docs_are_served_without_any_internet_asset(client):
    from maps.assets import external_urls, local_vendor_urls

    assert client.get("/openapi.json").json()["info"]["title"] == "ecogrid"
    html = client.get("/docs").text
    assert external_urls(html) == []
    local = local_vendor_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in local)
    for url in local:
        assert client.get(url).status_code == 200, url
