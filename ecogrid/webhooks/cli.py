"""``ecogrid webhooks``: run the dispatcher on its own (when the API processes do not), list subscriptions."""

from __future__ import annotations

from typing import Annotated

import typer

from ecogrid.core.cli_common import command_session, open_database
from ecogrid.core.settings import get_settings
from ecogrid.webhooks import dispatcher, service

NAME = "webhooks"
app = typer.Typer(help="Webhook subscriptions and their deliveries.", no_args_is_help=True)


@app.command("deliver")
def deliver(once: Annotated[bool, typer.Option(help="One round, then exit (for cron).")] = False) -> None:
    """Deliver what the outbox owes: one round with --once, otherwise until stopped."""
    settings = get_settings()
    database = open_database()
    if once:
        with dispatcher.new_client(settings) as client:
            attempts = dispatcher.run_once(database.sessionmaker, settings, client)
        delivered = sum(a.delivered for a in attempts)
        typer.echo(f"{len(attempts)} attempts, {delivered} delivered, {len(attempts) - delivered} to retry")
        return
    loop = dispatcher.Dispatcher(database.sessionmaker, settings).start()
    typer.echo("delivering webhooks; Ctrl+C to stop")
    try:
        loop.join()
    except KeyboardInterrupt:
        loop.stop()


@app.command("list")
def list_command() -> None:
    with command_session(commit=False) as session:
        for hook in service.list_webhooks(session):
            state = "active" if hook.active else "paused"
            typer.echo(f"{hook.id}\t{state}\t{service.undelivered_for(session, hook.id)} pending\t{hook.url}\t"
                       f"{','.join(hook.events)}")
