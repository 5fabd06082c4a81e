from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecogrid.core.migrate import current_revision

router = APIRouter(tags=["health"])


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
            schema = current_revision(conn)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig if orig else exc).strip().splitlines()[0]
        return JSONResponse({"status": "unavailable", "reason": f"database unreachable: {reason}"},
                            status_code=503)
    return HealthRead.model_validate({"status": "ok", "postgis": postgis, "schema": schema})
