"""Open311 GET requests at its largest answer (1,000 requests): the service beside the bare query, and the
XML document beside the JSON one, over HTTP on 127.0.0.1.

    PYTHONPATH=. python bench/open311.py [--complaints 20000] [--runs 7]

Creates a private PostGIS cluster in a temporary folder (or uses DATABASE_URL, which must be a scratch
database), migrates it, loads one district and the complaints through the CSV import, then times, as the
median of several runs after one warm-up: the SQL alone, ``list_requests`` (the SQL and the models),
and GET requests.json / requests.xml through a uvicorn server.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.factory import create_app  # noqa: E402
from ecogrid.complaints import bulk_import, import_mapping  # noqa: E402
from ecogrid.complaints import open311 as open311_service  # noqa: E402
from ecogrid.core import migrate  # noqa: E402
from ecogrid.core.database import Database, normalise_url  # noqa: E402
from ecogrid.core.embedded import EmbeddedCluster  # noqa: E402
from ecogrid.core.settings import Settings  # noqa: E402
from ecogrid.core.time import BEIJING  # noqa: E402
from ecogrid.zones import service as zone_service  # noqa: E402

X0, Y0, X1, Y1 = 120.30, 36.05, 120.434, 36.14
CATEGORIES = ["odour", "dust", "noise_social", "noise_construction", "wastewater", "solid_waste"]


def load(database: Database, complaints: int, folder: Path) -> None:
    square = [[X0, Y0], [X1, Y0], [X1, Y1], [X0, Y1], [X0, Y0]]
    with database.sessionmaker() as session:
        zone_service.import_zones(session, collection={"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "BENCH", "name": "基准区"},
             "geometry": {"type": "Polygon", "coordinates": [square]}}]},
            level="district", code_field="code", name_field="name")
        session.commit()
    path = folder / "complaints.csv"
    start = datetime.now(BEIJING) - timedelta(days=80)
    step = timedelta(days=80) / complaints
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_ref", "channel", "kind", "category", "description", "received_at", "lon", "lat"])
        for i in range(complaints):
            writer.writerow([f"B{i}", "hotline_12345", "complaint", CATEGORIES[i % len(CATEGORIES)],
                             f"第{i}件 <投诉> & 描述", (start + step * i).isoformat(),
                             f"{X0 + (X1 - X0) * ((i * 7919) % 1000) / 1000:.6f}",
                             f"{Y0 + (Y1 - Y0) * ((i * 104729) % 1000) / 1000:.6f}"])
    with database.sessionmaker() as session:
        bulk_import.import_file(session, source=path, mapping=import_mapping.ImportMapping())
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()


def median(runs: int, work: Callable[[], object]) -> float:
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def serve(database: Database, settings: Settings) -> tuple[str, Callable[[], None]]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ecogrid-bench-open311-"))
    cluster = None
    try:
        url = os.environ.get("DATABASE_URL")
        if not url:
            cluster = EmbeddedCluster(folder / "pg", extra_options=("-c fsync=off", "-c synchronous_commit=off"))
            url = cluster.ensure_running()
        database = Database.from_url(normalise_url(url))
        migrate.upgrade(database.engine)
        load(database, args.complaints, folder)
        sql = open311_service._REQUESTS_SQL
        params = {"ids": None, "codes": None, "finished_wanted": None, "finished": ["closed", "rejected"],
                  "limit": open311_service.MAX_REQUESTS}
        params["start"], params["end"] = open311_service.window(None, None)
        with database.sessionmaker() as session:
            bare = median(args.runs, lambda: session.execute(text(sql), params).all())
            ours = median(args.runs, lambda: open311_service.list_requests(session))
            found = len(open311_service.list_requests(session))
        base, stop = serve(database, Settings(database_url=url, data_dir=folder / "var"))
        try:
            with httpx.Client(timeout=60) as client:
                as_json = median(args.runs, lambda: client.get(f"{base}/open311/v2/requests.json").content)
                as_xml = median(args.runs, lambda: client.get(f"{base}/open311/v2/requests.xml").content)
                sizes = [len(client.get(f"{base}/open311/v2/requests.{f}").content) for f in ("json", "xml")]
        finally:
            stop()
        print(f"GET requests, {found} of {args.complaints} complaints (median of {args.runs}):")
        print(f"  SQL alone {bare * 1000:.1f} ms; list_requests {ours * 1000:.1f} ms ({ours / bare:.2f}x the SQL)")
        print(f"  HTTP requests.json {as_json * 1000:.1f} ms ({sizes[0] / 1024:.0f} KiB), requests.xml "
              f"{as_xml * 1000:.1f} ms ({sizes[1] / 1024:.0f} KiB): XML/JSON {as_xml / as_json:.2f}x")
        database.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
