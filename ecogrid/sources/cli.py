"""``ecogrid sources import FILE``: load the pollution source registry from CSV or GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ecogrid.core.cli_common import fail, open_database
from ecogrid.core.errors import DomainError

NAME = "sources"
app = typer.Typer(help="Pollution source registry (污染源名录).", no_args_is_help=True)


def parse_mapping(pairs: list[str], mapping_file: Path | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if mapping_file:
        mapping.update(json.loads(mapping_file.read_text(encoding="utf-8")))
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(f"--map expects field=column, got {pair!r}")
        mapping[field.strip()] = column.strip()
    return mapping


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or GeoJSON (.geojson/.json)")],
    map_: Annotated[list[str] | None, typer.Option("--map", help="field=column, e.g. name=企业名称 (repeatable)")]
    = None,
    mapping_file: Annotated[Path | None, typer.Option("--mapping", exists=True, dir_okay=False,
                                                      help="JSON object {field: column}")] = None,
    crs: Annotated[str, typer.Option(help="Coordinate system of the file: wgs84, gcj02, bd09, cgcs2000")] = "wgs84",
    dry_run: Annotated[bool, typer.Option(help="Check every row, store nothing.")] = False,
) -> None:
    """Create or update (by unified social credit code) one source per row; bad rows are listed, not stored.

    Fields: name, credit_code, industry, categories, key_discharger, lon, lat, crs, stack_height_m, address.
    """
    from ecogrid.sources import service as source_service

    mapping = parse_mapping(map_ or [], mapping_file)
    records = source_service.read_file(file)
    database = open_database()
    with database.sessionmaker() as session:
        try:
            report = source_service.import_sources(session, records=records, mapping=mapping, crs=crs)
        except DomainError as exc:
            fail(exc.message)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    for err in report.errors:
        typer.secho(f"row {err.row}: {err.field}: {err.reason}", fg=typer.colors.YELLOW, err=True)
    verb = "would store" if dry_run else "stored"
    typer.echo(f"{verb} {report.created} new and {report.updated} updated sources; {len(report.errors)} rows "
               f"with errors (not stored)")
    if report.errors:
        raise typer.Exit(code=1)
