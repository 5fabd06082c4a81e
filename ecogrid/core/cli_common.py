"""What every sub-command shares: the migrated database, a session that commits or reports a domain
error as a clear CLI error (exit 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy.orm import Session

from ecogrid.core import migrate as migrations
from ecogrid.core.database import Database, resolve_url
from ecogrid.core.errors import DomainError
from ecogrid.core.settings import get_settings


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def open_database(*, migrate: bool = True) -> Database:
    database = Database.from_url(resolve_url(get_settings()))
    if migrate:
        migrations.upgrade(database.engine)
    return database


@contextmanager
def command_session(*, commit: bool = True) -> Iterator[Session]:
    """A session on the migrated database; committed at the end unless ``commit`` is False, rolled
    back on any error, and a DomainError becomes ``error: ...`` with exit code 2."""
    database = open_database()
    try:
        with database.sessionmaker() as session:
            try:
                yield session
            except DomainError as exc:
                session.rollback()
                fail(exc.message)
            if commit:
                session.commit()
            else:
                session.rollback()
    finally:
        database.dispose()

