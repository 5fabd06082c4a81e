"""The one way to reach the database: an engine and a session factory built from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from ecogrid.embedded import EmbeddedCluster
from ecogrid.settings import Settings


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://`` and ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.data_dir, bin_dir=settings.pg_bin_dir, service_user=settings.pg_service_user)


def resolve_url(settings: Settings) -> str:
    """DATABASE_URL when given; otherwise start (if needed) the private cluster and use it."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_cluster(settings).ensure_running()


@dataclass
class Database:
    engine: Engine
    sessionmaker: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str) -> Database:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    def dispose(self) -> None:
        self.engine.dispose()
