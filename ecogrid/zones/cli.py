"""``ecogrid zones``: import the jurisdiction grid from GeoJSON and generate regular grid cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ecogrid.core.cli_common import command_session
from ecogrid.zones import service as zone_service

NAME = "zones"
app = typer.Typer(help="Jurisdiction zones (district > street > grid).", no_args_is_help=True)


def _print_result(result: zone_service.ImportResult) -> None:
    typer.echo(f"created {len(result.created)}, updated {len(result.updated)}")
    for item in result.repaired:
        typer.secho(f"repaired {item['feature']}: {item['reason']}", fg=typer.colors.YELLOW)
    for overlap in result.overlaps:
        typer.secho(f"overlap {overlap.a} / {overlap.b}: {overlap.area_m2:.0f} m2", fg=typer.colors.YELLOW)
    for warning in result.warnings:
        typer.echo(f"note: {warning}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection.")],
    level: Annotated[str, typer.Option(help="district, street, grid or cell.")],
    code_field: Annotated[str, typer.Option(help="Property holding the zone code.")],
    name_field: Annotated[str, typer.Option(help="Property holding the zone name.")],
    parent_field: Annotated[str | None, typer.Option(help="Property holding the parent's code.")] = None,
    crs: Annotated[str, typer.Option(help="wgs84, gcj02, bd09, cgcs2000 (or EPSG:4326 / EPSG:4490).")] = "wgs84",
) -> None:
    """Create or update zones from FILE; overlaps with zones of the same level are listed."""
    collection = json.loads(file.read_text(encoding="utf-8"))
    with command_session() as session:
        result = zone_service.import_zones(session, collection=collection, level=level, code_field=code_field,
                                           name_field=name_field, parent_field=parent_field, crs=crs)
    _print_result(result)


@app.command()
def grid(
    parent: Annotated[str, typer.Option(help="Code of the zone to cover.")],
    size: Annotated[float, typer.Option(help="Cell side in metres.")] = 100.0,
) -> None:
    """Cover zone PARENT with square cells of SIZE metres (clipped to it): unit-grid cells (level cell) that
    own the points inside and carry PARENT's officer and noise class until given their own."""
    with command_session() as session:
        result = zone_service.generate_grid(session, parent_code=parent, size_m=size)
    _print_result(result)
