"""Secrets out of the access log: the values of ``token``, ``api_key``, ``access_token`` and ``password``
in a logged address become ``[redacted]``.

Open311 clients send their key as ``api_key`` in the query string, old links carried ``?token=``:
the access log would keep working credentials for anyone who can read it. The filter rewrites the
record's arguments (uvicorn's access formatter builds the line from them) and its message.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

SECRET_NAMES = frozenset({"token", "api_key", "access_token", "password"})
ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

_QUERY = re.compile(r"\?([^\s\"'#]*)")


def _redact_query(query: str) -> str:
    # Names are compared decoded, as the server reads them: ``api%5Fkey`` is ``api_key`` too.
    pairs = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if sep and unquote_plus(name).lower() in SECRET_NAMES else pair)
    return "&".join(pairs)


def redact(text: str) -> str:
    return _QUERY.sub(lambda m: "?" + _redact_query(m.group(1)), text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install(logger_name: str = ACCESS_LOGGER) -> None:
    """Add the filter to the logger once (idempotent: the app may be created more than once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
