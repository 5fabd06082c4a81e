"""The case history and the audit log refuse TRUNCATE as they refuse UPDATE and DELETE; the intake
benchmark, which empties its scratch database between repeats, still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("table", ["case_events", "audit_log"])
def test_truncate_of_a_history_is_refused(db, table):
    with pytest.raises(DBAPIError, match=f"{table} is append-only: TRUNCATE refused"), db.begin_nested():
        # CASCADE, so that the tables referring to it (receipts of phone actions) do not refuse first.
        db.execute(text(f"TRUNCATE {table} CASCADE"))


def test_the_intake_benchmark_repeats_on_its_scratch_database(cluster):
    with scratch_database(cluster, "bench") as url:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, "bench/intake.py", "--points", "200", "--rows", "300",
                               "--repeat", "2", "--cell", "2000", "--xlsx-rows", "0"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Both imports ran twice into tables emptied between runs (TRUNCATE would be refused).
    assert proc.stdout.count("CSV import, 300 rows, ") == 2 and "(best of 2)" in proc.stdout
