"""Webhooks end to end: the subscription API, the outbox filled in the step's transaction, signed deliveries to a
real server on 127.0.0.1, retries with backoff, the delivery log, the overdue sweep, and intake never waiting."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import get_args

import pytest
from sqlalchemy import func, select

from ecogrid.cases import departments
from ecogrid.cases import service as casework
from ecogrid.complaints.intake import ComplaintIn, register_complaint
from ecogrid.core import migrate
from ecogrid.core import time as clock
from ecogrid.core.database import Database
from ecogrid.core.models import Case, User, Webhook, WebhookDelivery, WebhookOutboxItem
from ecogrid.core.settings import Settings
from ecogrid.webhooks import dispatcher, schemas, service
from ecogrid.webhooks.signing import verify
from tests.databases import scratch_database
from tests.webhooks.receiver import black_hole, receiver

PHONE = "13912345678"


@pytest.fixture(scope="module")
def committed(cluster) -> Iterator[Database]:
    """A database whose work really commits: the dispatcher reads it from its own connections."""
    with scratch_database(cluster, "webhooks") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        yield database
        database.dispose()


@pytest.fixture
def hook_settings(tmp_path) -> Settings:
    return Settings(secret_key="x" * 40, data_dir=tmp_path, webhook_dispatch=False, webhook_timeout_s=2,
                    webhook_retry_base_s=30, webhook_max_attempts=3, database_url="postgresql://unused/unused")


def _subscribe(database: Database, url: str, events: list[str]) -> Webhook:
    with database.sessionmaker() as session:
        for old in service.list_webhooks(session):
            session.delete(old)
        hook = service.register(session, url=url, events=events, description=None, actor_id=None)
        session.commit()
        return hook


def _complaint(database: Database, settings: Settings, text: str = "夜间异味") -> int:
    with database.sessionmaker() as session:
        registration = register_complaint(session, data=ComplaintIn(
            channel="hotline_12345", kind="complaint", category="odour", description=text, address="化工路 1 号",
            complainant_name="张三", complainant_phone=PHONE), settings=settings, with_suspects=False)
        session.commit()
        assert registration.complaint.case_id is not None
        return registration.complaint.case_id


def _round(database: Database, settings: Settings, now=None) -> list[service.Attempt]:
    with dispatcher.new_client(settings) as client:
        return dispatcher.run_once(database.sessionmaker, settings, client, now=now)


def test_admins_subscribe_and_the_secret_is_shown_once(client, auth):
    admin = auth("admin")
    r = client.post("/api/v1/webhooks", headers=admin, json={"url": "https://hotline.example/ev",
                                                            "events": ["case.dispatched", "case.closed"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert len(created["secret"]) >= 32 and created["active"] is True and created["pending"] == 0
    listed = client.get("/api/v1/webhooks", headers=admin).json()
    assert [h["id"] for h in listed] == [created["id"]] and "secret" not in listed[0]
    assert client.patch(f"/api/v1/webhooks/{created['id']}", headers=admin,
                        json={"active": False}).json()["active"] is False
    assert client.get("/api/v1/webhooks", headers=auth("chief")).status_code == 403
    bad_url = client.post("/api/v1/webhooks", headers=admin,
                          json={"url": "ftp://x.example/a", "events": ["case.closed"]})
    assert bad_url.status_code == 422 and bad_url.json()["detail"][0]["loc"][-1] == "url"
    bad_event = client.post("/api/v1/webhooks", headers=admin,
                            json={"url": "https://x.example/a", "events": ["case.x"]})
    assert bad_event.status_code == 422 and "events" in bad_event.json()["detail"][0]["loc"]
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 404


def test_a_registered_case_is_delivered_signed_and_without_personal_data(committed, hook_settings):
    with receiver() as rx:
        hook = _subscribe(committed, rx.url, ["case.registered"])
        case_id = _complaint(committed, hook_settings)
        attempts = _round(committed, hook_settings)
    assert [a.delivered for a in attempts] == [True]
    (got,) = rx.received
    assert verify(hook.secret, got.body, got.headers["x-ecogrid-signature"], now=int(time.time()))
    assert not verify("another-secret", got.body, got.headers["x-ecogrid-signature"], now=int(time.time()))
    body = json.loads(got.body)
    assert body["event"] == "case.registered" and got.headers["x-ecogrid-event"] == "case.registered"
    assert body["case"]["id"] == case_id and body["case"]["status"] == "registered"
    assert body["occurred_at"].endswith("+08:00")
    assert "张三" not in got.body.decode() and PHONE not in got.body.decode()
    with committed.sessionmaker() as session:
        log = session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)).all()
    assert [(d.attempt, d.status_code, d.error) for d in log] == [(1, 200, None)]


def test_a_step_that_rolls_back_queues_nothing(committed, hook_settings):
    with receiver() as rx:
        hook = _subscribe(committed, rx.url, ["case.registered"])
        with committed.sessionmaker() as session:
            data = ComplaintIn(channel="web", kind="complaint", category="dust", description="扬尘",
                               address="化工路 2 号")
            register_complaint(session, data=data, settings=hook_settings, with_suspects=False)
            session.rollback()
        assert _round(committed, hook_settings) == []
        with committed.sessionmaker() as session:
            assert service.undelivered_for(session, hook.id) == 0


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up(committed, hook_settings):
    with receiver(answers=[500, 503]) as rx:
        hook = _subscribe(committed, rx.url, ["case.accepted"])
        case_id = _complaint(committed, hook_settings)
        with committed.sessionmaker() as session:
            clerk = User(username=f"clerk-hook-{case_id}", role="clerk", password_hash="x")
            session.add(clerk)
            session.flush()
            casework.act(session, case_id=case_id, action="accept", payload=None,
                         actor=casework.Actor(user_id=clerk.id, name="clerk", role="clerk"))
        now = clock.now()
        first = _round(committed, hook_settings, now=now)
        assert [(a.delivered, a.status_code) for a in first] == [(False, 500)]
        assert _round(committed, hook_settings, now=now + timedelta(seconds=10)) == []  # not due before 30 s
        second = _round(committed, hook_settings, now=now + timedelta(seconds=31))
        assert [(a.delivered, a.status_code) for a in second] == [(False, 503)]
        third = _round(committed, hook_settings, now=now + timedelta(seconds=31 + 61))  # doubled: 60 s
        assert [(a.delivered, a.status_code) for a in third] == [(True, 200)]
        bodies = [r.body for r in rx.received]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # a retry sends the same bytes
    with committed.sessionmaker() as session:
        attempts = session.scalars(select(WebhookDelivery.attempt).where(WebhookDelivery.webhook_id == hook.id)
                                   .order_by(WebhookDelivery.id)).all()
        assert attempts == [1, 2, 3]

    with receiver(answers=[500, 500, 500, 500]) as rx:
        hook = _subscribe(committed, rx.url, ["case.registered"])
        _complaint(committed, hook_settings)
        moment = clock.now()
        for k in range(4):
            _round(committed, hook_settings, now=moment + timedelta(hours=7 * k))
        with committed.sessionmaker() as session:
            (item,) = service.outbox_of(session, hook.id)
        assert item.dead and item.attempts == 3 and item.delivered_at is None and len(rx.received) == 3


def test_work_that_left_the_bureau_is_announced_with_where_it_went(committed, hook_settings):
    with receiver() as rx:
        hook = _subscribe(committed, rx.url, ["case.returned", "case.transferred"])
        returned, transferred, handed = (_complaint(committed, hook_settings, t) for t in ("邻区", "油烟", "噪声"))
        with committed.sessionmaker() as session:
            admin = User(username=f"admin-hook-{returned}", role="admin", password_hash="x")
            session.add(admin)
            streets = departments.create(session, name=f"城管-{uuid.uuid4().hex[:6]}", kind="urban_management")
            police = departments.create(session, name=f"分局-{uuid.uuid4().hex[:6]}", kind="police")
            session.flush()
            who = casework.Actor(user_id=admin.id, name="admin", role="admin")
            casework.act(session, case_id=returned, action="return", actor=who,
                         payload={"reason": "outside_territory", "note": "地址属邻区"})
            casework.act(session, case_id=transferred, action="transfer", actor=who,
                         payload={"department_id": streets.id, "reason": "餐饮油烟"})
            casework.act(session, case_id=handed, action="handover", actor=who,
                         payload={"department_id": police.id, "reason": "社会生活噪声"})
            session.commit()
            names = {streets.id: streets.name, police.id: police.name}
        attempts = _round(committed, hook_settings)
        bodies = {b["case"]["id"]: b for b in (json.loads(r.body) for r in rx.received)}
    assert [a.delivered for a in attempts] == [True, True, True]
    assert {i: (b["event"], b["action"], b["case"]["status"]) for i, b in bodies.items()} == {
        returned: ("case.returned", "return", "returned"), transferred: ("case.transferred", "transfer", "transferred"),
        handed: ("case.transferred", "handover", "transferred")}
    assert bodies[returned]["return_reason"] == "outside_territory" and "地址属邻区" not in json.dumps(bodies)
    assert bodies[transferred]["department"] == {"id": streets.id, "name": names[streets.id],
                                                 "kind": "urban_management"}
    assert bodies[handed]["department"]["kind"] == "police"
    with committed.sessionmaker() as session:
        assert service.undelivered_for(session, hook.id) == 0


def test_every_subscribable_event_is_accepted_by_the_api(client, auth):
    assert set(get_args(schemas.Event)) == set(service.EVENTS)
    r = client.post("/api/v1/webhooks", headers=auth("admin"), json={"url": "https://hotline.example/ev",
                                                                    "events": list(service.EVENTS)})
    assert r.status_code == 201, r.text
    assert r.json()["events"] == list(service.EVENTS)


def test_overdue_cases_are_announced_once(committed, hook_settings):
    with receiver() as rx:
        hook = _subscribe(committed, rx.url, ["case.overdue"])
        case_id = _complaint(committed, hook_settings)
        with committed.sessionmaker() as session:
            session.get(Case, case_id).due_at = clock.now() - timedelta(hours=1)
            session.commit()
        _round(committed, hook_settings)
        _round(committed, hook_settings)
        overdue = [json.loads(r.body) for r in rx.received]
    assert case_id in [b["case"]["id"] for b in overdue]
    assert [b["case"]["id"] for b in overdue].count(case_id) == 1
    assert {b["event"] for b in overdue} == {"case.overdue"}
    with committed.sessionmaker() as session:
        assert service.undelivered_for(session, hook.id) == 0


def test_intake_never_waits_for_a_dead_endpoint(committed, hook_settings):
    with black_hole() as (url, connected):
        hook = _subscribe(committed, url, ["case.registered"])
        hook_settings.webhook_timeout_s = 30
        loop = dispatcher.Dispatcher(committed.sessionmaker, hook_settings).start()
        try:
            _complaint(committed, hook_settings, "第一次")
            assert connected.wait(30), "the dispatcher never tried the endpoint"
            # The delivery hangs on the black hole; intake goes on, committed and queued.
            registered = threading.Event()
            worker = threading.Thread(target=lambda: (_complaint(committed, hook_settings, "第二次"),
                                                      registered.set()))
            worker.start()
            worker.join(60)
            assert registered.is_set()
            with committed.sessionmaker() as session:
                owed = session.scalar(select(func.count()).select_from(WebhookOutboxItem).where(
                    WebhookOutboxItem.webhook_id == hook.id, WebhookOutboxItem.delivered_at.is_(None)))
            assert owed == 2
        finally:
            loop.stop(timeout=60)


def test_lists_give_what_changed_since(client, auth, db):
    clerk = auth("clerk")
    first = client.post("/api/v1/complaints", headers=clerk, json={
        "channel": "web", "kind": "complaint", "category": "dust", "description": "扬尘一",
        "address": "化工路 3 号"}).json()
    db.execute(Case.__table__.update().values(updated_at=func.now() - timedelta(days=3)))
    from ecogrid.core.models import Complaint

    db.execute(Complaint.__table__.update().values(updated_at=func.now() - timedelta(days=3)))
    since = (clock.now() - timedelta(days=1)).isoformat()
    assert client.get("/api/v1/cases", headers=clerk, params={"updated_since": since}).json()["total"] == 0
    client.post(f"/api/v1/cases/{first['case_id']}/accept", headers=clerk, json={})
    cases = client.get("/api/v1/cases", headers=clerk, params={"updated_since": since}).json()
    assert [c["id"] for c in cases["items"]] == [first["case_id"]]
    complaints = client.get("/api/v1/complaints", headers=clerk, params={"updated_since": since}).json()
    assert complaints["total"] == 0
    bad = client.get("/api/v1/cases", headers=clerk, params={"updated_since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "updated_since"
