"""The private PostgreSQL + PostGIS cluster that ecogrid owns when no DATABASE_URL is given.

Layout of the data folder::

    <data_dir>/pgdata/          the cluster (owned by the service user, mode 0700)
    <data_dir>/run/             the Unix socket and the server log
    <data_dir>/pg-password      the superuser password (0600)
    <data_dir>/cluster.lock     serialises initdb/start between ecogrid processes

Nothing path-dependent is written into postgresql.conf: the socket folder, port and listen
address are given on the command line at every start, so the data folder can be moved.
PostgreSQL refuses to run as root, so when ecogrid runs as root the server runs as an
unprivileged system user (``postgres`` by default, created when missing).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

logger = logging.getLogger(__name__)

DATABASE = "ecogrid"
# Temporary files one query may write: a runaway sort or hash join fails instead of filling the disk.
DEFAULT_TEMP_FILE_LIMIT = "1GB"
_SIZE = re.compile(r"-1|[0-9]+ ?(kB|MB|GB|TB)?")
SUPERUSER = "ecogrid"
# A Unix socket path longer than this is refused by the kernel (108 bytes with the NUL).
MAX_SOCKET_PATH = 100


class EmbeddedError(RuntimeError):
    """The private cluster could not be set up or started; the message says what to do."""


@dataclass(frozen=True)
class ClusterStatus:
    initialised: bool
    running: bool
    pid: int | None
    port: int | None
    data_dir: Path


def find_bin_dir(preferred: Path | None = None) -> Path:
    """The folder holding initdb/pg_ctl, preferring the newest major that has PostGIS installed."""
    if preferred:
        return preferred
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for cand in candidates:
        major = Path(cand).parent.name
        if glob.glob(f"/usr/share/postgresql/{major}/extension/postgis.control"):
            return Path(cand)
    if candidates:
        return Path(candidates[0])
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise EmbeddedError(
        "PostgreSQL server binaries not found; install postgresql and postgresql-15-postgis-3 "
        "(make run does this) or set DATABASE_URL"
    )


class EmbeddedCluster:
    def __init__(self, data_dir: Path, *, bin_dir: Path | None = None, service_user: str = "postgres",
                 extra_options: tuple[str, ...] = (), temp_file_limit: str = DEFAULT_TEMP_FILE_LIMIT) -> None:
        if not _SIZE.fullmatch(temp_file_limit):
            raise EmbeddedError(f"temp_file_limit must be a size such as 1GB or 500MB, or -1; got {temp_file_limit!r}")
        self.data_dir = Path(data_dir).absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.run_dir = self.data_dir / "run"
        self.password_file = self.data_dir / "pg-password"
        self.lock_file = self.data_dir / "cluster.lock"
        self.log_file = self.run_dir / "postgres.log"
        self._bin_dir = bin_dir
        self.service_user = service_user
        self.extra_options = extra_options
        self.temp_file_limit = temp_file_limit.replace(" ", "")

    # -- public -----------------------------------------------------------------------------

    def ensure_running(self) -> str:
        """Initialise and start the cluster if needed; return a SQLAlchemy URL to its database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            if not self.initialised:
                self._initdb()
            if not self._running_pid():
                self._start()
            self._ensure_database()
        return self.url()

    def stop(self) -> bool:
        with self._locked():
            if not self._running_pid():
                return False
            self._run([self._bin("pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w"])
            return True

    def status(self) -> ClusterStatus:
        pid = self._running_pid() if self.initialised else None
        return ClusterStatus(self.initialised, pid is not None, pid, self._port() if pid else None,
                             self.data_dir)

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def url(self, database: str = DATABASE) -> str:
        port = self._port()
        if port is None:
            raise EmbeddedError(f"the cluster in {self.data_dir} is not running (ecogrid db start)")
        password = self.password_file.read_text().strip()
        return f"postgresql+psycopg://{SUPERUSER}:{password}@127.0.0.1:{port}/{database}"

    def current_port(self) -> int | None:
        """The port of the running server (it changes at every start), or None when it is not running."""
        return self._port() if self._running_pid() else None

    def libpq_env(self) -> dict[str, str]:
        """Environment for psql and other libpq tools."""
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self._port()), "PGUSER": SUPERUSER,
                "PGPASSWORD": self.password_file.read_text().strip(), "PGDATABASE": DATABASE}

    # -- internals ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # An OS lock dies with its process, so a killed ecogrid never leaves the folder locked.
        with open(self.lock_file, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _bin(self, name: str) -> str:
        return str(find_bin_dir(self._bin_dir) / name)

    def _as_service_user(self) -> bool:
        return os.geteuid() == 0

    def _service_ids(self) -> tuple[int, int]:
        try:
            entry = pwd.getpwnam(self.service_user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            self.service_user], check=True, capture_output=True)
            entry = pwd.getpwnam(self.service_user)
        return entry.pw_uid, entry.pw_gid

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {"capture_output": True, "text": True, "cwd": str(self.data_dir)}
        if self._as_service_user():
            uid, gid = self._service_ids()
            kwargs.update(user=uid, group=gid, extra_groups=[])
        proc = subprocess.run(args, **kwargs)
        if check and proc.returncode != 0:
            raise EmbeddedError(f"{Path(args[0]).name} failed ({proc.returncode}): "
                                f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
        return proc

    def _own(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
        if self._as_service_user():
            uid, gid = self._service_ids()
            os.chown(path, uid, gid)

    def _check_reachable(self) -> None:
        if not self._as_service_user():
            return
        probe = self._run(["test", "-w", str(self.pgdata)], check=False)
        if probe.returncode != 0:
            _grant_search(self.data_dir)
            probe = self._run(["test", "-w", str(self.pgdata)], check=False)
        if probe.returncode != 0:
            raise EmbeddedError(
                f"the service user {self.service_user!r} cannot reach {self.pgdata}: a parent folder is "
                "not searchable by other users. Set ECOGRID_DATA_DIR to a folder outside it (e.g. /var/lib/ecogrid)"
            )

    def _initdb(self) -> None:
        # A half-made cluster from an interrupted initdb has no PG_VERSION; start it afresh.
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self._own(self.pgdata, 0o700)
        self._check_reachable()
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n")
        os.chmod(self.password_file, 0o600)
        # initdb reads the password from a file the service user can read; it is removed at once.
        self._own(self.run_dir, 0o755)
        tmp_pw = self.run_dir / ".initdb-pw"
        tmp_pw.write_text(password + "\n")
        if self._as_service_user():
            uid, gid = self._service_ids()
            os.chown(tmp_pw, uid, gid)
        try:
            self._run([self._bin("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--pwfile", str(tmp_pw),
                       "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        finally:
            tmp_pw.unlink(missing_ok=True)

    def _read_pidfile(self) -> list[str] | None:
        try:
            return (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None

    def _running_pid(self) -> int | None:
        lines = self._read_pidfile()
        if not lines:
            return None
        try:
            pid = int(lines[0])
        except ValueError:
            return None
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None
        # After a crash the PID may have been reused by an unrelated process.
        return pid if comm.startswith("postgres") else None

    def _port(self) -> int | None:
        lines = self._read_pidfile()
        if lines and len(lines) >= 4 and lines[3].strip().isdigit():
            return int(lines[3])
        return None

    def _start(self) -> None:
        pidfile = self.pgdata / "postmaster.pid"
        if pidfile.exists():
            # The server is not running (checked by the caller), so the pid file is stale: a crash or kill -9.
            pidfile.unlink()
        self._own(self.run_dir, 0o755)
        self._check_reachable()
        last_error = ""
        for attempt in range(5):
            port = _free_port()
            socket_dir = str(self.run_dir) if len(f"{self.run_dir}/.s.PGSQL.{port}") <= MAX_SOCKET_PATH else ""
            options = [f"-p {port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories='{socket_dir}'",
                       f"-c temp_file_limit={self.temp_file_limit}", *self.extra_options]
            proc = self._run([self._bin("pg_ctl"), "start", "-D", str(self.pgdata), "-w", "-t", "60",
                              "-l", str(self.log_file), "-o", " ".join(options)], check=False)
            if proc.returncode == 0 and self._running_pid():
                return
            last_error = (proc.stderr or proc.stdout).strip() + "\n" + self._log_tail()
            # Old backends of a killed server may still hold shared memory for a moment.
            time.sleep(0.5 * (attempt + 1))
            if pidfile.exists() and not self._running_pid():
                pidfile.unlink()
        raise EmbeddedError(f"could not start PostgreSQL in {self.pgdata}: {last_error[-2000:]}")

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text()[-1500:]
        except OSError:
            return ""

    def _ensure_database(self) -> None:
        admin_url = self.url("postgres").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        with psycopg.connect(self.url().replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _grant_search(path: Path) -> None:
    """Let other users pass through (not list) the folders above the data folder.

    A clone under /root is 0700 by default, and the unprivileged server user could not reach
    its data there; search permission alone lets it open the one path it is given.
    """
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            logger.warning("granting search permission (o+x) on %s so the database user can reach %s",
                           parent, path)
            os.chmod(parent, mode | 0o001)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
