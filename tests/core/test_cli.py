"""The ``ecogrid`` command as an operator runs it, against a scratch database in the test cluster."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from tests.databases import scratch_database


@pytest.fixture(scope="module")
def scratch_url(cluster):
    with scratch_database(cluster, "cli") as url:
        yield url


def run(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "ecogrid.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_users_create_reads_the_password_from_stdin_and_it_signs_in(scratch_url):
    proc = run(scratch_url, "users", "create", "zhang", "--role", "chief", stdin="a-good-password\n")
    assert proc.returncode == 0, proc.stderr
    assert "created user zhang (chief)" in proc.stdout
    with psycopg.connect(scratch_url.replace("+psycopg", "")) as conn:
        role, pw_hash = conn.execute("SELECT role, password_hash FROM users WHERE username = 'zhang'").fetchone()
    assert role == "chief" and pw_hash.startswith("$argon2")


def test_users_create_refuses_a_short_password_with_a_clear_error(scratch_url):
    proc = run(scratch_url, "users", "create", "li", "--role", "clerk", stdin="short\n")
    assert proc.returncode != 0
    assert "password must have at least" in proc.stderr


def test_users_create_refuses_an_unknown_role(scratch_url):
    proc = run(scratch_url, "users", "create", "li", "--role", "boss", stdin="a-good-password\n")
    assert proc.returncode != 0
    assert "boss" in proc.stderr


def test_apikeys_create_prints_the_key_as_its_last_word(scratch_url):
    proc = run(scratch_url, "apikeys", "create", "hotline-12345")
    assert proc.returncode == 0, proc.stderr
    key = proc.stdout.split()[-1]
    assert key.startswith("egk_") and len(key) > 30
    with psycopg.connect(scratch_url.replace("+psycopg", "")) as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys WHERE name = 'hotline-12345'").fetchone()[0]
    assert key not in stored  # only a hash is kept


def test_migrate_reports_the_head_revision(scratch_url):
    from ecogrid.core.migrate import head_revision

    proc = run(scratch_url, "migrate")
    assert proc.returncode == 0, proc.stderr
    assert f"schema at {head_revision()}" in proc.stdout


def test_zones_import_of_a_real_datav_file_then_a_grid_inside_one_district(scratch_url):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "420200_full.json"
    proc = run(scratch_url, "zones", "import", str(data), "--level", "district", "--code-field", "adcode",
               "--name-field", "name", "--crs", "gcj02")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("created 6")
    again = run(scratch_url, "zones", "import", str(data), "--level", "district", "--code-field", "adcode",
                "--name-field", "name", "--crs", "gcj02")
    assert "created 0, updated 6" in again.stdout
    with psycopg.connect(scratch_url.replace("+psycopg", "")) as conn:
        smallest = conn.execute(
            "SELECT code FROM zones WHERE level = 'district' ORDER BY ST_Area(geom::geography) LIMIT 1").fetchone()[0]
    grid = run(scratch_url, "zones", "grid", "--parent", smallest, "--size", "1000")
    assert grid.returncode == 0, grid.stderr
    with psycopg.connect(scratch_url.replace("+psycopg", "")) as conn:
        cells = conn.execute("SELECT count(*) FROM zones WHERE level = 'cell'").fetchone()[0]
    assert cells > 10


def test_a_domain_error_is_a_clear_cli_error_and_writes_nothing(scratch_url):
    proc = run(scratch_url, "zones", "grid", "--parent", "no-such-zone", "--size", "100")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "no-such-zone" in proc.stderr
