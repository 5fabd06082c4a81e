"""What an operation may answer besides success, said once so every router documents it the same way.

The bodies are the ones ``api.errors`` writes:

- a domain error without a field: ``{"detail": "the reason"}``;
- a refused value (FastAPI's validation, or a domain error naming its field):
  ``{"detail": [{"loc": ["body", "reason"], "msg": "...", "type": "..."}]}``;
- a body or upload over its size limit: 413 in the same shape as a refused value;
- the database away or overloaded: 503 ``{"detail": "...", "reason": "..."}`` with ``Retry-After``.

Use ``responses=errors(404, 409)`` on a route for what that operation itself may refuse. 401 and
403 need no mention: :func:`document_errors` adds them to every operation with a security
requirement (FastAPI sets one on each operation that reads the caller through ``api.deps``), and
422 and 503 to all (every route checks its text for control characters; any may meet a database
outage). The factory installs it; a new views module needs nothing more.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from api.errors import OPEN311_PREFIX


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
    413: (ValidationErrorRead, "the body or upload is larger than allowed (detail[].loc says which part)"),
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


def _component_schemas(doc: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorRead, ValidationErrorRead, UnavailableRead):
        schema = model.model_json_schema(ref_template=REF + "{model}", mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


REF = "#/components/schemas/"


def _documented(status: int) -> dict[str, Any]:
    model, description = _DOCUMENTED[status]
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF + model.__name__}}}}


def document_errors(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the answers every operation may give to an OpenAPI document (in place; running it twice
    changes nothing): 401 and 403 to each operation with a security requirement (it reads the caller),
    422 and 503 to all, each 422 in the shape ``api.errors`` writes."""
    _component_schemas(doc)
    for path, item in doc.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if path.startswith(OPEN311_PREFIX):
                # GeoReport v2 says its own errors (400/403/404 as [{"code", "description"}]).
                responses.setdefault("503", _documented(503))
                continue
            wanted = (*EVERYWHERE, *(AUTH_STATUSES if operation.get("security") else ()),
                      *((413,) if "requestBody" in operation else ()))
            for status in wanted:
                responses.setdefault(str(status), _documented(status))
            responses["422"] = _documented(422)
    return doc


def install(app: FastAPI) -> None:
    """Serve the document with :func:`document_errors` applied (FastAPI still builds and caches it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        return document_errors(build())

    app.openapi = openapi  # type: ignore[method-assign]
