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


def test_liveness_answers_without_the_database(settings):
    database = Database.from_url("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2")
    with TestClient(create_app(settings, database)) as c:
        assert c.get("/healthz/live").json() == {"status": "ok"}
        ready = c.get("/healthz/ready")
    assert ready.status_code == 503
    assert "database unreachable" in ready.json()["reason"]


def test_readiness_is_ok_on_a_migrated_database(client):
    resp = client.get("/healthz/ready")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ready"
    assert resp.json()["schema_revision"] == head_revision()


def test_readiness_fails_while_migrations_run_and_passes_once_they_commit(cluster, settings):
    from alembic import command

    from ecogrid.core import migrate
    from tests.databases import scratch_database

    with scratch_database(cluster, "ready") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine, "0004")
        try:
            with TestClient(create_app(settings, database)) as c:
                behind = c.get("/healthz/ready")
                assert behind.status_code == 503 and behind.json()["schema_revision"] == "0004"
                with database.engine.connect() as conn:
                    transaction = conn.begin()
                    command.upgrade(migrate.alembic_config(conn), "head")
                    # The migrations have run but not committed: still not ready, and not blocked either.
                    during = c.get("/healthz/ready")
                    transaction.commit()
                assert during.status_code == 503 and "migrat" in during.json()["reason"]
                after = c.get("/healthz/ready")
                assert after.status_code == 200, after.text
                assert c.get("/healthz").json()["schema"] == head_revision()
        finally:
            database.dispose()
