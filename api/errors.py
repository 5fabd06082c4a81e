"""One table maps domain errors to HTTP status codes; domain code never raises HTTPException."""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ecogrid import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
}
OPEN311_PREFIX = "/open311/"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequestInput(errors.InvalidInput):
    """Input refused by the API layer itself; ``loc`` says where, as FastAPI's validation errors do."""

    def __init__(self, message: str, *, loc: list[str | int]) -> None:
        super().__init__(message, field=str(loc[-1]))
        self.loc = loc


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def open311_error(exc: errors.DomainError) -> JSONResponse:
    """GeoReport v2 errors are ``[{"code", "description"}]``, and a refused input is a 400 there."""
    code = status_for(exc)
    code = 400 if code == 422 else code
    return JSONResponse([{"code": code, "description": exc.message}], status_code=code)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    if request.url.path.startswith(OPEN311_PREFIX):
        return open311_error(exc)
    status = status_for(exc)
    body: dict = {"detail": exc.message}
    if exc.field or isinstance(exc, BadRequestInput):
        # Same shape as FastAPI's validation errors, so clients read one format for "which field".
        loc = exc.loc if isinstance(exc, BadRequestInput) else ["body", exc.field]
        body["detail"] = [{"loc": loc, "msg": exc.message, "type": type(exc).__name__}]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _json_safe(value: Any) -> Any:
    # JSON bodies may carry NaN/Infinity (Python's parser accepts them); echoing them back in a 422
    # would make the response itself invalid JSON and turn a client error into a 500.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        # A lone surrogate cannot be encoded as UTF-8: echoing it would fail the response itself.
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
