"""An Open311 POST waiting on the database holds up nobody else: the server goes on answering other
requests meanwhile (its database work runs in the thread pool, not on the event loop)."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import text

from ecogrid.accounts import service as user_service
from tests.zones.test_service import seed_zones


def test_a_post_waiting_on_a_lock_does_not_stop_the_server(live_server):
    with live_server.session() as session:
        seed_zones(session)
        _, key = user_service.create_api_key(session, name="loop-client", role="clerk")
        session.commit()
    blocker = live_server.database.engine.connect()
    transaction = blocker.begin()
    blocker.execute(text("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE"))
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(httpx.post(f"{live_server.url}/open311/v2/requests.json", timeout=60, data={
            "api_key": key, "service_code": "odour", "lat": "36.0671", "long": "120.3826",
            "description": "夜间异味"}))

    sender = threading.Thread(target=post)
    try:
        sender.start()
        time.sleep(1.0)  # the POST now waits for the lock
        assert not answers
        started = time.monotonic()
        other = httpx.get(f"{live_server.url}/open311/discovery.json", timeout=10)
        assert other.status_code == 200 and time.monotonic() - started < 5
        assert not answers  # still waiting: the answer above did not come from a finished POST
    finally:
        transaction.rollback()
        blocker.close()
        sender.join(timeout=60)
    assert answers and answers[0].status_code == 201, answers[0].text if answers else None
