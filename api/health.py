"""Health: ``/healthz/live`` (the process answers), ``/healthz/ready`` (it can serve: database reachable,
schema at the code's migration head), and ``/healthz`` as before (database, PostGIS and schema).

Liveness never touches the database, so an orchestrator restarts a process only when the process
itself is stuck, not when the database is away. Readiness fails while migrations run (the committed
schema is behind the head until the last one commits) and while the database is unreachable, so no
traffic is sent to an instance that would answer 503s. Each check is one short query; the head
revision is read from the migration files once per process.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecogrid.core.database import set_statement_timeout
from ecogrid.core.migrate import applied_revisions, head_revisions

router = APIRouter(tags=["health"])

# A readiness probe must answer quickly whatever the database is doing.
READY_TIMEOUT_MS = 1000


class LiveRead(BaseModel):
    status: str = "ok"


class ReadyRead(BaseModel):
    status: str
    schema_revision: str | None
    expected_revision: str | None
    reason: str | None = None


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig else exc).strip().splitlines()[0]


def _one(revisions: frozenset[str]) -> str | None:
    return ",".join(sorted(revisions)) or None


class HealthRead(BaseModel):
    status: str = Field(examples=["ok"])
    postgis: str = Field(examples=["3.4.2"])
    schema_revision: str | None = Field(alias="schema", examples=["0005_teams"],
                                        description="the database's migration revision")


class HealthUnavailable(BaseModel):
    status: str = Field(examples=["unavailable"])
    reason: str


@router.get("/healthz", response_model=HealthRead, response_model_by_alias=True,
            responses={503: {"model": HealthUnavailable, "description": "the database is not reachable"}})
def read_health(request: Request) -> HealthRead | JSONResponse:
    try:
        with request.app.state.db.engine.connect() as conn:
            postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
            schema = _one(applied_revisions(conn))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig if orig else exc).strip().splitlines()[0]
        return JSONResponse({"status": "unavailable", "reason": f"database unreachable: {reason}"},
                            status_code=503)
    return HealthRead.model_validate({"status": "ok", "postgis": postgis, "schema": schema})


@router.get("/healthz/live", response_model=LiveRead)
def live() -> LiveRead:
    return LiveRead()


@router.get("/healthz/ready", response_model=ReadyRead, responses={503: {"model": ReadyRead}})
def ready(request: Request) -> JSONResponse:
    expected = head_revisions()
    try:
        with request.app.state.db.engine.connect() as conn, conn.begin():
            set_statement_timeout(conn, READY_TIMEOUT_MS)
            applied = applied_revisions(conn)
    except SQLAlchemyError as exc:
        body = ReadyRead(status="unavailable", schema_revision=None, expected_revision=_one(expected),
                         reason=f"database unreachable: {_reason(exc)}")
        return JSONResponse(body.model_dump(), status_code=503)
    if applied != expected:
        body = ReadyRead(status="unavailable", schema_revision=_one(applied), expected_revision=_one(expected),
                         reason="the database schema is not at this version's migrations (migrating, or not yet "
                                "migrated: ecogrid migrate)")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(ReadyRead(status="ready", schema_revision=_one(applied),
                                  expected_revision=_one(expected)).model_dump())
