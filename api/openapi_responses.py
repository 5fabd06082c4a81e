"""What an operation may answer besides success, said once so every router documents it the same way.

The bodies are the ones ``api.errors`` writes:

- a domain error without a field: ``{"detail": "the reason"}``;
- a refused value (FastAPI's validation, or a domain error naming its field):
  ``{"detail": [{"loc": ["body", "reason"], "msg": "...", "type": "..."}]}``;
- the database away or overloaded: 503 ``{"detail": "...", "reason": "..."}`` with ``Retry-After``.

Use ``responses=errors(404, 409)`` on a route for what that operation itself may refuse. 401 and
403 need no mention: :func:`document_auth` adds them to every operation that reads the caller
(``api.deps.get_principal`` or a page's principal), and the factory adds 422 and 503 everywhere
(every route checks its text for control characters; every route may meet a database outage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field
from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One refused value: where it was (``loc``: "body", "query", "path" then the field) and why."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(examples=[["body", "reason"]])
    msg: str = Field(examples=["Input should be 'outside_jurisdiction', 'not_environmental' or 'duplicate'"])
    type: str = Field(examples=["enum"])


class ErrorRead(BaseModel):
    """A refusal: the reason in words, or (when a field is to blame) the field problems."""

    detail: str | list[FieldProblem] = Field(examples=["cannot close a case that has not been revisited"])


class ValidationErrorRead(BaseModel):
    """A value refused: ``detail[].loc`` names the field."""

    detail: list[FieldProblem]


class UnavailableRead(BaseModel):
    """The database is away, busy or stopped the query; ``Retry-After`` says when to try again."""

    detail: str = Field(examples=["database unavailable: the database is restarting"])
    reason: str = Field(examples=["the database is restarting"])


_DOCUMENTED: dict[int, tuple[type[BaseModel], str]] = {
    400: (ErrorRead, "the request cannot be read"),
    401: (ErrorRead, "not signed in: no credentials, an expired or revoked bearer token, or an unknown API key "
                     "(the answer carries WWW-Authenticate: Bearer)"),
    403: (ErrorRead, "signed in, but this role (or this API key's role) may not do this, or not here"),
    404: (ErrorRead, "no such resource, or one the caller may not see (its existence is not confirmed)"),
    409: (ErrorRead, "not possible now (the state of the resource forbids it); the detail says why"),
    413: (ErrorRead, "the body or upload is larger than allowed"),
    422: (ValidationErrorRead, "a value refused: detail[].loc names the field"),
    429: (ErrorRead, "too many failed attempts; Retry-After says when to try again"),
    503: (UnavailableRead, "the database is unavailable or the query was too large; see Retry-After"),
}

AUTH_STATUSES = (401, 403)
EVERYWHERE = (422, 503)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for these statuses, each with its body model and meaning."""
    return {status: {"model": _DOCUMENTED[status][0], "description": _DOCUMENTED[status][1]}
            for status in statuses}


def reads_caller(dependant: Dependant, principals: Iterable[Callable[..., Any]]) -> bool:
    """Whether the route (or any dependency of it) asks who the caller is."""
    wanted = set(principals)
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call in wanted:
            return True
        stack.extend(current.dependencies)
    return False


def document_auth(app: FastAPI, principals: Iterable[Callable[..., Any]]) -> None:
    """Add 401 and 403 to every operation that reads the caller, and 422/503 to all of them.

    Called by the factory once every router is mounted, before the document is first built.
    """
    principals = tuple(principals)
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        wanted = (*EVERYWHERE, *(AUTH_STATUSES if reads_caller(route.dependant, principals) else ()))
        for status, doc in errors(*wanted).items():
            if status in route.responses:
                continue
            route.responses[status] = doc
            # FastAPI reads the body models of extra responses from fields it builds with the route.
            route.response_fields[status] = create_model_field(
                name=f"Response_{status}_{route.unique_id}", type_=doc["model"], mode="serialization")
