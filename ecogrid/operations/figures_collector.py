"""Figures read from the database at scrape time: what an operator alerts on besides the process itself.

Counted by the rules of ``ecogrid.cases.rules`` and ``figures`` (one definition of "overdue"), in one
read-only transaction under a short statement timeout, and kept for ``metrics_cache_s`` seconds, so
scrapes from several Prometheus servers cost one count. Read from the database, the figures are the
same whichever worker answers the scrape.

- ``ecogrid_complaints_received_total``: every complaint ever received (``rate()`` gives intake per second);
- ``ecogrid_complaints_received_today``: since 00:00 Beijing time;
- ``ecogrid_cases_open`` and ``ecogrid_cases_overdue``: now;
- ``ecogrid_database_up``: 0 when the figures could not be read (they are then left out).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from ecogrid.cases import figures, rules
from ecogrid.core.database import set_statement_timeout
from ecogrid.core.models import Case, Complaint
from ecogrid.core.time import day_of, day_start, now
from ecogrid.webhooks import service as webhook_service

logger = logging.getLogger(__name__)

# A scrape must never hold a connection long: the counts use indexed columns and finish well inside this.
STATEMENT_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class DatabaseFigures:
    complaints_total: int
    complaints_today: int
    cases_open: int
    cases_overdue: int
    webhooks_pending: int = 0


def read_figures(sessions: sessionmaker, *, moment: datetime | None = None) -> DatabaseFigures:
    at = moment or now()
    with sessions() as session, session.begin():
        set_statement_timeout(session, STATEMENT_TIMEOUT_MS)
        total = session.scalar(select(func.count()).select_from(Complaint)) or 0
        today, _repeats = figures.complaint_counts(session, start=day_start(day_of(at)), end=at)
        open_, overdue = session.execute(select(
            func.count().filter(Case.status.in_(rules.OPEN)),
            func.count().filter(rules.overdue_sql(at)),
        )).one()
        pending = webhook_service.pending_count(session)
    return DatabaseFigures(complaints_total=total, complaints_today=today, cases_open=open_, cases_overdue=overdue,
                           webhooks_pending=pending)


class FiguresCollector(Collector):
    def __init__(self, sessions: sessionmaker, *, cache_s: float) -> None:
        self._sessions = sessions
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._read_at = -float("inf")
        self._figures: DatabaseFigures | None = None

    def current(self) -> DatabaseFigures | None:
        with self._lock:
            if time.monotonic() - self._read_at >= self._cache_s:
                try:
                    self._figures = read_figures(self._sessions)
                except SQLAlchemyError as exc:
                    logger.warning("metrics: database figures not read: %s", type(exc).__name__)
                    self._figures = None
                self._read_at = time.monotonic()
            return self._figures

    def collect(self) -> Iterator[Metric]:
        current = self.current()
        yield GaugeMetricFamily("ecogrid_database_up", "1 when the figures below could be read from the database.",
                                value=0 if current is None else 1)
        if current is None:
            return
        yield CounterMetricFamily("ecogrid_complaints_received", "Complaints received, all time.",
                                  value=current.complaints_total)
        yield GaugeMetricFamily("ecogrid_complaints_received_today", "Complaints received since 00:00 Beijing time.",
                                value=current.complaints_today)
        yield GaugeMetricFamily("ecogrid_cases_open", "Cases open now (not closed or rejected).",
                                value=current.cases_open)
        yield GaugeMetricFamily("ecogrid_cases_overdue", "Cases overdue now (being handled, past their deadline).",
                                value=current.cases_overdue)
        yield GaugeMetricFamily("ecogrid_webhook_outbox_pending", "Webhook events queued and not delivered yet "
                                "(neither delivered nor given up).", value=current.webhooks_pending)
