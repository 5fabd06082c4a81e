"""Answers worth keeping between requests (a page's figures, its hotspot statistics), per process, valid
exactly as long as the data they were computed from.

Every entry's key carries the **data version** of the transaction that asks: PostgreSQL's snapshot of it
(``xmin:xmax:transactions in progress``). Two snapshots that read the same are of the same committed data,
and every transaction that writes anything (a complaint, a workflow step, a zone import, in any process)
takes a transaction id and so gives every later snapshot another value: an entry can never be read once
the data under it has changed. The invalidation is the database's own; nothing has to remember to call it.
Reading alone does not change the snapshot, so a page opened again and again between two writes is answered
from memory. A transaction that has written itself has no version (its own changes are not in the
snapshot): it computes the answer and keeps nothing.

What is kept must depend on the data and the key alone, never on the clock: a caller keeps a figure whose
period has ended, not one counted "as of now". Entries are copied in and out (callers may change what they
get), kept per database engine for the newest version only, the least recently used dropped past
``MAX_ENTRIES``.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = weakref.WeakKeyDictionary()
_counts = {"hits": 0, "misses": 0, "unversioned": 0}


def data_version(session: Session) -> str | None:
    """The version of the committed data this transaction sees; None when it has written itself."""
    snapshot, clean = session.execute(text(
        "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL")).one()
    return str(snapshot) if clean else None


def _engine_of(session: Session) -> Engine | None:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    return engine if isinstance(engine, Engine) else None


def kept(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for ``key`` under this transaction's data version, computed at most once per
    version and process."""
    engine = _engine_of(session)
    version = data_version(session) if engine is not None else None
    if engine is None or version is None:
        with _lock:
            _counts["unversioned"] += 1
        return compute()
    full_key = (version, key)
    with _lock:
        store = _entries.setdefault(engine, OrderedDict())
        if full_key in store:
            store.move_to_end(full_key)
            _counts["hits"] += 1
            return copy.deepcopy(store[full_key])  # type: ignore[no-any-return]
        _counts["misses"] += 1
    value = compute()
    with _lock:
        # Entries of other versions will not be asked for again once the data moved on: dropped.
        for stale in [k for k in store if k[0] != version]:  # type: ignore[index]
            del store[stale]
        store[full_key] = copy.deepcopy(value)
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    return value


def stats() -> dict[str, int]:
    """Hits, misses and unversioned asks since the process started (or :func:`clear`)."""
    with _lock:
        return dict(_counts)


def clear() -> None:
    """Forget every entry (for a test that wants a cold start)."""
    with _lock:
        _entries.clear()
        for name in _counts:
            _counts[name] = 0
