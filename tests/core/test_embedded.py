"""The private cluster survives what happens to real machines: kill -9, concurrent starts, moves."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from ecogrid.core.embedded import EmbeddedCluster


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="ecogrid-emb-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    for candidate in (path, path.with_name(path.name + "-moved")):
        if (candidate / "pgdata").exists():
            EmbeddedCluster(candidate).stop()
        shutil.rmtree(candidate, ignore_errors=True)


def _select_one(url: str) -> int:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_first_start_initialises_a_cluster_with_postgis(data_dir):
    cluster = EmbeddedCluster(data_dir)
    url = cluster.ensure_running()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3.")
    assert oct((data_dir / "pg-password").stat().st_mode)[-3:] == "600"


def test_restart_after_kill_9_with_a_stale_pid_file(data_dir):
    cluster = EmbeddedCluster(data_dir)
    cluster.ensure_running()
    pid = cluster.status().pid
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.05)
    assert (data_dir / "pgdata" / "postmaster.pid").exists()
    assert not cluster.status().running
    url = cluster.ensure_running()
    assert _select_one(url) == 1
    assert cluster.status().pid != pid


def test_a_pid_file_naming_an_unrelated_process_is_treated_as_stale(data_dir):
    cluster = EmbeddedCluster(data_dir)
    cluster.ensure_running()
    cluster.stop()
    # After a crash and a reboot the old PID can belong to anything, e.g. this test process.
    (data_dir / "pgdata" / "postmaster.pid").write_text(f"{os.getpid()}\n{data_dir}\n0\n5432\n")
    assert not cluster.status().running
    assert _select_one(cluster.ensure_running()) == 1


def test_two_processes_starting_at_once_share_one_cluster(data_dir):
    code = (
        "import sys; from pathlib import Path; from ecogrid.core.embedded import EmbeddedCluster;"
        "print(EmbeddedCluster(Path(sys.argv[1])).ensure_running())"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    urls = {out.strip() for out, _ in outs}
    assert len(urls) == 1, "both processes must reach the same server"
    assert _select_one(urls.pop()) == 1


def test_a_moved_data_folder_starts_where_it_now_is(data_dir):
    cluster = EmbeddedCluster(data_dir)
    url = cluster.ensure_running()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
    cluster.stop()
    moved = data_dir.with_name(data_dir.name + "-moved")
    shutil.move(data_dir, moved)
    url = EmbeddedCluster(moved).ensure_running()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone()[0] == 42
