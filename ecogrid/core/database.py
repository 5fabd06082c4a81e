"""The one way to reach the database: an engine and a session factory built from settings.

Request sessions carry limits: every transaction they begin runs under a ``statement_timeout``
(``SET LOCAL``, so the pooled connection keeps no trace of it and commands and imports outside
requests are not limited). A statement of a request whose client went away can be cancelled
(:meth:`Database.cancel`); the connection it ran on is then never handed out again, so a cancel
arriving late can never hit another request's statement.

With the embedded cluster the engine follows the cluster's port, read at every new connection:
the cluster picks a free port at each start, so after a restart (or a crash and a start) the
application reconnects without being restarted itself.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from ecogrid.core import request_context
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT_KEY = "statement_timeout_ms"
# The timeout every connection of the engine starts with (None: the server's default).
CONNECTION_TIMEOUT_KEY = "connection_statement_timeout_ms"
# DBAPI connections a cancel was sent to: refused at their next checkout (see Database.cancel).
_cancelled: weakref.WeakSet[Any] = weakref.WeakSet()


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://`` and ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.data_dir, bin_dir=settings.pg_bin_dir, service_user=settings.pg_service_user,
                           temp_file_limit=settings.temp_file_limit)


def resolve_url(settings: Settings) -> str:
    """DATABASE_URL when given; otherwise start (if needed) the private cluster and use it."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_cluster(settings).ensure_running()


def connect(settings: Settings) -> Database:
    """The application's database: DATABASE_URL, or the private cluster (started if needed, port followed)."""
    # Connections start with the interactive statement timeout, so a request's transaction needs no SET of its
    # own unless it wants another one (exports, a changed setting).
    pool_size, max_overflow, timeout = settings.db_pool_size, settings.db_max_overflow, settings.statement_timeout_ms
    if settings.database_url:
        return Database.from_url(normalise_url(settings.database_url), pool_size=pool_size, max_overflow=max_overflow,
                                 statement_timeout_ms=timeout)
    cluster = embedded_cluster(settings)
    return Database.from_url(cluster.ensure_running(), cluster=cluster, pool_size=pool_size,
                             max_overflow=max_overflow, statement_timeout_ms=timeout)


# Connections kept free for the CLI, migrations, backups and an operator's psql while the workers run.
RESERVED_CONNECTIONS = 10


def pool_per_worker(max_connections: int, workers: int) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` for each of ``workers`` processes so that all of them together never open
    more than ``max_connections`` minus the reserve; at least one connection each."""
    budget = max(1, (max_connections - RESERVED_CONNECTIONS) // max(1, workers))
    size = max(1, min(10, budget // 2))
    return size, max(0, budget - size)


def _refuse_cancelled(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection in _cancelled:
        # The pool drops this connection and opens another one.
        raise DisconnectionError("connection had a statement cancelled")


def _apply_limits(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    timeout = session.info.get(STATEMENT_TIMEOUT_KEY)
    settings: dict[str, str] = {}
    if timeout is not None and timeout != session.info.get(CONNECTION_TIMEOUT_KEY):
        settings["statement_timeout"] = str(int(timeout))
    request_id = request_context.current_request_id()
    if request_id is not None:
        # For this transaction only, like the timeout: pg_stat_activity and the server log name the request.
        settings["application_name"] = request_context.application_name(request_id)
    if settings:
        # One round trip for all of them: this runs at the start of every request's transaction.
        names = list(settings)
        calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(names)))
        params = {f"n{i}": name for i, name in enumerate(names)} | {f"v{i}": settings[name]
                                                                    for i, name in enumerate(names)}
        connection.execute(text(f"SELECT {calls}"), params)


def set_statement_timeout(connection: Connection | Session, timeout_ms: int) -> None:
    """``SET LOCAL statement_timeout``: for the current transaction only."""
    connection.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(int(timeout_ms))})


@dataclass
class Database:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    connection_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        if not event.contains(self.engine, "checkout", _refuse_cancelled):
            event.listen(self.engine, "checkout", _refuse_cancelled)

    @classmethod
    def from_url(cls, url: str, *, cluster: EmbeddedCluster | None = None, pool_size: int = 10,
                 max_overflow: int = 10, statement_timeout_ms: int | None = None) -> Database:
        # JIT compiles a plan whose estimated cost is high, and the correlated rules (a case's status at a
        # moment, its last reply) are estimated far above what they cost once the cheap terms come first:
        # a daily bulletin spent a second compiling. The service runs short statements; JIT stays off.
        options = ["-c jit=off"]
        if statement_timeout_ms is not None:
            options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
        connect_args = {"options": " ".join(options)}
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                               connect_args=connect_args)
        if cluster is not None:
            _follow_port(engine, cluster)
        return cls(engine, sessionmaker(engine, expire_on_commit=False), connection_timeout_ms=statement_timeout_ms)

    def request_session(self, *, statement_timeout_ms: int,
                        on_connection: Callable[[Any], None] | None = None) -> Session:
        """A session whose every transaction runs under ``statement_timeout_ms`` (changeable through
        ``session.info[STATEMENT_TIMEOUT_KEY]``); ``on_connection`` is told each DBAPI connection used."""
        session = self.sessionmaker()
        session.info[STATEMENT_TIMEOUT_KEY] = statement_timeout_ms
        session.info[CONNECTION_TIMEOUT_KEY] = self.connection_timeout_ms
        event.listen(session, "after_begin", _apply_limits)
        if on_connection is not None:
            def _told(_s: Session, _t: SessionTransaction, connection: Connection) -> None:
                on_connection(connection.connection.dbapi_connection)

            event.listen(session, "after_begin", _told)
        return session

    @staticmethod
    def cancel(dbapi_connection: Any) -> None:
        """Cancel the statement running on ``dbapi_connection`` (from any thread); the connection is
        marked first so that no one else gets it from the pool afterwards."""
        _cancelled.add(dbapi_connection)
        if isinstance(dbapi_connection, psycopg.Connection) and not dbapi_connection.closed:
            try:
                dbapi_connection.cancel_safe(timeout=5)
            except psycopg.Error as exc:  # the statement is still bounded by statement_timeout
                logger.warning("could not cancel a statement: %s", exc)

    def dispose(self) -> None:
        self.engine.dispose()


def _follow_port(engine: Engine, cluster: EmbeddedCluster) -> None:
    @event.listens_for(engine, "do_connect")
    def _current_port(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        port = cluster.current_port()
        if port is not None:
            cparams["port"] = port
