"""The access log of a real server keeps no credentials that came in the query string."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ecogrid.accounts import service as user_service
from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.log_redaction import redact
from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_listening(port: int, server: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def test_query_string_secrets_do_not_reach_the_access_log(cluster, tmp_path):
    with scratch_database(cluster, "accesslog") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            _, key = user_service.create_api_key(session, name="hotline-log", role="clerk")
            session.commit()
        database.dispose()

        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOGRID_")}
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, ECOGRID_DATA_DIR=str(tmp_path / "var"))
        log_path = tmp_path / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.factory:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "info"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_until_listening(port, server)
                base = f"http://127.0.0.1:{port}"
                me = httpx.get(f"{base}/api/v1/auth/me", params={"api_key": key, "page": "1"})
                assert me.status_code == 200 and me.json()["name"] == "apikey:hotline-log"
                httpx.get(f"{base}/maps/heatmap", params={"token": "eyJhbGciOiJIUzI1NiJ9.leaked.sig", "lang": "en"})
                httpx.get(f"{base}/api/v1/auth/me?access_token=leaked-access&password=leaked-pass")
            finally:
                server.terminate()
                server.wait(timeout=30)
        written = log_path.read_text()

    assert "GET /api/v1/auth/me?api_key=[redacted]&page=1" in written  # the access log is on and redacted
    for secret in (key, "leaked.sig", "leaked-access", "leaked-pass"):
        assert secret not in written


def test_redaction_reads_names_as_the_server_does():
    assert redact("/open311?API%5Fkey=egk_x&service=1") == "/open311?API%5Fkey=[redacted]&service=1"
    assert redact("/maps/heatmap?lang=en") == "/maps/heatmap?lang=en"
