"""``ecogrid serve --workers N``: migrations once, N worker processes answering, pools that fit the server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from ecogrid.core.database import RESERVED_CONNECTIONS, pool_per_worker
from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_pools_of_all_workers_fit_under_max_connections():
    for max_connections, workers in [(100, 1), (100, 2), (100, 8), (100, 64), (20, 4), (15, 16)]:
        size, overflow = pool_per_worker(max_connections, workers)
        assert size >= 1 and overflow >= 0
        if max_connections - RESERVED_CONNECTIONS >= workers:
            assert (size + overflow) * workers <= max_connections - RESERVED_CONNECTIONS


def test_two_workers_serve_the_migrated_database(cluster, tmp_path):
    with scratch_database(cluster, "workers") as url:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOGRID_")}
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, ECOGRID_DATA_DIR=str(tmp_path / "var"))
        log_path = tmp_path / "serve.log"
        with log_path.open("w") as log:
            server = subprocess.Popen([sys.executable, "-m", "ecogrid.cli", "serve", "--workers", "2",
                                       "--port", str(port)], cwd=tmp_path, env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 300  # a busy machine imports slowly
                while True:
                    try:
                        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                        if health.status_code == 200 and len(_children(server.pid)) >= 2:
                            break
                    except httpx.HTTPError:
                        pass
                    assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.3)
                answers = {httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["schema"]
                           for _ in range(20)}
                workers = _children(server.pid)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        engine = create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
        engine.dispose()
    written = log_path.read_text()
    assert len([w for w in workers if w != server.pid]) >= 2  # a supervisor and its two workers
    assert len(answers) == 1 and versions == 1  # one schema, migrated once before the workers started
    assert "2 workers, each with" in written
