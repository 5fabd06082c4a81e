"""Oversized input is refused before it costs: request bodies over their route's cap get a prompt
413 without being read, and zone files with too many vertices a 422 before any geometry is built."""

from __future__ import annotations

import json
import math
import socket
import time

import pytest
from sqlalchemy import func, select

from ecogrid.core.models import Zone

MB = 1024 * 1024


def _ring(vertices: int, lon: float = 120.38, lat: float = 36.06, radius: float = 0.01) -> list[list[float]]:
    points = [[round(lon + radius * math.cos(2 * math.pi * i / vertices), 7),
               round(lat + radius * math.sin(2 * math.pi * i / vertices), 7)] for i in range(vertices)]
    return [*points, points[0]]


def _collection(*rings: list[list[float]]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": f"BIG-{i}", "name": f"Big {i}"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}} for i, ring in enumerate(rings)]}


def _import(client, headers, collection: dict):
    return client.post("/api/v1/zones/import?level=district&code_field=code&name_field=name",
                       headers={**headers, "Content-Type": "application/json"}, content=json.dumps(collection))


def test_a_zone_of_a_million_vertices_is_refused_naming_the_feature(client, db, auth) -> None:
    collection = _collection(_ring(1_000_000))
    resp = _import(client, auth("chief"), collection)
    assert resp.status_code == 422, resp.text[:300]
    detail = resp.json()["detail"][0]
    assert detail["loc"] == ["body", "features"]
    assert "feature 0 (code=BIG-0)" in detail["msg"] and "max_zone_vertices" in detail["msg"]
    assert db.scalar(select(func.count()).select_from(Zone).where(Zone.code.like("BIG-%"))) == 0


def test_a_file_over_the_vertex_total_is_refused_before_anything_is_stored(client, db, auth, settings) -> None:
    settings.max_zone_vertices = 1_000
    settings.max_import_vertices = 2_500
    collection = _collection(*[_ring(900, lon=120.3 + 0.05 * i) for i in range(3)])
    resp = _import(client, auth("chief"), collection)
    assert resp.status_code == 422
    assert "max_import_vertices" in resp.json()["detail"][0]["msg"]
    assert db.scalar(select(func.count()).select_from(Zone).where(Zone.code.like("BIG-%"))) == 0

    settings.max_import_vertices = 3_000
    assert _import(client, auth("chief"), collection).status_code == 200


def test_an_import_over_the_small_body_cap_but_under_the_import_cap_reaches_the_import(client, auth) -> None:
    collection = _collection(_ring(100_001))
    assert len(json.dumps(collection)) > 2 * MB
    resp = _import(client, auth("chief"), collection)
    assert resp.status_code == 422
    assert "100,002 vertices" in resp.json()["detail"][0]["msg"]


def test_a_json_body_over_the_cap_is_refused_413(client, auth) -> None:
    resp = client.post("/api/v1/complaints", headers={**auth("clerk"), "Content-Type": "application/json"},
                       content=b'{"description": "' + b"x" * (2 * MB) + b'"}')
    assert resp.status_code == 413
    assert "max_body_bytes" in resp.json()["detail"][0]["msg"]


# --- a real server: what it reads off the wire ------------------------------------------------


def _open(live_server) -> socket.socket:
    host, port = live_server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest


@pytest.mark.parametrize(("path", "setting"), [
    ("/api/v1/inspections/1/photos", "max_upload_bytes"),
    ("/api/v1/zones/import?level=district&code_field=code&name_field=name", "import_max_bytes"),
    ("/api/v1/complaints/import", "import_mapping_max_bytes"),
    ("/api/v1/inspections", "max_body_bytes"),
])
def test_a_declared_length_over_the_cap_is_refused_at_once_unread(live_server, path, setting) -> None:
    with _open(live_server) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {200 * MB}\r\n\r\n".encode() + b"x" * 1024)
        started = time.monotonic()
        status, body = _read_answer(sock)
    assert status == 413
    detail = json.loads(body)["detail"][0]
    assert setting in detail["msg"]
    assert detail["loc"] == (["body", "file"] if path.endswith(("/photos", "/complaints/import")) else ["body"])
    assert time.monotonic() - started < 5


def test_a_chunked_body_is_cut_off_at_the_cap(live_server) -> None:
    chunk = b"x" * 65536
    with _open(live_server) as sock:
        sock.sendall(b"POST /api/v1/inspections HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        # 1.25 MB, past the 1 MB cap, and the body never ends: only a server that counts answers.
        for _ in range(20):
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        started = time.monotonic()
        status, body = _read_answer(sock)
    assert status == 413
    assert "max_body_bytes" in json.loads(body)["detail"][0]["msg"]
    assert time.monotonic() - started < 5
