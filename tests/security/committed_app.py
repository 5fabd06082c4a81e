"""An app on its own committed database, for tests that must see what a failed request left behind
(the ``app`` fixture shares one session, so a failed request's rows stay visible there) and for the
fuzzing run (thousands of requests that each commit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from api.factory import create_app
from ecogrid.accounts import service as user_service
from ecogrid.core import migrate, security
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings
from tests.databases import scratch_database

SECRET = "committed-app-secret-long-enough-for-hs256-0123456789"


@dataclass
class CommittedApp:
    app: FastAPI
    database: Database
    settings: Settings

    def headers_of(self, role: str, username: str) -> dict[str, str]:
        """Bearer headers of a new, committed user of ``role``."""
        with self.database.sessionmaker() as session:
            user = user_service.create(session, username=username, role=role, password="correct-horse-9")
            session.commit()
            token = security.issue_token(settings=self.settings, user_id=user.id, role=user.role)
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def committed_app(cluster: EmbeddedCluster, tmp: Path, prefix: str) -> Iterator[CommittedApp]:
    with scratch_database(cluster, prefix) as url:
        database = Database.from_url(url)
        try:
            migrate.upgrade(database.engine)
            settings = Settings(secret_key=SECRET, upload_dir=tmp / "uploads", data_dir=tmp / "var",
                                database_url=url)
            yield CommittedApp(create_app(settings, database), database, settings)
        finally:
            database.dispose()
