"""Test fixtures: one private PostGIS cluster per test session (the same code ``ecogrid serve``
uses), migrated by the real migrations; each test runs in a transaction that is rolled back.

Fixtures:
- ``cluster``/``engine``: the session-wide database (created lazily: pure tests never start it);
- ``db``: a Session whose commits are savepoints inside a transaction rolled back after the test;
- ``client``: an httpx TestClient on an app bound to ``db``;
- ``make_user``/``auth``: create a user of a role and sign-in headers for it;
- ``live_server``: a real uvicorn server on a separate, committed database, for browser tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_db
from api.factory import create_app
from ecogrid.accounts import service as user_service
from ecogrid.core import migrate, security
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.models import User
from ecogrid.core.settings import Settings
from tests.databases import scratch_database
from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (fixtures: a real S3 server on 127.0.0.1)

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
FAST_UNSAFE = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


def _test_data_dir() -> Path:
    # Under /tmp with 0755 so that the unprivileged server user can reach it when tests run as root.
    path = Path(tempfile.mkdtemp(prefix="ecogrid-test-", dir="/tmp"))
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope="session")
def cluster() -> Iterator[EmbeddedCluster]:
    external = os.environ.get("ECOGRID_TEST_DATABASE_URL")
    if external:
        pytest.skip("external test database: cluster fixture not used")
    data_dir = _test_data_dir()
    c = EmbeddedCluster(data_dir, extra_options=FAST_UNSAFE)
    c.ensure_running()
    yield c
    c.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(cluster: EmbeddedCluster) -> str:
    return cluster.url()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = create_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No webhook dispatcher behind every test app; the webhook tests start one where they need it.
    return Settings(secret_key=TEST_SECRET, upload_dir=tmp_path / "uploads", data_dir=tmp_path / "var",
                    database_url="postgresql+psycopg://unused/unused", webhook_dispatch=False)


@pytest.fixture
def app(settings: Settings, db: Session, engine: Engine):
    database = Database(engine, sessionmaker(bind=engine))
    application = create_app(settings, database)

    def _same_session() -> Iterator[Session]:
        yield db

    application.dependency_overrides[get_db] = _same_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    counter = {"n": 0}

    def _make(role: str, username: str | None = None, password: str = "correct-horse-9") -> User:
        counter["n"] += 1
        user = user_service.create(db, username=username or f"{role}{counter['n']}", role=role, password=password)
        db.flush()
        return user

    return _make


@pytest.fixture
def auth(make_user: Callable[..., User], settings: Settings) -> Callable[..., dict[str, str]]:
    """``auth("clerk")`` -> headers of a new clerk; ``auth(user)`` -> headers of that user."""

    def _headers(who: str | User) -> dict[str, str]:
        user = make_user(who) if isinstance(who, str) else who
        token = security.issue_token(settings=settings, user_id=user.id, role=user.role)
        return {"Authorization": f"Bearer {token}"}

    return _headers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, database: Database, settings: Settings) -> None:
        self.url = url
        self.database = database
        self.settings = settings

    def session(self) -> Session:
        return self.database.sessionmaker()


@pytest.fixture(scope="module")
def live_server(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real HTTP server on a fresh committed database (one per test module), for browser tests."""
    with scratch_database(cluster, "live") as url:
        yield from _serve(url, tmp_path_factory)


def _serve(url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    database = Database.from_url(url)
    migrate.upgrade(database.engine)
    settings = Settings(secret_key=TEST_SECRET, upload_dir=tmp_path_factory.mktemp("live-uploads"),
                        database_url=url, webhook_dispatch=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", database, settings)
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()
