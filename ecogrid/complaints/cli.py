"""``ecogrid complaints import``: a hotline platform's export (CSV or .xlsx), set-based and safe to re-run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import import_mapping as mappings
from ecogrid.core.cli_common import fail, open_database
from ecogrid.core.errors import DomainError

NAME = "complaints"
app = typer.Typer(help="Complaints: bulk import.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or .xlsx file.")],
    mapping_file: Annotated[Path | None, typer.Option(
        help="JSON/YAML mapping file: fields, values, defaults, received_at_format, timezone, encoding, sheet.",
    )] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="field=column, e.g. lon=经度 (repeatable).")] = None,
    value_map: Annotated[list[str] | None, typer.Option(
        help="field=FILE: a JSON/YAML object {export's value: code}, e.g. category=categories.json (repeatable).",
    )] = None,
    date_format: Annotated[str | None, typer.Option(
        help="strptime format of received_at, e.g. '%m/%d/%Y %I:%M:%S %p', or 'excel' for serial days.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone of times without an offset.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Encoding of a CSV file (detected when not given).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an .xlsx file (the first when not given).")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel for rows without one.")] = None,
    crs: Annotated[str | None, typer.Option(help="Coordinate system for rows without one (default wgs84).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Dry run: report what would happen, store nothing.")] = False,
) -> None:
    """Import complaints from FILE; every problem of a refused row goes to FILE.errors.csv (row, field,
    value, reason). Exits 1 when rows were refused, 2 when the file or the mapping cannot be used."""
    started = time.perf_counter()
    try:
        mapping = mappings.load(mapping_file=mapping_file, pairs=map_ or [], value_maps=value_map or [],
                                received_at_format=date_format, timezone=timezone, encoding=encoding, sheet=sheet,
                                defaults={"channel": channel, "crs": crs})
    except DomainError as exc:
        fail(exc.message)
    database = open_database()
    try:
        with Progress(transient=True) as bar, database.sessionmaker() as session:
            task = bar.add_task("reading", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            report = complaint_import.import_file(session, source=file, mapping=mapping, check=check,
                                                  progress=progress)
            if check:
                session.rollback()
            else:
                session.commit()
    except DomainError as exc:
        fail(exc.message)
    finally:
        database.dispose()
    errors_path = complaint_import.write_errors(file, report.errors)
    typer.echo(summary(report, errors_path=errors_path, seconds=time.perf_counter() - started))
    if report.errors:
        raise typer.Exit(code=1)


def summary(report: complaint_import.ImportReport, *, errors_path: Path | None, seconds: float) -> str:
    verb = "would be stored" if report.checked else "stored"
    lines = [f"{'dry run, nothing stored: ' if report.checked else ''}{report.rows} rows: {report.stored} {verb} "
             f"({report.new_cases} new cases, {report.repeats} repeats"
             + (f", {report.reopened} closed cases reopened" if report.reopened else "")
             + f", {report.out_of_jurisdiction} outside "
             f"every zone), {report.duplicates} already stored, {report.refused} refused"
             + (f" -> {errors_path}" if errors_path and report.errors else "") + f" ({seconds:.1f} s)"]
    if report.errors:
        lines.append("refused, by reason (a row may have several):")
        lines.extend(f"  {rows:>6}  {name}: {reason}" for name, reason, rows in report.refused_by_reason())
    for name, values in report.unmapped.items():
        lines.append(f"unmapped {name} values (add them to values.{name} of the mapping):")
        lines.extend(f"  {rows:>6}  {value}" for value, rows in values.items())
    return "\n".join(lines)
