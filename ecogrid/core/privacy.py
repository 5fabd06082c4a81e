"""Complainants' personal data: who may see it, how it is masked, and the audit of every unmasked read.

The 信访 rules forbid disclosing a complainant's identity to the reported unit; only staff who need it
(clerk, chief, admin) see name and phone, and each time they do, the audit log says who, when, which record.
Public outputs (Open311, publications, enterprise-facing pages) never carry it, whatever the role.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecogrid.core import audit

ROLES_WITH_PERSONAL_DATA = frozenset({"clerk", "chief", "admin"})


def may_see_personal_data(role: str | None) -> bool:
    return role in ROLES_WITH_PERSONAL_DATA


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough for a caller to recognise their own number, not enough to call it."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    """王** / J*** : the surname (first character) stays, the rest is starred."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def log_personal_read(session: Session, *, actor_id: int | None, actor_name: str, entity: str,
                      entity_ids: list[int] | list[str], purpose: str = "read") -> None:
    """One audit entry per read request, naming every record whose personal data was shown."""
    if not entity_ids:
        return
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action=f"personal_data.{purpose}",
                 entity=entity, entity_id=str(entity_ids[0]) if len(entity_ids) == 1 else None,
                 detail={"ids": [str(i) for i in entity_ids]})
