"""Helpers for tests of query bounds and database outages: a private cluster of the test's own,
a real uvicorn process, and a lock that makes any read of a table wait."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from ecogrid.core.embedded import EmbeddedCluster

ROOT = Path(__file__).resolve().parents[1]


def plain(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def own_cluster(*options: str) -> Iterator[EmbeddedCluster]:
    """A private cluster in a fresh folder, stopped and removed afterwards (never the shared one)."""
    path = Path(tempfile.mkdtemp(prefix="ecogrid-outage-", dir="/tmp"))
    os.chmod(path, 0o755)
    cluster = EmbeddedCluster(path, extra_options=options)
    try:
        cluster.ensure_running()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(path, ignore_errors=True)


def kill_postgres(cluster: EmbeddedCluster) -> None:
    """kill -9 of the postmaster; its backends notice and exit on their own."""
    pid = cluster.status().pid
    assert pid is not None, "the cluster is not running"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    """``uvicorn api.factory:create_app --factory`` as its own process, on the embedded cluster of ``data_dir``."""

    def __init__(self, *, data_dir: Path, secret_key: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ECOGRID_")}
        env.update(ECOGRID_DATA_DIR=str(data_dir), ECOGRID_SECRET_KEY=secret_key, PYTHONPATH=str(ROOT))
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.factory:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=str(ROOT), env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Importing the app (PySAL, numpy) takes half a minute on a busy two-core machine.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("uvicorn did not become healthy")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    """Hold ACCESS EXCLUSIVE on ``table``: every statement reading it waits until the block ends."""
    with psycopg.connect(plain(url)) as conn:
        conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        try:
            yield
        finally:
            conn.rollback()


def waiting_on_locks(url: str, *, table: str) -> list[str]:
    """Statements of other sessions of this database now waiting for a lock and naming ``table``."""
    with psycopg.connect(plain(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'active' AND wait_event_type = 'Lock' AND query ILIKE %s", (f"%{table}%",)).fetchall()
    return [r[0] for r in rows]


def wait_until(predicate, *, timeout: float, step: float = 0.05) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
