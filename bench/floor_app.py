"""The floor for ``bench/api.py``: the thinnest FastAPI + psycopg app reading what ``GET /api/v1/cases/{id}``
reads (the case row, its history and its complaints, with the location as GeoJSON) from the same database.

No sign-in, no masking, no audit row, no rules: whatever ecogrid spends above this is its own cost.
Run by the bench as ``uvicorn bench.floor_app:app`` with ``FLOOR_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, HTTPException
from psycopg.rows import dict_row

app = FastAPI()
_pool: queue.LifoQueue[psycopg.Connection[dict[str, Any]]] = queue.LifoQueue()
POOL_SIZE = 10

CASE_SQL = """SELECT id, kind, category, status, urgency, channel, zone_id, opened_at, due_at, accepted_at,
                     closed_at, assigned_to_id, repeat_count, handling_count, satisfaction,
                     ST_AsGeoJSON(geom)::json AS location
              FROM cases WHERE id = %s"""
EVENTS_SQL = """SELECT id, at, actor_id, action, from_status, to_status, note, data
                FROM case_events WHERE case_id = %s ORDER BY at, id"""
COMPLAINTS_SQL = """SELECT id, channel, kind, category, description, received_at, external_ref, address, is_repeat
                    FROM complaints WHERE case_id = %s ORDER BY id"""


@contextmanager
def connection() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    try:
        conn = _pool.get_nowait()
    except queue.Empty:
        conn = psycopg.connect(os.environ["FLOOR_DATABASE_URL"], row_factory=dict_row, autocommit=True)
    try:
        yield conn
    finally:
        if _pool.qsize() < POOL_SIZE:
            _pool.put(conn)
        else:
            conn.close()


@app.get("/cases/{case_id}")
def read_case(case_id: int) -> dict[str, Any]:
    with connection() as conn:
        case = conn.execute(CASE_SQL, (case_id,)).fetchone()
        if case is None:
            raise HTTPException(404)
        case["history"] = conn.execute(EVENTS_SQL, (case_id,)).fetchall()
        case["complaints"] = conn.execute(COMPLAINTS_SQL, (case_id,)).fetchall()
    return case
