"""``ecogrid calendar``: load a year's official holiday schedule, show a year as the deadlines count it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ecogrid.calendar import flows
from ecogrid.calendar import schemas as s
from ecogrid.calendar import service as calendar_service
from ecogrid.core.cli_common import command_session, fail
from ecogrid.core.errors import RowError
from ecogrid.core.time import BEIJING

NAME = "calendar"
app = typer.Typer(help="The official calendar: public holidays and make-up working days per year.",
                  no_args_is_help=True)


def read_schedule(file: Path) -> s.CalendarSchedule:
    """The file checked against the schedule format; a bad row is reported with its number and field."""
    try:
        raw = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{file}: not a readable JSON file: {exc}")
    try:
        return s.CalendarSchedule.model_validate(raw)
    except ValidationError as exc:
        _report([_row_error(e) for e in exc.errors()])
        fail(f"{file}: {exc.error_count()} problems; nothing loaded")


def _row_error(error: object) -> RowError:
    assert isinstance(error, dict)
    loc = list(error.get("loc", ()))
    value = error.get("input")
    shown = value if isinstance(value, str | int | float) else ""
    if len(loc) >= 2 and loc[0] == "days" and isinstance(loc[1], int):
        return RowError(loc[1] + 1, ".".join(str(x) for x in loc[2:]) or "row", str(error.get("msg")), str(shown))
    return RowError(0, ".".join(str(x) for x in loc) or "file", str(error.get("msg")), str(shown))


def _report(errors: list[RowError]) -> None:
    for err in errors:
        where = f"row {err.row}: " if err.row else ""
        typer.secho(f"{where}{err.field}: {err.reason}" + (f" ({err.value})" if err.value else ""),
                    fg=typer.colors.YELLOW, err=True)


def _print_year(view: flows.YearView) -> None:
    state = "official" if not view.estimated else "ESTIMATED"
    typer.echo(f"{view.year}: working days from {view.source_kind} ({state})")
    if view.source:
        loaded = f"; loaded {view.loaded_at.astimezone(BEIJING):%Y-%m-%d %H:%M}" if view.loaded_at else ""
        typer.echo(f"source: {view.source}{loaded}")
    for day, kind, name in view.days:
        typer.echo(f"{day.isoformat()} {day:%a} {kind:8} {name}")
    if view.days:
        typer.echo(f"{view.holidays} holidays, {view.workdays} make-up working days")


@app.command()
def load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The year's schedule (JSON).")]
         ) -> None:
    """Make FILE the whole official schedule of its year (an earlier one of that year is replaced at once);
    the open cases' deadlines that run through the year are counted again."""
    schedule = read_schedule(file)
    days = [calendar_service.DayEntry(day=d.date, kind=d.kind, name=d.name) for d in schedule.days]
    with command_session() as session:
        try:
            result = flows.load_year(session, year=schedule.year, source=schedule.source, days=days,
                                     actor_id=None, actor_name="cli")
        except calendar_service.ScheduleRefused as exc:
            _report(exc.errors)
            raise
    _print_year(result.view)
    typer.echo(f"replaced {result.replaced} earlier days; {result.recomputed_cases} open cases' deadlines "
               "counted again")


@app.command()
def show(year: Annotated[int, typer.Argument(min=2000, max=2100, help="The calendar year.")]) -> None:
    """The year's loaded schedule and what decides its working days (official, or an estimate)."""
    with command_session(commit=False) as session:
        view = flows.show_year(session, year=year)
    _print_year(view)
