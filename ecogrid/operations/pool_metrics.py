"""Database pool use as Prometheus gauges, kept up to date by the pool's own events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from ecogrid.core.metrics import POOL_CHECKED_OUT, POOL_SIZE


def _checked_out(*_args: Any) -> None:
    POOL_CHECKED_OUT.inc()


def _checked_in(*_args: Any) -> None:
    POOL_CHECKED_OUT.dec()


def instrument(engine: Engine) -> None:
    """Count this engine's connections in use (once per engine, however often the app is created)."""
    if event.contains(engine, "checkout", _checked_out):
        return
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.inc(size())
