"""The ``ecogrid`` command: serve, migrate, manage the private database, users, keys, demo data."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ecogrid.core import migrate as migrations
from ecogrid.core import signing_secret
from ecogrid.core.cli_common import fail, open_database
from ecogrid.core.database import embedded_cluster, pool_per_worker, resolve_url
from ecogrid.core.errors import DomainError
from ecogrid.core.settings import get_settings
from ecogrid.core.vocabulary import Role
from ecogrid.domains import cli_modules

app = typer.Typer(help="ecogrid: environmental complaint handling for ecology-environment bureaus.",
                  no_args_is_help=True)
db_app = typer.Typer(help="Manage the private PostgreSQL + PostGIS cluster (when no DATABASE_URL).",
                     no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
apikeys_app = typer.Typer(help="Integration keys (hotline systems, Open311 clients).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(apikeys_app, name="apikeys")
for _module in cli_modules():
    app.add_typer(_module.app, name=_module.NAME)


# How long a worker may take to start (import, pool) or to answer a health ping before it is replaced.
WORKER_START_S = 60


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load the demo city when the database is empty.")] = False,
    host: Annotated[str | None, typer.Option(help="Listen address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Worker processes (default: settings, "
                                                "else one per core).")] = None,
) -> None:
    """Start the private database if needed, migrate, optionally load demo data, and serve HTTP.

    Migrations and the demo run once, here, before any worker starts; each worker then opens its own pool,
    sized so that all of them together stay under the database's max_connections."""
    import uvicorn

    from api.factory import create_app
    from ecogrid import demo as demo_data
    from ecogrid.core import log_redaction

    settings = get_settings()
    database = open_database()
    if demo:
        with database.sessionmaker() as session:
            if demo_data.is_empty(session):
                typer.echo("Loading the demo city (first start only)...")
                result = demo_data.generate(session)
                session.commit()
                _print_demo_users(result.passwords)
            else:
                typer.echo("Database already has data; demo not reloaded.")
    count = workers or settings.workers or os.cpu_count() or 1
    listen = {"host": host or settings.host, "port": port or settings.port,
              "proxy_headers": settings.trust_proxy_headers, "forwarded_allow_ips": settings.forwarded_allow_ips}
    if count == 1:
        config = uvicorn.Config(create_app(settings, database), **listen)
        log_redaction.install()  # after uvicorn has configured its loggers
        uvicorn.Server(config).run()
        return
    with database.engine.connect() as conn:
        max_connections = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    database.dispose()
    pool_size, overflow = pool_per_worker(max_connections, count)
    # Each worker builds its app from the environment; the secret is settled here so that no two workers
    # race to generate it.
    signing_secret.resolve(settings)
    os.environ.update(ECOGRID_DB_POOL_SIZE=str(pool_size), ECOGRID_DB_MAX_OVERFLOW=str(overflow))
    typer.echo(f"{count} workers, each with {pool_size}+{overflow} database connections at most "
               f"(max_connections {max_connections})")
    # A worker imports the whole app before it answers the supervisor's first ping: on a busy machine that
    # takes longer than uvicorn's 5 s default, and the worker would be killed and restarted forever.
    uvicorn.run("api.factory:create_app", factory=True, workers=count, timeout_worker_healthcheck=WORKER_START_S,
                **listen)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the Alembic migrations up to REVISION."""
    database = open_database(migrate=False)
    migrations.upgrade(database.engine, revision)
    with database.engine.connect() as conn:
        typer.echo(f"schema at {migrations.current_revision(conn)}")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same city.")] = 20261125,
    password: Annotated[str | None, typer.Option(help="One password for every demo user (default: random).")]
    = None,
    complaints: Annotated[int, typer.Option(help="How many complaints to generate.")] = 5000,
) -> None:
    """Generate the deterministic demo city (zones, sources, complaints, users) into an empty database."""
    from ecogrid import demo as demo_data

    database = open_database()
    with database.sessionmaker() as session:
        if not demo_data.is_empty(session):
            fail("the database already holds data; the demo loads into an empty database only")
        result = demo_data.generate(session, seed=seed, password=password, complaints=complaints)
        session.commit()
    typer.echo(f"demo city: {result.summary}")
    _print_demo_users(result.passwords)


def _print_demo_users(passwords: dict[str, str]) -> None:
    typer.echo("Demo users (shown once; write them down):")
    for name, pw in passwords.items():
        typer.echo(f"  {name:<12} {pw}")


@db_app.command("start")
def db_start() -> None:
    settings = get_settings()
    if settings.database_url:
        fail("DATABASE_URL is set: ecogrid uses that server and owns no cluster")
    cluster = embedded_cluster(settings)
    cluster.ensure_running()
    typer.echo(f"running on 127.0.0.1:{cluster.status().port} (data in {cluster.data_dir})")


@db_app.command("stop")
def db_stop() -> None:
    stopped = embedded_cluster(get_settings()).stop()
    typer.echo("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    settings = get_settings()
    if settings.database_url:
        typer.echo("external database (DATABASE_URL)")
        return
    st = embedded_cluster(settings).status()
    state = f"running (pid {st.pid}, port {st.port})" if st.running else "stopped"
    typer.echo(f"{state}; initialised={st.initialised}; data in {st.data_dir}")
    raise typer.Exit(code=0 if st.running else 3)


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the private database (extra arguments are passed to psql)."""
    settings = get_settings()
    if settings.database_url:
        os.execvp("psql", ["psql", resolve_url(settings).replace("+psycopg", ""), *ctx.args])
    cluster = embedded_cluster(settings)
    cluster.ensure_running()
    os.execvpe("psql", ["psql", *ctx.args], {**os.environ, **cluster.libpq_env()})


@users_app.command("create")
def users_create(
    name: str,
    role: Annotated[Role, typer.Option(help="admin, chief, planner, inspector or clerk")],
    full_name: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option(help="Enforcement team (执法中队) of an inspector.")] = None,
) -> None:
    """Create a user; the password is read from the prompt, or from stdin when not a terminal."""
    from ecogrid.accounts import service as users

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    database = open_database()
    with database.sessionmaker() as session:
        try:
            user = users.create(session, username=name, role=role.value, password=password, full_name=full_name,
                                team=team)
        except DomainError as exc:
            fail(exc.message)
        session.commit()
        typer.echo(f"created user {user.username} ({user.role}) id={user.id}")


@users_app.command("deactivate")
def users_deactivate(name: str) -> None:
    """Deactivate a user: signing in is refused and every token issued so far stops working."""
    from ecogrid.accounts import service as users

    database = open_database()
    with database.sessionmaker() as session:
        try:
            user = users.deactivate(session, username=name)
        except DomainError as exc:
            fail(exc.message)
        session.commit()
        typer.echo(f"deactivated user {user.username}; its tokens are revoked")


@apikeys_app.command("create")
def apikeys_create(
    name: str,
    role: Annotated[Role, typer.Option(help="Role the integration acts in.")] = Role.clerk,
) -> None:
    """Create an integration key; the key is printed once, as the last word."""
    from ecogrid.accounts import service as users

    database = open_database()
    with database.sessionmaker() as session:
        try:
            _, key = users.create_api_key(session, name=name, role=role.value)
        except DomainError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"API key for {name}: {key}")


if __name__ == "__main__":
    app()
