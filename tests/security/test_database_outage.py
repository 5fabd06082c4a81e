"""With the database away the API says so (503, a reason, Retry-After) and carries on by itself
when it is back; no acknowledged write is lost or doubled when postgres or uvicorn is killed
mid-load. Each test module uses a private cluster of its own, never the shared one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.factory import create_app
from ecogrid.accounts import service as user_service
from ecogrid.core import migrate, security
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.query_bounds_support import Uvicorn, kill_postgres, own_cluster, wait_until

WRITES = 300


@pytest.fixture(scope="module")
def outage_cluster() -> Iterator[EmbeddedCluster]:
    # fsync off is safe here (the machine does not crash); synchronous_commit stays on, as in production,
    # so that an acknowledged commit is one postgres keeps through a kill -9.
    with own_cluster("-c fsync=off") as cluster:
        database = Database.from_url(cluster.url())
        migrate.upgrade(database.engine)
        database.dispose()
        yield cluster


def _headers(cluster: EmbeddedCluster, role: str) -> dict[str, str]:
    database = Database.from_url(cluster.url())
    try:
        with database.sessionmaker() as session:
            count = session.execute(text("SELECT count(*) FROM users")).scalar_one()
            user = user_service.create(session, username=f"{role}{count}", role=role, password="correct-horse-9")
            session.commit()
            settings = Settings(secret_key=TEST_SECRET)
            token = security.issue_token(settings=settings, user_id=user.id, role=user.role)
    finally:
        database.dispose()
    return {"Authorization": f"Bearer {token}"}


def test_database_down_is_503_with_a_reason_and_the_api_recovers_without_a_restart(outage_cluster, tmp_path: Path):
    headers = _headers(outage_cluster, "clerk")
    settings = Settings(secret_key=TEST_SECRET, data_dir=outage_cluster.data_dir, database_url=None,
                        upload_dir=tmp_path / "uploads")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/zones", headers=headers).status_code == 200
        outage_cluster.stop()
        try:
            down = client.get("/api/v1/zones", headers=headers)
            assert down.status_code == 503, down.text
            assert down.json()["reason"] == "the database is not reachable"
            assert down.headers["Retry-After"].isdigit()
            assert "127.0.0.1" not in down.text  # no address of the database leaks out
            assert client.get("/healthz").status_code == 503
        finally:
            outage_cluster.ensure_running()  # on another port: the application follows it
        back = client.get("/api/v1/zones", headers=headers)
        assert back.status_code == 200, back.text
        assert client.get("/healthz").status_code == 200


def _complaint(ref: str) -> dict[str, object]:
    return {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "刺鼻气味",
            "external_ref": ref, "lon": 120.38, "lat": 36.07}


def test_no_acknowledged_write_is_lost_or_doubled_when_postgres_or_uvicorn_is_killed(outage_cluster):
    headers = _headers(outage_cluster, "clerk")
    server = Uvicorn(data_dir=outage_cluster.data_dir, secret_key=TEST_SECRET)
    server.start()
    acknowledged: set[str] = set()

    def post(ref: str) -> None:
        try:
            r = httpx.post(f"{server.url}/api/v1/complaints", json=_complaint(ref), headers=headers, timeout=15)
        except httpx.TransportError:
            return  # no answer: not acknowledged, retried below
        if r.status_code in (200, 201):
            acknowledged.add(ref)
        else:
            assert r.status_code == 503, r.text  # the database away: said so, never a 500

    refs = [f"KILL-{i:04d}" for i in range(WRITES)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(post, ref) for ref in refs]
            assert wait_until(lambda: len(acknowledged) >= WRITES // 3, timeout=300)
            kill_postgres(outage_cluster)
            outage_cluster.ensure_running()
            assert wait_until(lambda: len(acknowledged) >= 2 * WRITES // 3 or all(f.done() for f in futures),
                              timeout=300)
            server.kill()
            server.start()
            for future in futures:
                future.result()
        unanswered = [ref for ref in refs if ref not in acknowledged]
        assert unanswered, "no write failed: the kills did not land mid-load"
        for _ in range(10):
            missing = [ref for ref in refs if ref not in acknowledged]
            if not missing:
                break
            for ref in missing:
                post(ref)
    finally:
        server.stop()
    assert len(acknowledged) == WRITES
    database = Database.from_url(outage_cluster.url())
    try:
        with database.engine.connect() as conn:
            rows, distinct = conn.execute(text(
                "SELECT count(*), count(DISTINCT external_ref) FROM complaints WHERE external_ref LIKE 'KILL-%'")).one()
    finally:
        database.dispose()
    assert (rows, distinct) == (WRITES, WRITES)
