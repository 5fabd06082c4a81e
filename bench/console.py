"""Page weight and server time of the console's busiest pages, beside the same service calls made directly.

    .venv/bin/python bench/console.py [--complaints 5000] [--runs 5]

Creates a private PostGIS cluster in a temporary folder (or uses DATABASE_URL), migrates it and loads the
demo city (``ecogrid.demo.generate`` with ``--complaints``). Each page is asked for in-process (the ASGI app
through httpx, no network) by a signed-in chief; "direct" is the work the page does through its services
without rendering, so the ratio is what the page adds. Each figure is the median of ``--runs`` runs after
one warm-up. The page's bytes are the HTML alone (scripts and styles are static files, cached). "cold" is one
request with nothing kept (``answer_cache.clear()``), as after a write: what kept answers save is the
difference between it and the median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

# The repository first: this folder's own ``api.py`` must not stand in for the ``api`` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.factory import create_app  # noqa: E402
from ecogrid import demo  # noqa: E402
from ecogrid.accounts import service as user_service  # noqa: E402
from ecogrid.cases import figures as case_figures  # noqa: E402
from ecogrid.cases import report_pages, reports, workspace  # noqa: E402
from ecogrid.cases import service as casework  # noqa: E402
from ecogrid.core import answer_cache, migrate, security  # noqa: E402
from ecogrid.core.database import Database  # noqa: E402
from ecogrid.core.settings import Settings  # noqa: E402
from ecogrid.core.time import BEIJING  # noqa: E402
from ecogrid.hotspots import aggregates  # noqa: E402

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"


def timed(fn: Callable[[], object], *, runs: int) -> float:
    fn()  # warm-up: plans cached, pages in memory
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def direct_cases(factory, viewer: casework.Actor) -> None:
    with factory() as session:
        casework.list_cases(session, filters=casework.CaseFilters(), limit=50, viewer=viewer)


def direct_red_cases(factory, viewer: casework.Actor) -> None:
    with factory() as session:
        casework.list_cases(session, filters=casework.CaseFilters(colour="red"), limit=50, viewer=viewer,
                            sort="due")


def direct_home(factory, viewer: casework.Actor, settings: Settings) -> None:
    with factory() as session:
        workspace.needs_today(session, viewer=viewer, settings=settings)
        workspace.today_stock(session)


def direct_reports(factory) -> None:
    yesterday = datetime.now(BEIJING).date() - timedelta(days=1)
    with factory() as session:
        reports.daily_bulletin(session, day=yesterday)
        reports.summary(session, first=yesterday - timedelta(days=27), last=yesterday)
        report_pages.weekly_trend(session, last=yesterday)


def direct_map(factory, viewer: casework.Actor) -> None:
    now = datetime.now(UTC)
    period = aggregates.Period(now - timedelta(days=90), now)
    with factory() as session:
        zones = aggregates.aggregate_zones(session, filters=aggregates.Filters(date_from=period.start,
                                                                               date_to=period.end),
                                           level="street", simplify_m=20)
        counted = case_figures.zone_map(session, level="street", parent_code=None, start=period.start,
                                        end=period.end, now=now)
        case_figures.add_to_zone_rows(zones, counted["zones"])
        try:
            aggregates.compute_hotspots(session, cell_m=aggregates.suggest_cell_m(session, max_cells=2000),
                                        period=period)
        except Exception:  # noqa: BLE001 - the page tolerates an area too small for a grid the same way
            pass
        for filters in (casework.CaseFilters(colour="red"), casework.CaseFilters(overdue=True)):
            casework.list_cases(session, filters=filters, limit=2000, viewer=viewer, sort="due")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=5000, help="complaints of the demo city")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    cluster = data_dir = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ecogrid.core.embedded import EmbeddedCluster

        data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-"))
        os.chmod(data_dir, 0o755)
        cluster = EmbeddedCluster(data_dir, extra_options=("-c fsync=off", "-c synchronous_commit=off"))
        cluster.ensure_running()
        url = cluster.url()
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        factory = sessionmaker(bind=engine)
        t0 = time.perf_counter()
        with factory() as session:
            if demo.is_empty(session):
                demo.generate(session, complaints=args.complaints, password="bench-pass-1")
            chief = user_service.get_by_username(session, username="bench-chief") or user_service.create(
                session, username="bench-chief", role="chief", password="bench-pass-1")
            session.commit()
            counts = session.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases)"))
            complaints, cases = counts.one()
            chief_id = chief.id
        print(f"demo city: {complaints:,} complaints, {cases:,} cases (loaded in {time.perf_counter() - t0:.0f} s)")

        settings = Settings(secret_key=SECRET, database_url=url, data_dir=Path(tempfile.mkdtemp()))
        token = security.issue_token(settings=settings, user_id=chief_id, role="chief")
        viewer = casework.Actor(user_id=chief_id, name="bench-chief", role="chief")
        app = create_app(settings, Database(engine, factory))
        rows = []
        # The page cookie, as a browser sends it: the workspace at / reads no bearer header.
        with TestClient(app, cookies={"ecogrid_token": token}) as client:
            pages = (("/", lambda: direct_home(factory, viewer, settings)),
                     ("/cases", lambda: direct_cases(factory, viewer)),
                     ("/cases?colour=red&sort=due", lambda: direct_red_cases(factory, viewer)),
                     ("/map", lambda: direct_map(factory, viewer)),
                     ("/reports", lambda: direct_reports(factory)))
            for path, direct in pages:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                answer_cache.clear()
                start = time.perf_counter()
                client.get(path)
                cold_s = time.perf_counter() - start
                page_s = timed(lambda p=path: client.get(p), runs=args.runs)
                direct_s = timed(direct, runs=args.runs)
                rows.append((path, len(response.content), cold_s, page_s, direct_s))
        print(f"\nmedian seconds over {args.runs} runs")
        print(f"{'page':32} {'bytes':>9} {'cold s':>8} {'page s':>8} {'direct s':>9} {'ratio':>6}")
        for path, size, cold_s, page_s, direct_s in rows:
            print(f"{path:32} {size:9,} {cold_s:8.3f} {page_s:8.3f} {direct_s:9.3f} {page_s / direct_s:6.2f}")
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
