"""Years of minute data: 10 stations x 1 year of minute readings loaded into the monthly partitions and queried.

Creates a private, throw-away PostgreSQL cluster (a temp folder), migrates it, registers the stations,
then:
- load: every station's minute values for the year, generated in the server and inserted through the
  partitioned parent (the partitions made first by ``storage.ensure_partitions``), rows per second and
  the size on disk;
- ingest: a station-day of HJ 212 minute packets through ``ingest.accept_packet`` (parse, password,
  store, judge; one transaction each, as the listener does) against the same rows INSERTed directly;
- queries: ecogrid's functions beside the same work written directly in SQL, each the median of
  several runs after one warm-up: a day of one station (the chart's raw series), a month bucketed to
  2,000 points, a year of daily means (the correlation), and the readings of every station around a
  moment (a suspect's note); EXPLAIN says how many partitions a day's query reads.

Run: .venv/bin/python bench/monitoring.py [--stations 10] [--days 365] [--pollutants 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import evidence, hj212, ingest, storage
from ecogrid.monitoring import stations as station_service

FAST_UNSAFE = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
CODES = ("a21028", "a21001", "a34004", "a21026")
START = datetime(2025, 1, 1, tzinfo=BEIJING)


def timed(work: Callable[[], object], runs: int = 5) -> float:
    work()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def load(database: Database, station_ids: list[int], codes: tuple[str, ...], days: int) -> float:
    """Every station's minute values, generated in the server one month at a time (a daily cycle with an
    evening peak, different per station, deterministic), inserted through the partitioned parent."""
    end = START + timedelta(days=days)
    with database.sessionmaker() as session:
        storage.ensure_partitions(session, (START + timedelta(days=d) for d in range(0, days, 10)))
        storage.ensure_partitions(session, [end - timedelta(minutes=1)])
        session.commit()
    t0 = time.perf_counter()
    month = START
    while month < end:
        following = min((month + timedelta(days=32)).replace(day=1), end)
        with database.engine.connect() as conn:
            conn.execute(text("""
                INSERT INTO monitor_readings (station_id, code, interval, measured_at, value, unit, flag)
                SELECT s, c, 'minute', t,
                       0.02 + CASE WHEN (extract(hour FROM t AT TIME ZONE 'Asia/Shanghai')::int + s) % 24
                                        BETWEEN 20 AND 23 THEN 0.015 ELSE 0 END
                            + ((extract(epoch FROM t)::bigint / 60 * 7 + s) % 13) / 1000.0,
                       'mg/m3', 'N'
                FROM unnest(CAST(:stations AS int[])) s, unnest(CAST(:codes AS text[])) c,
                     generate_series(CAST(:a AS timestamptz), CAST(:b AS timestamptz) - interval '1 minute',
                                     interval '1 minute') t
            """), {"stations": station_ids, "codes": list(codes), "a": month, "b": following})
            conn.commit()
        month = following
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pollutants", type=int, default=1, choices=range(1, len(CODES) + 1))
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder")
    args = parser.parse_args()
    codes = CODES[:args.pollutants]
    data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-monitoring-", dir="/tmp"))
    cluster = EmbeddedCluster(data_dir, extra_options=FAST_UNSAFE)
    try:
        cluster.ensure_running()
        database = Database.from_url(cluster.url())
        migrate.upgrade(database.engine)
        settings = Settings(database_url=cluster.url(), secret_key="b" * 40)
        with database.sessionmaker() as session:
            ids = [station_service.create_station(session, data=station_service.StationIn(
                code=f"B{n:02d}", name=f"厂界{n}", kind="boundary", lon=120.3 + n * 0.01, lat=36.1, mn=f"MNB{n:04d}",
                password="pw0001", pollutants=[{"code": c, "unit": "mg/m3"} for c in codes])).id
                for n in range(args.stations)]
            ingest_station = station_service.create_station(session, data=station_service.StationIn(
                code="INGEST", name="接入测试", kind="boundary", lon=120.5, lat=36.2, mn="MNINGEST", password="pw0001",
                pollutants=[{"code": c, "unit": "mg/m3"} for c in codes]))
            ingest_id = ingest_station.id
            session.commit()
        rows = args.stations * len(codes) * args.days * 1440
        print(f"{args.stations} stations x {len(codes)} pollutant(s) x {args.days} days of minute data = {rows:,} rows")
        seconds = load(database, ids, codes, args.days)
        with database.engine.connect() as conn:
            conn.execute(text("ANALYZE monitor_readings"))
            conn.commit()
            size = int(conn.execute(text("""SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
                                        WHERE i.inhparent = 'monitor_readings'::regclass""")).scalar_one())
            parts = conn.execute(text("SELECT count(*) FROM pg_inherits WHERE inhparent = "
                                      "'monitor_readings'::regclass")).scalar_one()
        print(f"load (INSERT through the parent, generated in the server): {seconds:.1f} s, "
              f"{rows / seconds:,.0f} rows/s; "
              f"{parts} monthly partitions, {size / 1e6:,.0f} MB with indexes ({size / rows:.0f} bytes/row)")

        # Ingest: one station-day of minute packets through the listener's path, against direct INSERTs.
        day = START + timedelta(days=400)
        packets = [hj212.parse_frame(hj212.frame(
            f"QN={(day + timedelta(minutes=m)).strftime('%Y%m%d%H%M%S')}000;ST=21;CN=2051;PW=pw0001;MN=MNINGEST;"
            f"Flag=5;CP=&&DataTime={(day + timedelta(minutes=m)).strftime('%Y%m%d%H%M%S')};"
            + ";".join(f"{c}-Avg=0.03,{c}-Flag=N" for c in codes) + "&&")) for m in range(1440)]
        t0 = time.perf_counter()
        for packet in packets:
            with database.sessionmaker() as session:
                outcome = ingest.accept_packet(session, packet=packet, settings=settings, now=day + timedelta(days=2))
                assert outcome.accepted, outcome
                session.commit()
        through = time.perf_counter() - t0
        direct_day = day + timedelta(days=1)
        t0 = time.perf_counter()
        for m in range(1440):
            with database.engine.connect() as conn:
                conn.execute(text("INSERT INTO monitor_readings (station_id, code, interval, measured_at, value, unit) "
                                  "SELECT :s, c, 'minute', :at, 0.03, 'mg/m3' FROM unnest(CAST(:codes AS text[])) c"),
                             {"s": ingest_id, "at": direct_day + timedelta(minutes=m), "codes": list(codes)})
                conn.commit()
        direct = time.perf_counter() - t0
        print(f"ingest of 1,440 minute packets: {through / 1440 * 1000:.2f} ms a packet through accept_packet, "
              f"{direct / 1440 * 1000:.2f} ms a direct INSERT transaction (x{through / direct:.1f}); "
              f"{1440 / through:,.0f} packets/s on one connection")

        sid, code = ids[len(ids) // 2], codes[0]
        middle = START + timedelta(days=args.days // 2)
        one_day = (middle, middle + timedelta(days=1))
        one_month = (middle - timedelta(days=15), middle + timedelta(days=15))
        year = (START, START + timedelta(days=args.days))
        with database.sessionmaker() as session:
            station = station_service.get_station(session, station_id=sid)
            results = {
                "a day, raw (1,440 points)": (
                    lambda: storage.series(session, station_id=sid, code=code, interval="minute", start=one_day[0],
                                           end=one_day[1]),
                    lambda: session.execute(text(
                        "SELECT measured_at, value FROM monitor_readings WHERE station_id = :s AND code = :c "
                        "AND interval = 'minute' AND measured_at >= :a AND measured_at < :b ORDER BY measured_at"),
                        {"s": sid, "c": code, "a": one_day[0], "b": one_day[1]}).all()),
                "a month, bucketed to 2,000 points": (
                    lambda: storage.series(session, station_id=sid, code=code, interval="minute", start=one_month[0],
                                           end=one_month[1]),
                    lambda: session.execute(text(
                        "SELECT date_bin(interval '22 minutes', measured_at, :a), avg(value) FROM monitor_readings "
                        "WHERE station_id = :s AND code = :c AND interval = 'minute' AND measured_at >= :a "
                        "AND measured_at < :b GROUP BY 1 ORDER BY 1"),
                        {"s": sid, "c": code, "a": one_month[0], "b": one_month[1]}).all()),
                "a year of daily means": (
                    lambda: storage.daily_means(session, station_id=sid, code=code, start=year[0], end=year[1]),
                    lambda: session.execute(text(
                        "SELECT (measured_at AT TIME ZONE 'Asia/Shanghai')::date, avg(value) FROM monitor_readings "
                        "WHERE station_id = :s AND code = :c AND measured_at >= :a AND measured_at < :b GROUP BY 1"),
                        {"s": sid, "c": code, "a": year[0], "b": year[1]}).all()),
                "a station's chart around a complaint (12 h)": (
                    lambda: evidence.station_series(session, station=station, start=one_day[0],
                                                    end=one_day[0] + timedelta(hours=12)),
                    lambda: session.execute(text(
                        "SELECT code, measured_at, value FROM monitor_readings WHERE station_id = :s "
                        "AND measured_at >= :a AND measured_at < :b ORDER BY code, measured_at"),
                        {"s": sid, "a": one_day[0], "b": one_day[0] + timedelta(hours=12)}).all()),
            }
            for name, (ours, direct_sql) in results.items():
                a, b = timed(ours), timed(direct_sql)
                print(f"{name}: ecogrid {a * 1000:.1f} ms, direct SQL {b * 1000:.1f} ms (x{a / b:.2f})")
            plan = session.execute(text(
                "EXPLAIN SELECT value FROM monitor_readings WHERE station_id = :s AND code = :c "
                "AND measured_at >= :a AND measured_at < :b"),
                {"s": sid, "c": code, "a": one_day[0], "b": one_day[1]}).scalars().all()
            scanned = sum(1 for line in plan if "monitor_readings_y" in line)
            print(f"a day's query reads {scanned} of {parts} partitions")
        database.dispose()
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
