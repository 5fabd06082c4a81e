"""``ecogrid monitors ...``: the HJ 212 listener, and station, reading and wind imports from CSV."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from ecogrid.core.cli_common import command_session, fail, open_database
from ecogrid.core.errors import RowError
from ecogrid.core.settings import get_settings

NAME = "monitors"
app = typer.Typer(help="Online monitoring (在线监测): HJ 212 listener, stations, readings, wind.",
                  no_args_is_help=True)

CsvFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file (UTF-8, header row)")]


@app.command("listen")
def listen(
    host: Annotated[str | None, typer.Option(help="Address to bind (default ECOGRID_MONITORING_LISTEN_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default ECOGRID_MONITORING_LISTEN_PORT).")] = None,
) -> None:
    """Receive HJ 212-2017 packets from stations, store and judge their readings, answer when asked."""
    from ecogrid.monitoring import listener

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    database = open_database()
    try:
        asyncio.run(listener.serve(database, get_settings(), host=host, port=port))
    except KeyboardInterrupt:
        pass
    finally:
        database.dispose()


def _report(errors: list[RowError]) -> None:
    for err in errors:
        typer.secho(f"row {err.row}: {err.field}: {err.reason}" + (f" ({err.value})" if err.value else ""),
                    fg=typer.colors.YELLOW, err=True)


@app.command("import-stations")
def import_stations(file: CsvFile) -> None:
    """Create or update stations (by code). Columns: code, name, kind, lon, lat, crs, mn, password,
    source_credit_code (or source_id), pollutants (a21028:mg/m3;a21001), noise_class."""
    from ecogrid.monitoring import stations

    with command_session() as session:
        report = stations.import_stations(session, text=file.read_text(encoding="utf-8"))
    _report(report.errors)
    typer.echo(f"stored {report.created} new and {report.updated} updated stations; "
               f"{len(report.errors)} rows with errors (not stored)")
    if report.errors:
        raise typer.Exit(code=1)


@app.command("import-readings")
def import_readings(file: CsvFile) -> None:
    """Readings, all or nothing. Columns: station, code (or parameter), interval, measured_at, value, unit, flag."""
    from ecogrid.monitoring import imports

    with command_session() as session:
        result = imports.import_readings(session, rows=imports.read_csv(file.read_text(encoding="utf-8")),
                                         first_row=2)
        if result.errors:
            session.rollback()
            _report(result.errors)
            fail(f"{len(result.errors)} problems; nothing stored")
    typer.echo(f"stored {result.stored} readings ({result.duplicates} already stored); "
               f"{len(result.alarm_ids)} alarms")


@app.command("import-weather")
def import_weather(file: CsvFile) -> None:
    """Wind, all or nothing. Columns: station, observed_at, wind_from_deg, wind_speed_ms."""
    from ecogrid.monitoring import imports

    with command_session() as session:
        result = imports.import_weather(session, rows=imports.read_csv(file.read_text(encoding="utf-8")),
                                        first_row=2)
        if result.errors:
            session.rollback()
            _report(result.errors)
            fail(f"{len(result.errors)} problems; nothing stored")
    typer.echo(f"stored {result.stored} wind observations ({result.duplicates} already stored)")
