from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ecogrid.core.migrate import current_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.db.engine.connect() as conn:
            postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
            schema = current_revision(conn)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig if orig else exc).strip().splitlines()[0]
        return JSONResponse({"status": "unavailable", "reason": f"database unreachable: {reason}"},
                            status_code=503)
    return JSONResponse({"status": "ok", "postgis": postgis, "schema": schema})
