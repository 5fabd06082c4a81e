"""``ecogrid uploads check [--fix]``: is every photo row's file in the store, and every file owned by a row?"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from ecogrid.core.cli_common import open_database
from ecogrid.core.settings import get_settings
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos.store import photo_store

NAME = "uploads"
app = typer.Typer(help="Photo evidence files in the upload store.", no_args_is_help=True)


@app.command()
def check(
    fix: Annotated[bool, typer.Option(help="Remove orphan files and interrupted writes (never rows).")] = False,
    verify_hashes: Annotated[bool, typer.Option(help="Re-hash every original (reads every file: slow).")] = False,
    grace_minutes: Annotated[int, typer.Option(
        help="Leave files younger than this alone: their upload may still be committing.")] = 60,
) -> None:
    """Report orphan files, rows whose file is missing, corrupt originals and interrupted writes.

    Exits 1 when something is wrong and was not fixed (missing or corrupt files need a person).
    """
    settings = get_settings()
    database = open_database()
    store = photo_store(settings)
    try:
        with database.sessionmaker() as session:
            report = inspection_service.check_uploads(
                session, store=store, fix=fix, verify_hashes=verify_hashes,
                grace=timedelta(minutes=grace_minutes))
            missing_rows = inspection_service.rows_missing_files(session, keys=report.missing)
    finally:
        database.dispose()

    typer.echo(f"store: {settings.photo_dir}")
    for key in report.orphans:
        state = "removed" if key in report.removed else "kept (young or --fix not given)"
        typer.echo(f"orphan file: {key} [{state}]")
    for photo_id, key in missing_rows:
        typer.echo(f"missing file: photo {photo_id} -> {key}")
    for key in report.corrupt:
        typer.echo(f"corrupt file: {key} (bytes no longer match their SHA-256)")
    for item in report.incomplete:
        state = "removed" if item.name in report.removed else "kept"
        typer.echo(f"interrupted write: {item.name} [{state}]")
    unresolved = (
        [k for k in report.orphans if k not in report.removed]
        + report.missing + report.corrupt
        + [i.name for i in report.incomplete if i.name not in report.removed]
    )
    typer.echo(
        f"{len(report.orphans)} orphan file(s), {len(report.missing)} missing file(s), "
        f"{len(report.corrupt)} corrupt, {len(report.incomplete)} interrupted write(s); "
        f"{len(report.removed)} removed"
    )
    if unresolved:
        raise typer.Exit(code=1)
