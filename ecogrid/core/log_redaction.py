"""Secrets and complainants' personal data out of the logs.

- In a logged address, the values of credential parameters (``token``, ``api_key``, ``access_token``,
  ``password``, ...) and of personal-data parameters (``phone``, ``complainant_name``, ``address``,
  ...) become ``[redacted]``. Open311 clients send their key as ``api_key`` in the query string, old
  links carried ``?token=``: the access log would keep working credentials for anyone who can read it.
- Anywhere in a log line: bearer tokens and JWTs, mainland mobile numbers, resident ID numbers and
  e-mail addresses are replaced by a placeholder naming what was there. A log line may quote a
  refused input or a driver error, and those may carry what a complainant typed.

The filter rewrites a record's message and arguments (uvicorn's access formatter builds the line from
them). On a handler it sees every record that handler writes, including those of child loggers.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

SECRET_NAMES = frozenset({"token", "api_key", "access_token", "refresh_token", "password", "secret",
                          "client_secret", "signature", "key"})
PERSONAL_NAMES = frozenset({"phone", "mobile", "tel", "complainant_phone", "complainant_name", "complainant",
                            "contact", "address", "id_number", "id_card", "email"})
ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

_QUERY = re.compile(r"\?([^\s\"'#]*)")
# Order matters: a JWT before the digit patterns (its base64 may hold digit runs).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"\begk_[A-Za-z0-9_-]{8,}"), "[api-key]"),
    (re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])"), "[id-number]"),
    (re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])"), "[phone]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
)


def _redact_query(query: str) -> str:
    # Names are compared decoded, as the server reads them: ``api%5Fkey`` is ``api_key`` too.
    pairs = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        hidden = unquote_plus(name).lower() in SECRET_NAMES | PERSONAL_NAMES
        pairs.append(f"{name}={REDACTED}" if sep and hidden else pair)
    return "&".join(pairs)


def redact(text: str) -> str:
    text = _QUERY.sub(lambda m: "?" + _redact_query(m.group(1)), text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install(logger_name: str = ACCESS_LOGGER) -> None:
    """Add the filter to the logger once (idempotent: the app may be created more than once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


def install_on_handlers(logger: logging.Logger) -> None:
    """The filter on each of the logger's handlers: it then sees what child loggers propagate to them."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
