"""One table maps domain errors to HTTP status codes; domain code never raises HTTPException."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import console_errors
from ecogrid.complaints import open311_xml
from ecogrid.core import errors
from ecogrid.inspections.photos.store import PhotoStoreUnavailable

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.TooManyAttempts: 429,
}
OPEN311_PREFIX = "/open311/"
# OGC API - Features (Part 1, /req/core/query-param-invalid): a refused parameter is a 400.
OGC_PREFIX = "/ogc/"
logger = logging.getLogger(__name__)
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


def open311_response(code: int, description: str, *, path: str,
                     headers: Mapping[str, str] | None = None) -> Response:
    """GeoReport v2's error document, ``[{"code", "description"}]`` or ``<errors><error>``, in the format
    the address asks for (``.xml``; JSON otherwise)."""
    body = [{"code": code, "description": description}]
    if path.endswith(".xml"):
        return Response(open311_xml.document("errors", body), status_code=code, media_type=open311_xml.CONTENT_TYPE,
                        headers=headers)
    return JSONResponse(body, status_code=code, headers=headers)


def open311_error(exc: errors.DomainError, *, path: str) -> Response:
    """The spec's statuses: 403 for a missing or wrong api_key, 404 for what does not exist, 400 for the rest."""
    code = status_for(exc)
    code = {401: 403, 409: 400, 422: 400}.get(code, code)
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, errors.TooManyAttempts) else None
    return open311_response(code, exc.message, path=path, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    if request.url.path.startswith(OPEN311_PREFIX):
        return open311_error(exc, path=request.url.path)
    status = status_for(exc)
    if status == 422 and request.url.path.startswith(OGC_PREFIX):
        status = 400
    body: dict = {"detail": exc.message}
    if exc.field or isinstance(exc, BadRequestInput):
        # Same shape as FastAPI's validation errors, so clients read one format for "which field".
        loc = exc.loc if isinstance(exc, BadRequestInput) else ["body", exc.field]
        body["detail"] = [{"loc": loc, "msg": exc.message, "type": type(exc).__name__}]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, errors.TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after_s)}
    if console_errors.wants_page(request):
        return console_errors.error_page(request, status, message=exc.message, field=exc.field, headers=headers)
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


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(OPEN311_PREFIX):
        problems = _json_safe(jsonable_encoder(exc.errors()))
        described = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in problems)
        return open311_response(400, described or "invalid request", path=request.url.path)
    if console_errors.wants_page(request):
        problems = exc.errors()
        first = problems[0].get("loc", ()) if problems else ()
        described = "; ".join(f"{e.get('loc', ('',))[-1]}: {e.get('msg', '')}" for e in problems)
        return console_errors.error_page(request, 422, message=described,
                                         field=str(first[-1]) if first else None)
    status = 400 if request.url.path.startswith(OGC_PREFIX) else 422
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=status)


# Seconds a client should wait before trying again while the database is away.
RETRY_AFTER_S = 5


def database_trouble(exc: BaseException) -> tuple[str, bool]:
    """What went wrong with the database, said without addresses or SQL, and whether it is worth a retry soon."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, psycopg.errors.QueryCanceled):
        return ("the query took longer than allowed and was cancelled: ask for a shorter period, "
                "a smaller area or larger cells", False)
    if isinstance(orig, psycopg.errors.ConfigurationLimitExceeded):
        return ("the query needed more temporary space than allowed: ask for a shorter period, "
                "a smaller area or larger cells", False)
    if isinstance(orig, psycopg.errors.AdminShutdown | psycopg.errors.CrashShutdown
                  | psycopg.errors.CannotConnectNow):
        return "the database is restarting", True
    if isinstance(orig, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected
                  | psycopg.errors.LockNotAvailable):
        return "the database was busy with a conflicting change: try again", True
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return "every database connection is busy", True
    return "the database is not reachable", True


async def _database_error(request: Request, exc: Exception) -> Response:
    reason, retry = database_trouble(exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if retry else None
    if console_errors.wants_page(request):
        return console_errors.error_page(request, 503, message=reason, headers=headers)
    return JSONResponse({"detail": f"database unavailable: {reason}", "reason": reason},
                        status_code=503, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    # Under /open311 even an address that matches no route answers in the spec's error format.
    if request.url.path.startswith(OPEN311_PREFIX):
        description = {404: f"{request.url.path} is not an Open311 resource",
                       405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, exc.detail)
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the address only (POST of requests.json).
            from ecogrid.complaints import open311_views  # imported late: those views import this module

            headers = {**(headers or {}), "Allow": ", ".join(open311_views.allowed_methods(request.url.path))}
        return open311_response(exc.status_code, str(description), path=request.url.path, headers=headers)
    if console_errors.wants_page(request):
        return console_errors.error_page(request, exc.status_code, message=str(exc.detail), headers=exc.headers)
    return await http_exception_handler(request, exc)


async def _server_error(request: Request, _exc: Exception) -> Response:
    # Starlette's last resort (the exception is logged as it propagates): on the console a page in the
    # console's words, elsewhere its plain answer as before.
    if console_errors.wants_page(request):
        return console_errors.error_page(request, 500, message="", own_policy=True)
    return PlainTextResponse("Internal Server Error", status_code=500)


async def _photo_store_error(_request: Request, exc: Exception) -> JSONResponse:
    # The store's own message may name its endpoint or bucket: logged, not sent.
    logger.warning("photo store unavailable: %s", exc)
    reason = "the photo store is not reachable"
    return JSONResponse({"detail": f"photo store unavailable: {reason}", "reason": reason},
                        status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PhotoStoreUnavailable, _photo_store_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)
    # Driver errors that say the database is away, overloaded or stopped a statement: 503, never 500.
    for cls in (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
                sqlalchemy.exc.DisconnectionError, psycopg.OperationalError, psycopg.InterfaceError):
        app.add_exception_handler(cls, _database_error)
