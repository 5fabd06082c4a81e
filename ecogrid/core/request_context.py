"""The id of the request being answered, for logs and the database's ``application_name``.

Set by the API's outermost middleware for each request (from the client's ``X-Request-ID`` when it
is a plain token, else a new one) and read wherever a log line or a database session begins.
Context variables follow the request into the worker threads FastAPI runs sync code in.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, at most 64: a client's id goes into logs and into PostgreSQL's
# application_name (63 bytes) unescaped, so anything else is replaced by a new id.
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
APPLICATION_NAME_PREFIX = "ecogrid "

_current: ContextVar[str | None] = ContextVar("ecogrid_request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def accept_or_new(given: str | None) -> str:
    if given is not None and _VALID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def set_request_id(request_id: str | None) -> object:
    return _current.set(request_id)


def reset_request_id(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def application_name(request_id: str) -> str:
    # PostgreSQL cuts application_name at 63 bytes; the prefix and a 64-character id are cut, not refused.
    return (APPLICATION_NAME_PREFIX + request_id)[:63]
