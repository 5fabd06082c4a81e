"""``ecogrid complaints import``: the hotline's CSV export, set-based and safe to re-run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ecogrid import complaint_import
from ecogrid.commands.common import fail, open_database
from ecogrid.errors import DomainError

NAME = "complaints"
app = typer.Typer(help="Complaints: bulk import.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file (UTF-8).")],
    map_: Annotated[list[str] | None, typer.Option("--map", help="field=column, e.g. lon=经度 (repeatable).")] = None,
    mapping_file: Annotated[Path | None, typer.Option(help="JSON object {field: column}.")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel for rows without one.")] = None,
    crs: Annotated[str, typer.Option(help="Coordinate system for rows without one.")] = "wgs84",
) -> None:
    """Import complaints from FILE; bad rows go to FILE.errors.csv (row, field, reason)."""
    started = time.perf_counter()
    database = open_database()
    try:
        mapping = complaint_import.load_mapping(map_ or [], mapping_file)
        with Progress(transient=True) as bar, database.sessionmaker() as session:
            task = bar.add_task("checking rows", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            report, errors_path = complaint_import.import_csv(session, path=file, mapping=mapping,
                                                              default_channel=channel, default_crs=crs,
                                                              progress=progress)
            session.commit()
    except DomainError as exc:
        fail(exc.message)
    finally:
        database.dispose()
    seconds = time.perf_counter() - started
    typer.echo(f"{report.rows} rows: {report.stored} stored ({report.new_cases} new cases, {report.repeats} "
               f"repeats, {report.out_of_jurisdiction} outside every zone), {report.duplicates} already stored, "
               f"{len(report.errors)} refused -> {errors_path} ({seconds:.1f} s)")
