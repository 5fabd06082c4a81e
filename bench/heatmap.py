"""Heatmap aggregates at scale: ecogrid's functions beside hand-written SQL, tiles beside tipg.

    .venv/bin/python bench/heatmap.py [--complaints 1000000] [--tipg /tmp/tipg-venv]

Creates a private PostGIS cluster in a temporary folder (or uses DATABASE_URL), migrates it,
loads the demo zones and sources with a few complaints, then COPYs synthetic complaints
(clusters around the demo sources plus uniform background), assigns zones and ANALYZEs. Each
figure is the median of several runs after one warm-up. tipg (if a venv with it is given) runs
as a separate uvicorn process on 127.0.0.1 against the same database, serving a view with the
same columns as ecogrid's tiles; both are timed over HTTP.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from ecogrid import demo
from ecogrid.accounts import service as user_service
from ecogrid.core import migrate, security
from ecogrid.hotspots import aggregates

CATEGORIES = ("odour", "voc", "dust", "noise_social", "noise_construction", "cooking_fumes", "wastewater")
CHANNELS = ("hotline_12345", "hotline_12369", "web", "national_platform")


def timed(fn: Callable[[], object], *, runs: int = 3) -> float:
    fn()  # warm-up: plans cached, pages in memory
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def load_complaints(engine, n: int, *, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    with engine.connect() as conn:
        box = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                                "FROM (SELECT ST_Extent(geom) e FROM zones) t")).one()
        sources = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM sources")).all()
    west, south, east, north = box
    clustered = int(n * 0.6)
    pick = rng.integers(0, len(sources), clustered)
    centres = np.array(sources)[pick]
    spread = rng.normal(0, 0.004, (clustered, 2))
    lon = np.concatenate([centres[:, 0] + spread[:, 0], rng.uniform(west, east, n - clustered)])
    lat = np.concatenate([centres[:, 1] + spread[:, 1], rng.uniform(south, north, n - clustered)])
    end = datetime.now(UTC)
    seconds = rng.integers(0, 730 * 86400, n)
    category = rng.integers(0, len(CATEGORIES), n)
    channel = rng.integers(0, len(CHANNELS), n)
    repeat = rng.random(n) < 0.15
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            with cur.copy("COPY complaints (channel, kind, category, description, received_at, geom, is_repeat) "
                          "FROM STDIN") as copy:
                buf = io.StringIO()
                for i in range(n):
                    at = (end - timedelta(seconds=int(seconds[i]))).isoformat()
                    buf.write(f"{CHANNELS[channel[i]]}\tcomplaint\t{CATEGORIES[category[i]]}\tsynthetic\t{at}\t"
                              f"SRID=4326;POINT({lon[i]:.6f} {lat[i]:.6f})\t{'t' if repeat[i] else 'f'}\n")
                    if i % 50_000 == 49_999:
                        copy.write(buf.getvalue())
                        buf = io.StringIO()
                copy.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        # The deepest zone holding the point, as intake does.
        conn.execute(text("""
            UPDATE complaints c SET zone_id = z.id FROM zones z
            WHERE c.zone_id IS NULL AND z.level = 'grid' AND ST_Covers(z.geom, c.geom)
        """))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE complaints"))
        conn.execute(text("ANALYZE"))


# The street of each complaint by a fixed two-step join (levels are district > street > grid, and
# intake assigns a complaint to a street itself when no grid cell holds it): the same figures as
# aggregate_zones(level="street"), checked in main().
RAW_ZONES = """
    WITH cc AS (
        SELECT s.id, count(*) AS complaints, count(*) FILTER (WHERE c.is_repeat) AS repeats
        FROM complaints c JOIN zones g ON g.id = c.zone_id
        JOIN zones s ON s.id = CASE WHEN g.level = 'street' THEN g.id ELSE g.parent_id END
        WHERE s.level = 'street' AND c.geom IS NOT NULL GROUP BY s.id),
    kc AS (
        SELECT s.id, count(*) AS cases,
               count(*) FILTER (WHERE k.status IN ('registered','accepted','dispatched','in_progress','rectification')
                                  AND k.due_at < now()) AS overdue,
               count(*) FILTER (WHERE k.status IN ('revisited','closed') AND k.satisfaction IS NOT NULL) AS rated,
               count(*) FILTER (WHERE k.status IN ('revisited','closed')
                                  AND k.satisfaction IN ('satisfied','basically_satisfied')) AS good
        FROM cases k JOIN zones g ON g.id = k.zone_id
        JOIN zones s ON s.id = CASE WHEN g.level = 'street' THEN g.id ELSE g.parent_id END
        WHERE s.level = 'street' GROUP BY s.id)
    SELECT z.code, coalesce(cc.complaints, 0), coalesce(cc.repeats, 0), coalesce(kc.cases, 0),
           coalesce(kc.overdue, 0), coalesce(kc.rated, 0), kc.good, ST_AsGeoJSON(z.geom, 6)
    FROM zones z LEFT JOIN cc ON cc.id = z.id LEFT JOIN kc ON kc.id = z.id WHERE z.level = 'street'
    ORDER BY z.code
"""

RAW_GRID = """
    SELECT g.i, g.j, count(*), ST_AsGeoJSON(ST_Transform(g.geom, 4326), 6)
    FROM ST_SquareGrid(:cell, (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 4326), :srid) FROM complaints)) g
    JOIN complaints c ON ST_Intersects(c.geom, ST_Transform(g.geom, 4326))
    GROUP BY g.i, g.j, g.geom
"""

RAW_HOTSPOT_CELLS = """
    WITH area AS MATERIALIZED (
        SELECT ST_Union(ST_Transform(geom, :srid)) g FROM zones WHERE parent_id IS NULL),
    cells AS MATERIALIZED (
        SELECT c.i, c.j, c.geom FROM area, ST_SquareGrid(:cell, area.g) c WHERE ST_Intersects(c.geom, area.g)),
    counts AS MATERIALIZED (SELECT floor(ST_X(p) / :cell)::int i, floor(ST_Y(p) / :cell)::int j, count(*) n
               FROM (SELECT ST_Transform(geom, :srid) p FROM complaints
                     WHERE received_at >= :start AND received_at < :end) t GROUP BY 1, 2)
    SELECT cells.i, cells.j, ST_X(ST_Centroid(cells.geom)), ST_Y(ST_Centroid(cells.geom)), coalesce(counts.n, 0)
    FROM cells LEFT JOIN counts USING (i, j)
"""


def raw_hotspots(session: Session, *, cell: float, srid: int, start: datetime, end: datetime) -> None:
    import esda
    import libpysal

    rows = session.execute(text(RAW_HOTSPOT_CELLS), {"cell": cell, "srid": srid, "start": start, "end": end}).all()
    coords = np.array([(r[2], r[3]) for r in rows])
    values = np.array([r[4] for r in rows], dtype=float)
    w = libpysal.weights.DistanceBand(coords, threshold=cell * 1.5, binary=True, silence_warnings=True)
    local = esda.G_Local(values, w, transform="B", star=True, permutations=0)
    esda.fdr(local.p_norm, 0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)


def bench_tiles(url: str, session: Session, tipg_venv: Path | None) -> list[tuple[str, float, float | None, int]]:
    import uvicorn

    from api.factory import create_app
    from ecogrid.core.database import Database
    from ecogrid.core.settings import Settings

    settings = Settings(secret_key="bench-secret-" + "x" * 40, database_url=url)
    user = user_service.create(session, username="bench-chief", role="chief", password="bench-pass-1")
    session.commit()
    token = security.issue_token(settings=settings, user_id=user.id, role="chief")
    session.execute(text("""
        CREATE OR REPLACE VIEW complaint_points AS
        SELECT c.id, c.category, k.status, extract(epoch FROM c.received_at)::bigint AS received_at, c.case_id, c.geom
        FROM complaints c LEFT JOIN cases k ON k.id = c.case_id
    """))
    session.commit()
    centre = session.execute(text("SELECT ST_X(p), ST_Y(p) FROM "
                                  "(SELECT ST_Centroid(ST_SetSRID(ST_Extent(geom), 4326)) p FROM zones) t")).one()
    busiest = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM sources LIMIT 1")).one()

    port = _free_port()
    database = Database.from_url(url)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    tipg_proc = None
    tipg_port = _free_port()
    if tipg_venv:
        env = dict(os.environ, DATABASE_URL=url.replace("+psycopg", ""), TIPG_DB_SCHEMAS='["public"]',
                   TIPG_MAX_FEATURES_PER_TILE="100000000")
        tipg_proc = subprocess.Popen(
            [str(tipg_venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(tipg_port),
             "--log-level", "warning"], env=env)
    results = []
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(timeout=120) as client:
            if tipg_proc:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if client.get(f"http://127.0.0.1:{tipg_port}/collections").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("tipg did not start")
                    time.sleep(0.5)
            for name, z, (lon, lat) in (("city z=11", 11, centre), ("city z=12", 12, centre),
                                        ("street z=14", 14, busiest), ("street z=15", 15, busiest),
                                        ("street z=16", 16, busiest)):
                x, y = _tile_xy(lon, lat, z)
                ours_url = f"http://127.0.0.1:{port}/tiles/complaints/{z}/{x}/{y}.mvt"
                size = len(client.get(ours_url, headers=headers).content)
                ours = timed(lambda u=ours_url: client.get(u, headers=headers).raise_for_status(), runs=5)
                theirs = None
                if tipg_proc:
                    tipg_url = (f"http://127.0.0.1:{tipg_port}/collections/public.complaint_points/tiles/"
                                f"WebMercatorQuad/{z}/{x}/{y}")
                    theirs = timed(lambda u=tipg_url: client.get(u).raise_for_status(), runs=5)
                results.append((name, ours, theirs, size))
    finally:
        server.should_exit = True
        if tipg_proc:
            tipg_proc.terminate()
            tipg_proc.wait(timeout=10)
        database.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--cell", type=float, default=200.0)
    parser.add_argument("--tipg", type=Path, default=Path("/tmp/tipg-venv"),
                        help="a virtualenv with tipg and uvicorn (skipped when missing)")
    args = parser.parse_args()

    cluster = None
    data_dir = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ecogrid.core.embedded import EmbeddedCluster

        data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-", dir="/tmp"))
        os.chmod(data_dir, 0o755)
        cluster = EmbeddedCluster(data_dir, extra_options=("-c fsync=off", "-c synchronous_commit=off",
                                                           "-c full_page_writes=off"))
        cluster.ensure_running()
        url = cluster.url()
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        factory = sessionmaker(bind=engine)
        t0 = time.perf_counter()
        with factory() as session:
            demo.generate(session, complaints=500, password="bench-pass-1")
            session.commit()
        load_complaints(engine, args.complaints)
        with factory() as session:
            total = session.execute(text("SELECT count(*) FROM complaints")).scalar_one()
        print(f"loaded {total:,} complaints in {time.perf_counter() - t0:.0f} s")

        now = datetime.now(UTC)
        period = aggregates.Period(now - timedelta(days=365), now)
        rows = []
        with factory() as session:
            srid = aggregates.metric_srid(session)
            params = {"cell": args.cell, "srid": srid}
            ours_zones = [(z["code"], z["complaints"], z["repeats"], z["cases"], z["overdue"], z["rated"])
                          for z in aggregates.aggregate_zones(session, level="street")]
            raw_zones = [tuple(r[:6]) for r in session.execute(text(RAW_ZONES))]
            if ours_zones != raw_zones:
                raise AssertionError(f"zone figures differ from the raw SQL: {ours_zones} != {raw_zones}")
            rows.append(("zone aggregate (streets)",
                         timed(lambda: aggregates.aggregate_zones(session, level="street")),
                         timed(lambda: session.execute(text(RAW_ZONES)).all())))
            rows.append((f"grid aggregate ({args.cell:g} m squares)",
                         timed(lambda: aggregates.aggregate_grid(session, cell_m=args.cell, srid=srid)),
                         timed(lambda: session.execute(text(RAW_GRID), params).all())))
            rows.append((f"hotspots Gi* ({args.cell:g} m, 1 year vs previous)",
                         timed(lambda: aggregates.compute_hotspots(session, cell_m=args.cell, period=period,
                                                                   srid=srid)),
                         timed(lambda: (raw_hotspots(session, cell=args.cell, srid=srid, start=period.start,
                                                     end=period.end),
                                        raw_hotspots(session, cell=args.cell, srid=srid,
                                                     start=period.previous.start, end=period.start)))))
            cells = len(aggregates.compute_hotspots(session, cell_m=args.cell, period=period, srid=srid))

            print(f"\nmedian seconds, {total:,} complaints, EPSG:{srid}, hotspot grid {cells:,} cells")
            print(f"{'query':48} {'ecogrid':>9} {'raw SQL':>9} {'ratio':>6}")
            for name, ours, raw in rows:
                print(f"{name:48} {ours:9.3f} {raw:9.3f} {ours / raw:6.2f}")
            tiles = bench_tiles(url, session, args.tipg if (args.tipg / "bin" / "uvicorn").exists() else None)
            print(f"\n{'tile':48} {'ecogrid':>9} {'tipg':>9} {'ratio':>6} {'bytes':>9}")
        for name, ours, theirs, size in tiles:
            their_text = f"{theirs:9.3f} {ours / theirs:6.2f}" if theirs else f"{'-':>9} {'-':>6}"
            print(f"{name:48} {ours:9.3f} {their_text} {size:9,}")
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
