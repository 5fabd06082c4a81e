"""The audit log: every unmasked read of personal data and every sensitive action is written here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecogrid.core.models import AuditEntry


def record(session: Session, *, actor_id: int | None, actor_name: str | None, action: str, entity: str,
           entity_id: str | int | None, detail: dict[str, Any] | None = None) -> None:
    session.add(AuditEntry(actor_id=actor_id, actor_name=actor_name, action=action, entity=entity,
                           entity_id=None if entity_id is None else str(entity_id), detail=detail or {}))
