"""Ten years of a province: the heatmap aggregates, the case list and the daily bulletin at that size.

    .venv/bin/python bench/province.py [--complaints 1000000] [--events 10000000] [--years 10]

Creates a private PostGIS cluster in a temporary folder (or uses DATABASE_URL, which must be a
scratch database), migrates it, loads the demo city's zones, sources and staff, then generates
cases, complaints and case events in PostgreSQL with generate_series (bench/sql/province_*.sql)
and ANALYZEs. Each figure is the median of three runs after a warm-up, ecogrid's own function
beside the same figure asked for directly in SQL (the lower bound the function could reach).

The zones are the demo city's (one district, its streets and grid cells): a province has some
hundred districts, so zone-level answers here have fewer, larger groups than a real province.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

from ecogrid import demo
from ecogrid.cases import reports
from ecogrid.cases import service as case_service
from ecogrid.core import migrate
from ecogrid.core.time import day_of
from ecogrid.hotspots import aggregates

SQL = Path(__file__).with_name("sql")

# The same figures asked for directly: the newest page of cases with the total, a day's counts,
# and complaints per street over a year.
DIRECT_CASE_PAGE = """
    SELECT (SELECT count(*) FROM cases), array_agg(id) FROM (
        SELECT id FROM cases ORDER BY opened_at DESC, id DESC LIMIT 50) page
"""
DIRECT_BULLETIN = """
    SELECT count(*) FILTER (WHERE opened_at >= :start AND opened_at < :end),
           count(*) FILTER (WHERE status IN ('registered','accepted','dispatched','in_progress','rectification')
                              AND due_at < :end),
           count(*) FILTER (WHERE closed_at >= :start AND closed_at < :end),
           (SELECT count(*) FROM complaints WHERE received_at >= :start AND received_at < :end)
    FROM cases
"""
DIRECT_STREETS = """
    SELECT s.id, count(*) FROM complaints c JOIN zones g ON g.id = c.zone_id
    JOIN zones s ON s.id = CASE WHEN g.level = 'street' THEN g.id ELSE g.parent_id END
    WHERE c.received_at >= :start AND c.received_at < :end GROUP BY s.id
"""


def timed(fn: Callable[[], object], *, runs: int = 3) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def generate(engine: Engine, *, complaints: int, events: int, years: int) -> dict[str, float]:
    cases = max(1, int(complaints * 0.7))  # about 30 % of complaints repeat a known case
    per_case = max(2, round(events / cases))
    end_at = datetime.now(UTC)
    spent: dict[str, float] = {}
    with engine.begin() as conn:
        first_case = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM cases")).scalar_one()
    for name, params in (("cases", {"cases": cases, "years": years, "end_at": end_at}),
                         ("complaints", {"cases": cases, "complaints": complaints, "first_case": first_case}),
                         ("events", {"per_case": per_case, "first_case": first_case})):
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text((SQL / f"province_{name}.sql").read_text()), params)
        spent[name] = time.perf_counter() - start
    start = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    spent["analyze"] = time.perf_counter() - start
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()

    cluster = None
    data_dir = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ecogrid.core.embedded import EmbeddedCluster

        data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-province-", dir="/tmp"))
        os.chmod(data_dir, 0o755)
        cluster = EmbeddedCluster(data_dir, extra_options=("-c fsync=off", "-c synchronous_commit=off",
                                                           "-c full_page_writes=off", "-c max_wal_size=4GB",
                                                           "-c maintenance_work_mem=256MB"),
                                  temp_file_limit="-1")
        cluster.ensure_running()
        url = cluster.url()
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        factory = sessionmaker(bind=engine)
        with factory() as session:
            demo.generate(session, complaints=200, password="bench-pass-1")
            session.commit()
        spent = generate(engine, complaints=args.complaints, events=args.events, years=args.years)
        with engine.connect() as conn:
            counts = conn.execute(text("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM cases), "
                                       "(SELECT count(*) FROM case_events), "
                                       "pg_size_pretty(pg_database_size(current_database()))")).one()
        print(f"generated {counts[0]:,} complaints, {counts[1]:,} cases, {counts[2]:,} case events "
              f"({counts[3]}) over {args.years} years in "
              + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items()))

        now = datetime.now(UTC)
        year = aggregates.Filters(date_from=now - timedelta(days=365), date_to=now)
        month = aggregates.Filters(date_from=now - timedelta(days=30), date_to=now)
        yesterday = day_of(now) - timedelta(days=1)
        start, end = reports.Window(yesterday, yesterday).start, reports.Window(yesterday, yesterday).end
        rows: list[tuple[str, float, float | None]] = []
        with factory() as session:
            direct_streets = timed(lambda: session.execute(
                text(DIRECT_STREETS), {"start": year.date_from, "end": year.date_to}).all())
            rows.append(("heatmap: complaints per street, last year",
                         timed(lambda: aggregates.aggregate_zones(session, filters=year, level="street")),
                         direct_streets))
            rows.append(("heatmap: complaints per grid cell, last year",
                         timed(lambda: aggregates.aggregate_zones(session, filters=year, level="grid")), None))
            rows.append(("heatmap: 500 m squares, last 30 days",
                         timed(lambda: aggregates.aggregate_grid(session, cell_m=500, filters=month)), None))
            rows.append(("case list: newest 50 with the total",
                         timed(lambda: case_service.list_cases(session, filters=case_service.CaseFilters())),
                         timed(lambda: session.execute(text(DIRECT_CASE_PAGE)).one())))
            rows.append(("case list: overdue, newest 50",
                         timed(lambda: case_service.list_cases(session,
                                                               filters=case_service.CaseFilters(overdue=True))),
                         None))
            rows.append(("daily bulletin (yesterday)",
                         timed(lambda: reports.daily_bulletin(session, day=yesterday, now=now), runs=1),
                         timed(lambda: session.execute(text(DIRECT_BULLETIN), {"start": start, "end": end}).one())))
        print(f"{'figure':<48} {'ecogrid':>10} {'direct SQL':>11} {'ratio':>7}")
        for name, ours, direct in rows:
            ratio = f"{ours / direct:.1f}x" if direct else "-"
            direct_text = f"{direct * 1000:.0f} ms" if direct else "-"
            print(f"{name:<48} {ours * 1000:>7.0f} ms {direct_text:>11} {ratio:>7}")
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
