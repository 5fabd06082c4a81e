"""Exports and OGC API pages at scale: ecogrid beside the same work done directly, in one run.

    PYTHONPATH=. .venv/bin/python bench/exports.py [--complaints 100000] [--page 1000]

Creates a private PostGIS cluster in a temporary folder (or uses DATABASE_URL, a scratch database),
migrates it, loads the demo city and COPYs synthetic complaints (bench/heatmap.py's loader). Then,
each the median of three runs after a warm-up:
- the complaints GeoPackage through ecogrid (``exports.export_layer``) beside ``ogr2ogr -f GPKG`` reading
  the same columns straight from PostgreSQL (GDAL's own writer, no Python in between);
- the complaints CSV through ecogrid beside ``COPY (SELECT ...) TO STDOUT CSV`` of the same columns;
- one OGC API items page (``features.page``, counted) beside one hand-written
  ``ST_AsGeoJSON`` query of the same page and a ``count(*)``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from heatmap import load_complaints, timed  # noqa: E402

from ecogrid import demo  # noqa: E402
from ecogrid.core import migrate  # noqa: E402
from ecogrid.core.settings import Settings  # noqa: E402
from ecogrid.ogc import exports, features  # noqa: E402
from ecogrid.ogc import layers as ogc_layers  # noqa: E402

DIRECT_COLUMNS = """c.id, c.category, c.kind, c.channel, c.urgency, c.received_at, c.description, c.address,
    z.code AS zone, c.case_id, k.status, c.is_repeat AS repeat, c.out_of_jurisdiction"""
DIRECT_FROM = """FROM complaints c LEFT JOIN zones z ON z.id = c.zone_id LEFT JOIN cases k ON k.id = c.case_id"""


def _pg_dsn(url: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port} dbname={u.database} user={u.username} password={u.password}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    cluster, data_dir = None, None
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ecogrid.core.embedded import EmbeddedCluster

        data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-", dir="/tmp"))
        os.chmod(data_dir, 0o755)
        cluster = EmbeddedCluster(data_dir, extra_options=("-c fsync=off", "-c synchronous_commit=off",
                                                           "-c full_page_writes=off"))
        cluster.ensure_running()
        url = cluster.url()
    out_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-out-"))
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        factory = sessionmaker(bind=engine)
        with factory() as session:
            demo.generate(session, complaints=500, password="bench-pass-1")
            session.commit()
        load_complaints(engine, args.complaints)
        with factory() as session:
            total = session.execute(text("SELECT count(*) FROM complaints")).scalar_one()
        print(f"{total:,} complaints")
        settings = Settings(secret_key="bench-" * 8, database_url=url, export_max_rows=max(total, 1))
        layer = ogc_layers.get("complaints")
        viewer = exports.Viewer(role="planner", user_id=None, name="bench")
        rows = []
        with factory() as session:
            for file_format in ("gpkg", "csv"):
                def ours(fmt=file_format) -> None:
                    result = exports.export_layer(session, layer, file_format=fmt, viewer=viewer,
                                                  query=features.FeatureQuery(), settings=settings)
                    (out_dir / f"ours.{fmt}").write_bytes(result.body)
                rows.append((f"complaints .{file_format} ({total:,} rows)", timed(ours)))

            def direct_gpkg() -> None:
                target = out_dir / "direct.gpkg"
                target.unlink(missing_ok=True)
                subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), f"PG:{_pg_dsn(url)}", "-nln", "complaints",
                                "-sql", f"SELECT {DIRECT_COLUMNS}, c.geom {DIRECT_FROM} ORDER BY c.id"], check=True)

            def direct_csv() -> None:
                raw = engine.raw_connection()
                try:
                    with raw.cursor() as cur, (out_dir / "direct.csv").open("wb") as sink:
                        with cur.copy(f"COPY (SELECT {DIRECT_COLUMNS}, ST_X(c.geom), ST_Y(c.geom) {DIRECT_FROM} "
                                      "ORDER BY c.id) TO STDOUT WITH CSV HEADER") as copy:
                            for block in copy:
                                sink.write(block)
                finally:
                    raw.close()

            direct = {"gpkg": timed(direct_gpkg) if shutil.which("ogr2ogr") else None, "csv": timed(direct_csv)}

            def ours_page() -> None:
                features.page(session, layer, features.FeatureQuery(limit=args.page), settings=settings)

            def direct_page() -> None:
                session.execute(text(f"SELECT c.id, ST_AsGeoJSON(c.geom, 7), {DIRECT_COLUMNS} {DIRECT_FROM} "
                                     "ORDER BY c.id LIMIT :n"), {"n": args.page}).all()
                session.execute(text("SELECT count(*) FROM complaints")).scalar_one()

            page_ours, page_direct = timed(ours_page), timed(direct_page)
        print(f"{'work':<40} {'ecogrid s':>10} {'direct s':>10} {'ratio':>7}")
        for (name, ours_s), fmt in zip(rows, ("gpkg", "csv"), strict=True):
            base = direct[fmt]
            print(f"{name:<40} {ours_s:>10.2f} {base if base is not None else float('nan'):>10.2f} "
                  f"{(ours_s / base) if base else float('nan'):>7.2f}")
        print(f"{'OGC items page of ' + str(args.page):<40} {page_ours:>10.3f} {page_direct:>10.3f} "
              f"{page_ours / page_direct:>7.2f}")
        return 0
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
