"""Client ids: the phone's own name for one submission, so a retry is stored once.

A phone on a weak signal cannot tell a lost request from a lost answer, so it sends again; every
submission it queues (a visit, a photo, a reading, a workflow action) carries an id it made itself.
Here is what every such submission shares, said once:

- :func:`clean`: what a client id may look like (8-64 letters, digits, ``-``, ``_``, ``.``: a UUID fits);
- :func:`queue_behind`: copies of one submission sent at the same moment wait on a lock named by the
  id until the first one's transaction ends, then find what it stored;
- :func:`fingerprint`: what a retry must repeat, so the same id with another body is refused, not
  silently answered with the first result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid.core.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 64


def clean(value: str | None, field: str) -> str:
    """The id without surrounding blanks; InvalidInput naming ``field`` when it is not a client id."""
    cleaned = (value or "").strip()
    if not MIN_LENGTH <= len(cleaned) <= MAX_LENGTH or not all(ch.isalnum() or ch in "-_." for ch in cleaned):
        raise InvalidInput(f"a client id is {MIN_LENGTH}-{MAX_LENGTH} letters, digits, '-', '_' or '.' "
                           "(e.g. a UUID)", field=field)
    return cleaned


def queue_behind(session: Session, *, kind: str, client_id: str) -> None:
    """Wait for any other transaction holding the same submission (held until this transaction ends).

    A copy of the same submission waits here and then, reading after the first one committed, finds
    its row. Different ids sharing a hash only wait."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"{kind}:{client_id}"})


def fingerprint(body: Mapping[str, Any]) -> str:
    """A stable digest of what was asked (keys sorted, times as their ISO text)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> str:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
