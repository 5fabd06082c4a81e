"""Patrol planning on the demo city: risk ranking, a draw and a 30-stop route, timed.

Run on demand against a demo database (never in the test suite), e.g.
``ECOGRID_DATA_DIR=/tmp/x ecogrid demo --password demo-pass-1 --complaints 5000`` then
``ECOGRID_DATA_DIR=/tmp/x python bench/patrols.py``. Writes nothing that persists: every
plan is rolled back.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecogrid.core.database import Database, resolve_url
from ecogrid.core.models import Complaint, Source
from ecogrid.core.settings import get_settings
from ecogrid.patrols import service as patrol_service


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    settings = get_settings()
    database = Database.from_url(resolve_url(settings))
    # Plans are committed as savepoints inside one transaction that is rolled back at the end.
    with database.engine.connect() as connection, connection.begin() as outer, \
            Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        newest = session.scalar(select(func.max(Complaint.received_at)))
        sources = session.scalar(select(func.count()).select_from(Source))
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        ranking = timed(lambda: patrol_service.rank_targets(session, settings=settings, end=newest, limit=50))
        body = patrol_service.rank_targets(session, settings=settings, end=newest, limit=30)
        ids = [i["source_id"] for i in body["items"]]
        route = timed(lambda: patrol_service.create_route(session, settings=settings, actor_id=None,
                                                          actor_name="bench", on=date(2026, 3, 2),
                                                          source_ids=ids), repeat=3)
        draw = timed(lambda: patrol_service.create_draw(session, settings=settings, actor_id=None,
                                                        actor_name="bench", seed=1, weighted_by_risk=True),
                     repeat=3)
        outer.rollback()
    print(f"sources={sources} complaints={complaints}")
    print(f"risk ranking (all factors + hotspot cells), median of 5: {ranking * 1000:.0f} ms")
    print(f"30-stop route (plan + store), median of 3: {route * 1000:.0f} ms")
    print(f"risk-weighted draw over all units (rank + draw + store), median of 3: {draw * 1000:.0f} ms")
    database.dispose()


if __name__ == "__main__":
    main()
