"""Structured logs: JSON lines from a real server, the request id end to end, nothing personal or secret in them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ecogrid.core import request_context
from ecogrid.core.database import Database
from ecogrid.core.log_redaction import redact
from ecogrid.operations.logs import network_of
from tests.security.test_access_log_redaction import _free_port, _wait_until_listening

ROOT = Path(__file__).resolve().parents[2]


def test_a_plain_request_id_is_kept_and_returned(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "hotline-7f3a.2"})
    assert resp.headers["x-request-id"] == "hotline-7f3a.2"


@pytest.mark.parametrize("given", [None, "", "a" * 65, "id with spaces", "id\u4e2d", "x;DROP"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    headers = {} if given is None else {"X-Request-ID": given.encode("utf-8")}
    resp = client.get("/healthz", headers=headers)
    returned = resp.headers["x-request-id"]
    assert returned != given and len(returned) == 32 and returned.isalnum()


def test_the_request_id_is_the_database_sessions_application_name(engine):
    database = Database(engine, __import__("sqlalchemy.orm", fromlist=["sessionmaker"]).sessionmaker(engine))
    token = request_context.set_request_id("req-42")
    try:
        with database.request_session(statement_timeout_ms=1000) as session:
            assert session.scalar(text("SELECT current_setting('application_name')")) == "ecogrid req-42"
            session.rollback()
    finally:
        request_context.reset_request_id(token)
    # Outside a request, and on the same pooled connection afterwards, nothing is left behind.
    with database.request_session(statement_timeout_ms=1000) as session:
        assert session.scalar(text("SELECT current_setting('application_name')")) != "ecogrid req-42"


def test_redaction_hides_personal_data_and_credentials_anywhere_in_a_line():
    line = ("complaint from 张伟 13800138000 (+86 139-1234-5678), id 110105199003074518, zhang.wei@example.cn; "
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl key egk_abcdefgh1234")
    out = redact(line)
    for leaked in ("13800138000", "139-1234-5678", "110105199003074518", "zhang.wei@example.cn", "eyJhbGci",
                   "egk_abcdefgh1234"):
        assert leaked not in out
    assert "[phone]" in out and "[id-number]" in out and "[email]" in out and "Bearer [redacted]" in out
    assert redact("/api/v1/complaints?phone=13800138000&complainant_name=%E5%BC%A0&page=2") == \
        "/api/v1/complaints?phone=[redacted]&complainant_name=[redacted]&page=2"
    # Ordinary numbers are not phone numbers: ids, epoch milliseconds, case numbers.
    assert redact("case 20261201000123 took 1733112345678 ms, photo 42") == \
        "case 20261201000123 took 1733112345678 ms, photo 42"


def test_client_addresses_are_cut_to_their_network():
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert network_of("not-an-address") == "-"


def test_a_real_server_writes_json_lines_with_the_request_id_and_nothing_personal(cluster, tmp_path):
    from tests.databases import scratch_database

    with scratch_database(cluster, "jsonlog") as url:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOGRID_")}
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, ECOGRID_DATA_DIR=str(tmp_path / "var"),
                   ECOGRID_LOG_FORMAT="json")
        log_path = tmp_path / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.factory:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "info"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_until_listening(port, server)
                base = f"http://127.0.0.1:{port}"
                httpx.post(f"{base}/ecogrid/migrate-first")  # any request; the schema is not needed
                resp = httpx.get(f"{base}/api/v1/photos/7", params={"phone": "13800138000", "token": "s3cr3t-tok"},
                                 headers={"X-Request-ID": "trace-abc-123"})
                assert resp.headers["x-request-id"] == "trace-abc-123"
            finally:
                server.terminate()
                server.wait(timeout=30)
        lines = [line for line in log_path.read_text().splitlines() if line.strip()]

    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [e for e in entries if e.get("path", "").startswith("/api/v1/photos/7")]
    assert len(access) == 1, entries
    assert access[0]["request_id"] == "trace-abc-123"
    assert access[0]["status"] == 401 and access[0]["method"] == "GET"
    assert access[0]["client"] == "127.0.0.0/24"
    assert access[0]["time"].endswith("+08:00")
    written = log_path.read_text()
    for leaked in ("13800138000", "s3cr3t-tok"):
        assert leaked not in written
    # The listening address is logged at start-up; a client's full address never is.
    assert all("127.0.0.1" not in json.dumps(e) for e in entries if e["logger"] == "uvicorn.access")


def test_test_client_requests_count_too(client):
    # The request id middleware sits outside the metrics: a 404 carries an id as well.
    assert client.get("/no/such/route").headers["x-request-id"]


def test_application_name_of_an_overlong_id_is_cut_to_what_postgresql_keeps():
    assert len(request_context.application_name("a" * 64).encode()) <= 63


def test_the_client_sees_the_id_on_errors(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/photos/1", headers={"X-Request-ID": "err-1"}).headers["x-request-id"] == "err-1"
