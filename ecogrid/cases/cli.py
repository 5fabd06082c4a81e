"""``ecogrid revisits``: generate the revisit tasks (回访; rules in ``ecogrid.cases.revisit_tasks``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ecogrid.cases import revisit_tasks
from ecogrid.core.cli_common import fail, open_database
from ecogrid.core.errors import DomainError
from ecogrid.core.settings import get_settings

NAME = "revisits"
app = typer.Typer(help="Revisit tasks of closed cases (回访).", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Revisit tasks of closed cases (回访)."""


@app.command("schedule")
def schedule(
    days: Annotated[int | None, typer.Option(help="Days after a closing (default: the setting).")] = None,
    quarter: Annotated[str | None, typer.Option(help="Also draw this quarter's sample, like 2026Q4.")] = None,
    rate: Annotated[float | None, typer.Option(help="Share sampled (default: the setting).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the sample draw (default: a new one).")] = None,
) -> None:
    """Scheduled revisits for every closing without one; with --quarter, that quarter's sample. Idempotent."""
    settings = get_settings()
    database = open_database()
    with database.sessionmaker() as session:
        try:
            made = revisit_tasks.generate_scheduled(session, days=days or settings.revisit_after_days)
            typer.echo(f"scheduled revisits: {made.created} created, {made.stored} already stored")
            if quarter is not None:
                drawn = revisit_tasks.generate_sample(session, quarter=quarter, seed=seed,
                                                      rate=rate or settings.revisit_sample_rate)
                typer.echo(f"sample revisits {quarter}: {drawn.created} created, {drawn.stored} already stored, "
                           f"seed {drawn.seed}")
        except DomainError as exc:
            fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
        session.commit()
