"""Run the Alembic migrations from code (serve, tests, CLI), with the migrations folder in the repo."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@functools.cache
def head_revisions() -> frozenset[str]:
    """The heads of the migrations in this code, read once per process (the files do not change under it)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def applied_revisions(connection: Connection) -> frozenset[str]:
    """The revisions recorded in the database (empty before the first migration): one cheap query."""
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar_one() is None:
        return frozenset()
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
