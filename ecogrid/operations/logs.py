"""Log set-up: every line carries the request id; ``ECOGRID_LOG_FORMAT=json`` writes one JSON object a line.

A JSON line: ``time`` (RFC 3339, +08:00), ``level``, ``logger``, ``message``, ``request_id`` (when
written while a request was answered) and ``exception``; an access line adds ``method``, ``path``,
``status`` and ``client`` (the address cut to its network: /24 for IPv4, /48 for IPv6, as the
address of a complainant using the public form is personal data). Every line passes the redaction
of :mod:`ecogrid.core.log_redaction` first, in both formats.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from ecogrid.core import log_redaction, request_context
from ecogrid.core.settings import Settings
from ecogrid.core.time import rfc3339

# The loggers whose handlers write the service's lines (uvicorn's own, and the root for everything else).
SERVICE_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
# The root handler this module added (when there was none), so later calls recognise it.
_SERVICE_HANDLER: dict[str, logging.Handler] = {}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_context.current_request_id()
        return True


def network_of(address: str) -> str:
    """An address cut to its network (the host part dropped); anything else unchanged, as a placeholder."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": rfc3339(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == log_redaction.ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _version, status = record.args
            host = str(client).rsplit(":", 1)[0].strip("[]") if client else ""
            entry.update(message=f"{method} {path} {status}", method=method, path=path, status=status,
                         client=network_of(host))
        else:
            entry["message"] = record.getMessage()
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # The redaction filter has run on message and arguments; a traceback is redacted here.
        return log_redaction.redact(json.dumps(entry, ensure_ascii=False, default=str))


class _TextFormatter(logging.Formatter):
    """The handler's own formatter (uvicorn's colours and access layout) with the request id added."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self._inner = inner

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        request_id = getattr(record, "request_id", None)
        return log_redaction.redact(f"{line} request_id={request_id}" if request_id else line)


def configure(settings: Settings) -> None:
    """Request ids and redaction on every service log handler; JSON lines when the setting says so.

    Called at start-up, after uvicorn has configured its own loggers (idempotent).
    """
    root = logging.getLogger()
    created = _SERVICE_HANDLER.get("root")
    if not root.handlers:
        # uvicorn configures its own loggers only: without this, the service's warnings had no handler.
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
        created = _SERVICE_HANDLER["root"] = stream
    root.setLevel(settings.log_level)
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        log_redaction.install_on_handlers(logger)
        for handler in logger.handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
            if settings.log_format == "json":
                if not isinstance(handler.formatter, JsonFormatter):
                    handler.setFormatter(JsonFormatter())
            elif name or handler is created:
                # Text lines keep their layout (uvicorn's colours too) and gain the id; a handler
                # someone else put on the root (a test runner's) keeps its formatter.
                if not isinstance(handler.formatter, _TextFormatter | JsonFormatter):
                    handler.setFormatter(_TextFormatter(handler.formatter or logging.Formatter()))
