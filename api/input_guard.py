"""Refuse control characters in any request text before a handler sees it (``ecogrid.text_rules``).

Installed once as an application dependency, so every route, present and future, is covered: path
and query parameters, JSON bodies (any depth, keys included) and form fields. The error names the
field the way FastAPI's validation errors do (``["query", "zone"]``, ``["body", "readings", 0, "unit"]``).
Uploaded files are data, not text, and are left to their own checks; headers cannot carry these
characters through a real HTTP server.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from api.errors import BadRequestInput
from ecogrid.core import text_rules

# A JSON body can only carry a refused character as a \\u escape, or raw as DEL or a C1 control
# (UTF-8 C2 80-9F): bodies without one (nearly all) are not parsed a second time.
_MAYBE_UNSAFE_JSON = re.compile(rb"\\u(00[01][0-9a-f]|007f|00[89][0-9a-f]|d[89a-f][0-9a-f]{2})|\x7f|\xc2[\x80-\x9f]",
                                re.IGNORECASE)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _check(value: str, loc: list[str | int]) -> None:
    bad = text_rules.unsafe_character(value)
    if bad:
        name = loc[-1] if loc[-1] != "" else "a field without a name"
        raise BadRequestInput(f"{name} contains a control character ({bad})", loc=loc)


def _walk(value: Any, loc: list[str | int]) -> None:
    if isinstance(value, str):
        _check(value, loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, [*loc, key])
            _walk(item, [*loc, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, [*loc, i])


async def refuse_unsafe_text(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, str):
            _check(value, ["path", name])
    for name, value in request.query_params.multi_items():
        _check(value, ["query", name])
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        # Starlette keeps the parsed form on the request: the handler reads the same one.
        for name, value in (await request.form()).multi_items():
            if not isinstance(value, UploadFile):
                _check(value, ["body", name])
        return
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return  # the route reads no body: nothing is parsed, so nothing is read here either
    body = await request.body()  # already read by FastAPI for this route, kept on the request
    if not body or not _MAYBE_UNSAFE_JSON.search(body):
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # not JSON: FastAPI's own parsing answers with its 422
    _walk(document, ["body"])
