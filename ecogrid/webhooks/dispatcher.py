"""The loop that empties the outbox: in each API process (a background thread, setting ``webhook_dispatch``)
or alone (``ecogrid webhooks deliver``). Deliveries run on a few threads with a short timeout, so one slow or
dead endpoint delays only its own events, and nothing here is ever on a request's path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from ecogrid.core import time as clock
from ecogrid.core.settings import Settings
from ecogrid.webhooks import service

log = logging.getLogger("ecogrid.webhooks")


def run_once(sessions: Callable[[], Session], settings: Settings, client: httpx.Client,
             now: datetime | None = None) -> list[service.Attempt]:
    """One round: the overdue sweep, then one batch of due deliveries. Returns the attempts made."""
    moment = now or clock.now()
    with sessions() as session:
        service.sweep_overdue(session, now=moment)
        session.commit()
    with sessions() as session:
        ids = service.claim(session, now=moment, limit=settings.webhook_batch,
                            lease=timedelta(seconds=settings.webhook_timeout_s * 3 + 30))
        session.commit()

    def one(item_id: int) -> service.Attempt:
        with sessions() as session:
            attempt = service.deliver(session, item_id, client=client, settings=settings, now=clock.now())
            session.commit()
            return attempt

    if not ids:
        return []
    with ThreadPoolExecutor(max_workers=settings.webhook_concurrency) as pool:
        return list(pool.map(one, ids))


def new_client(settings: Settings) -> httpx.Client:
    # No redirects: a subscription names the URL that receives the events, not one that sends them elsewhere.
    return httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False,
                        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2))


class Dispatcher:
    """``run_once`` every ``webhook_poll_s`` seconds until stopped; an error is logged and the loop goes on."""

    def __init__(self, sessions: Callable[[], Session], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ecogrid-webhooks", daemon=True)

    def start(self) -> Dispatcher:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        with new_client(self._settings) as client:
            while not self._stop.is_set():
                try:
                    attempts = run_once(self._sessions, self._settings, client)
                except Exception:  # the database away, a bug: say so and try again next round
                    log.exception("webhook round failed")
                    attempts = []
                # A full batch means more is waiting: go on at once.
                if len(attempts) < self._settings.webhook_batch:
                    self._stop.wait(self._settings.webhook_poll_s)
