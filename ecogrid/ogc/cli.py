"""``ecogrid export LAYER FILE``: a layer (zones, complaints, cases, sources, hotspot_cells) as GeoPackage
or CSV, filtered as the OGC API items are; one sub-command per layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from ecogrid.accounts import service as user_service
from ecogrid.core.cli_common import command_session, fail
from ecogrid.core.settings import get_settings
from ecogrid.ogc import exports, features
from ecogrid.ogc import layers as ogc_layers
from geo.bbox import BBox, BBoxError

NAME = "export"
app = typer.Typer(help="Export layers as GeoPackage or CSV (opened by QGIS and Excel as they are).",
                  no_args_is_help=True)

FORMATS: dict[str, Literal["gpkg", "csv"]] = {".gpkg": "gpkg", ".csv": "csv"}


def export_layer(
    layer_id: str, out: Path, *, bbox: str | None, datetime_: str | None, where: list[str] | None, as_user: str | None,
) -> None:
    """Write every row of the layer to ``out`` (the format from its extension)."""
    file_format = FORMATS.get(out.suffix.lower())
    if file_format is None:
        raise typer.BadParameter("OUT must end in .gpkg or .csv", param_hint="OUT")
    filters: dict[str, str] = {}
    for pair in where or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--where expects property=value, got {pair!r}")
        filters[name.strip()] = value
    try:
        box = BBox.parse(bbox)
    except BBoxError as exc:
        raise typer.BadParameter(exc.message, param_hint="--bbox") from None
    settings = get_settings()
    with command_session() as session:
        layer = ogc_layers.get(layer_id)
        if as_user is None:
            # The operator at the server's console: every layer, no personal data (nobody to audit it for).
            viewer = exports.Viewer(role="operator", user_id=None, name="cli")
        else:
            user = user_service.get_by_username(session, username=as_user)
            if user is None or not user.active:
                fail(f"no active user {as_user!r}")
            viewer = exports.Viewer(role=user.role, user_id=user.id, name=user.username)
            if not layer.may_read(user.role):
                fail(f"role {user.role} may not read {layer.id}")
        query = features.FeatureQuery(bbox=box, interval=features.parse_interval(datetime_),
                                      filters=features.parse_filters(layer, filters))
        result = exports.export_layer(session, layer, file_format=file_format, viewer=viewer, query=query,
                                      settings=settings)
        out.write_bytes(result.body)
    typer.echo(f"wrote {result.rows} rows of {layer.id} to {out}")


def _command(layer: ogc_layers.Layer) -> None:
    def command(
        out: Annotated[Path, typer.Argument(dir_okay=False, help="Output file: .gpkg or .csv")],
        bbox: Annotated[str | None, typer.Option(help="west,south,east,north (WGS-84)")] = None,
        datetime_: Annotated[str | None, typer.Option("--datetime", help="RFC 3339 instant or start/end (.. open)")
                             ] = None,
        where: Annotated[list[str] | None, typer.Option(help="property=value filter, e.g. category=odour "
                                                             "(repeatable)")] = None,
        as_user: Annotated[str | None, typer.Option("--as", help="Export as this staff user: their role decides "
                                                                 "the layers and whether complainants' names and "
                                                                 "phones are included (audited under their name)")
                           ] = None,
    ) -> None:
        export_layer(layer.id, out, bbox=bbox, datetime_=datetime_, where=where, as_user=as_user)

    filters = ", ".join(p.name for p in layer.properties if p.filterable)
    command.__doc__ = f"{layer.title}: every row to OUT (.gpkg or .csv). Filters: {filters}."
    app.command(layer.id.replace("_", "-"))(command)


for _layer in ogc_layers.LAYERS:
    _command(_layer)
