"""/metrics: who may read it, request counts by route template, figures from the database, several workers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.factory import create_app
from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.databases import scratch_database
from tests.inspection_seed import seed_case

LOCAL = ("127.0.0.1", 50000)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_without_a_token_only_this_machine_may_read_metrics(app):
    with TestClient(app) as remote:
        assert remote.get("/metrics").status_code == 403
    with TestClient(app, client=LOCAL) as local:
        resp = local.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert "ecogrid_http_requests_total" in resp.text


def test_with_a_token_every_reader_needs_it(app, settings):
    settings.metrics_token = SecretStr("metrics-token-for-tests-0123456789")
    with TestClient(app, client=LOCAL) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests-0123456789"})
    assert ok.status_code == 200


def test_requests_are_counted_by_route_template_and_status(app):
    with TestClient(app, client=LOCAL) as client:
        before = client.get("/metrics").text
        for photo_id in (11, 12, 13):
            assert client.get(f"/api/v1/photos/{photo_id}").status_code == 401
        client.get("/no/such/page/4711")
        after = client.get("/metrics").text
    route = "/api/v1/photos/{photo_id}"
    grown = (value(after, "ecogrid_http_requests_total", method="GET", route=route, status="401")
             - value(before, "ecogrid_http_requests_total", method="GET", route=route, status="401"))
    assert grown == 3
    assert value(after, "ecogrid_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert "/no/such/page/4711" not in after and "/api/v1/photos/11" not in after
    assert value(after, "ecogrid_http_request_duration_seconds_count", method="GET", route=route) >= 3
    assert value(after, "ecogrid_db_pool_size") >= 1


@pytest.fixture(scope="module")
def committed(cluster):
    with scratch_database(cluster, "metrics") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        yield database
        database.dispose()


def test_figures_come_from_the_database_by_the_rules(committed, tmp_path):
    with Session(committed.engine) as session:
        from ecogrid.accounts import service as user_service

        inspector = user_service.create(session, username="metrics-inspector", role="inspector",
                                        password="a-good-password-1")
        session.flush()
        seed_case(session, inspector_id=inspector.id, due_in_hours=-2)  # past its deadline
        seed_case(session, inspector_id=inspector.id, due_in_hours=24)
        # One webhook event owed and one already delivered: the queue depth counts the first only.
        from ecogrid.core.models import Case, Webhook, WebhookOutboxItem

        case_id = session.scalars(select(Case.id)).first()
        hook = Webhook(url="http://127.0.0.1:9/hook", secret="s" * 40, events=["case.overdue"])
        session.add(hook)
        session.flush()
        session.add_all([WebhookOutboxItem(webhook_id=hook.id, event="case.overdue", case_id=case_id,
                                           occurred_at=datetime.now(UTC)),
                         WebhookOutboxItem(webhook_id=hook.id, event="case.overdue", case_id=case_id,
                                           occurred_at=datetime.now(UTC), delivered_at=datetime.now(UTC))])
        session.commit()
    settings = Settings(secret_key=TEST_SECRET, upload_dir=tmp_path, database_url="postgresql://unused/unused",
                        metrics_cache_s=0, webhook_dispatch=False)
    with TestClient(create_app(settings, committed), client=LOCAL) as client:
        text = client.get("/metrics").text
    assert value(text, "ecogrid_database_up") == 1
    assert value(text, "ecogrid_cases_overdue") == 1
    assert value(text, "ecogrid_cases_open") == 2
    assert value(text, "ecogrid_webhook_outbox_pending") == 1
    assert value(text, "ecogrid_complaints_received_total") == 2
    # The seeded complaints came in a day ago.
    assert value(text, "ecogrid_complaints_received_today") == 0


def test_metrics_still_answer_when_the_database_is_down(settings):
    database = Database.from_url("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2")
    with TestClient(create_app(settings, database), client=LOCAL) as client:
        resp = client.get("/metrics")
    assert resp.status_code == 200
    assert value(resp.text, "ecogrid_database_up") == 0
    assert "ecogrid_cases_overdue" not in resp.text


WORKER = textwrap.dedent("""
    import sys
    from fastapi.testclient import TestClient
    from api.factory import create_app
    from ecogrid.core.database import Database
    from ecogrid.core.settings import Settings

    settings = Settings(secret_key="x" * 40, database_url="postgresql://unused/unused")
    database = Database.from_url("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=1")
    with TestClient(create_app(settings, database), client=("127.0.0.1", 1)) as client:
        for _ in range(int(sys.argv[1])):
            client.get("/api/v1/photos/1")
        if sys.argv[2] == "scrape":
            sys.stdout.write(client.get("/metrics").text)
""")


def test_several_workers_add_up_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    for count in ("2", "3"):
        subprocess.run([sys.executable, "-c", WORKER, count, "no"], env=env, check=True, timeout=120)
    scrape = subprocess.run([sys.executable, "-c", WORKER, "1", "scrape"], env=env, check=True, timeout=120,
                            capture_output=True, text=True).stdout
    assert value(scrape, "ecogrid_http_requests_total", method="GET", route="/api/v1/photos/{photo_id}",
                 status="401") == 6
