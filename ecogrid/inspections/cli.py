"""``ecogrid uploads check [--fix]``: is every photo row's file in the store, and every file owned by a row?
``ecogrid uploads migrate --to s3``: copy the local folder into the configured bucket, verified and resumable."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import typer

from ecogrid.core.cli_common import open_database
from ecogrid.core.settings import get_settings
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos import copy as store_copy
from ecogrid.inspections.photos.store import LocalPhotoStore, PhotoStoreError, photo_store

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

    typer.echo(f"store: {store.location}")
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


@app.command()
def migrate(
    to: Annotated[Literal["s3"], typer.Option("--to", help="The target store: the bucket configured by ECOGRID_S3_*.")],
) -> None:
    """Copy every photo of the local folder (ECOGRID_UPLOAD_DIR) into the bucket, reading each back to check its hash.

    Run it again after an interruption: what was copied and verified is skipped. The service keeps
    using the local folder until ECOGRID_PHOTO_STORE=s3 is set; set it after a clean run, then run
    this once more to copy photos uploaded in between. Exits 1 when a file could not be copied.
    """
    from ecogrid.inspections.photos.s3_store import S3PhotoStore

    settings = get_settings()
    source = LocalPhotoStore(settings.photo_dir)
    try:
        target = S3PhotoStore.from_settings(settings)
    except PhotoStoreError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    journal = store_copy.journal_path(source.root, target.location)
    typer.echo(f"copying {source.location} -> {target.location} ({to}; journal {journal.name})")
    report = store_copy.copy_store(source, target, journal=journal)
    for key in report.corrupt_in_source:
        typer.echo(f"not copied, corrupt in the local store: {key}")
    for key in report.mismatched_in_target:
        typer.echo(f"not verified, the bucket holds different bytes: {key}")
    typer.echo(f"{len(report.copied)} copied, {len(report.already_there)} already in the bucket (verified), "
               f"{report.skipped_from_journal} verified by an earlier run; "
               f"{len(report.corrupt_in_source) + len(report.mismatched_in_target)} problem(s)")
    if not report.clean:
        raise typer.Exit(code=1)
