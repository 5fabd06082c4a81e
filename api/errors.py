"""One table maps domain errors to HTTP status codes; domain code never raises HTTPException."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ecogrid import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
}


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    status = status_for(exc)
    body: dict = {"detail": exc.message}
    if exc.field:
        # Same shape as FastAPI's validation errors, so clients read one format for "which field".
        body["detail"] = [{"loc": ["body", exc.field], "msg": exc.message, "type": type(exc).__name__}]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
