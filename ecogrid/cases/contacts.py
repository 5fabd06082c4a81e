"""The contact log of a case: every contact with its complainant (when, how, who, what was said).

A contact is a call, a visit on site or a text message (``ContactMethod``: 电话 / 现场 / 短信), recorded
by the clerk, chief or inspector who made it. What the complainant said concerns them, so the log is
staff-only and role-checked like the case itself (an inspector only on the cases dispatched to them or
their team, a chief recording only in their zones), every record and every read is written to the audit
log, and the rows are append-only (a trigger refuses UPDATE and DELETE). A ``contact`` event in the
case history says that a contact happened and how, not what was said. A retried submission with the
same ``client_id`` is stored once. A contact does the case's open revisit tasks (``revisit_tasks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecogrid.cases import revisit_tasks
from ecogrid.core import audit, authorization, privacy, text_rules
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput
from ecogrid.core.models import Case, CaseContact, CaseEvent
from ecogrid.core.time import as_aware, rfc3339
from ecogrid.core.vocabulary import ContactMethod, Role, label

CONTACT_EVENT = "contact"
ROLES = frozenset({Role.clerk.value, Role.chief.value, Role.inspector.value, Role.admin.value})
SUMMARY_MAX = 4000
# Clocks of phones drift; a contact "made" further ahead than this is an input error.
FUTURE_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class ContactIn:
    method: str
    summary: str
    contacted_at: datetime | None = None
    client_id: str | None = None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Forbidden(f"role {role} may not see or record contacts with complainants")


def _read(row: CaseContact) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "contacted_at": rfc3339(row.contacted_at), "method": row.method,
            "method_label": label(row.method), "by_id": row.by_id, "by_name": row.by_name, "summary": row.summary,
            "created_at": rfc3339(row.created_at)}


def _validate(data: ContactIn, *, case: Case, now: datetime) -> tuple[ContactMethod, str, datetime]:
    try:
        method = ContactMethod(data.method)
    except ValueError:
        choices = ", ".join(m.value for m in ContactMethod)
        raise InvalidInput(f"unknown method {data.method!r}; one of {choices}", field="method") from None
    summary = (data.summary or "").strip()
    if not summary:
        raise InvalidInput("say what was said or done", field="summary")
    if len(summary) > SUMMARY_MAX:
        raise InvalidInput(f"summary is longer than {SUMMARY_MAX} characters", field="summary")
    text_rules.check_text(summary, field="summary")
    when = as_aware(data.contacted_at) if data.contacted_at is not None else now
    if when - now > FUTURE_TOLERANCE:
        raise InvalidInput("contacted_at lies in the future", field="contacted_at")
    if when < case.opened_at:
        raise InvalidInput("contacted_at is before the case was opened", field="contacted_at")
    return method, summary, when


def record_contact(session: Session, *, case_id: int, data: ContactIn, user_id: int | None, name: str, role: str,
                   now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Record one contact with the complainant of a case; (the contact, whether it was stored now).

    The same ``client_id`` again answers with the stored contact (False). Raises Forbidden (role, or a
    chief outside their zones), NotFound (no such case, or not the inspector's), InvalidInput naming the
    field, Conflict (a client_id already used on another case).
    """
    _check_role(role)
    moment = now or datetime.now(UTC)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role)
    authorization.check_may_act(session, case=case, user_id=user_id, role=role)
    if data.client_id is not None:
        text_rules.check_text(data.client_id, field="client_id")
        stored = _by_client_id(session, data.client_id)
        if stored is not None:
            return _stored_again(stored, case_id=case_id), False
    method, summary, when = _validate(data, case=case, now=moment)
    try:
        with session.begin_nested():
            row = CaseContact(case_id=case.id, contacted_at=when, method=method.value, by_id=user_id, by_name=name,
                              summary=summary, client_id=data.client_id)
            session.add(row)
            session.flush()
    except IntegrityError:
        # A concurrent retry with the same client_id won the race.
        stored = _by_client_id(session, data.client_id) if data.client_id is not None else None
        if stored is None:
            raise
        return _stored_again(stored, case_id=case_id), False
    session.add(CaseEvent(case_id=case.id, at=moment, actor_id=user_id, action=CONTACT_EVENT, from_status=case.status,
                          to_status=case.status, note=label(method.value),
                          data={"contact_id": row.id, "method": method.value, "contacted_at": rfc3339(when)}))
    audit.record(session, actor_id=user_id, actor_name=name, action="case_contact.create", entity="case_contact",
                 entity_id=row.id, detail={"case_id": case.id, "method": method.value})
    revisit_tasks.done_by_contact(session, case_id=case.id, contact_id=row.id, user_id=user_id, at=moment)
    session.flush()
    session.refresh(row)
    return _read(row), True


def _by_client_id(session: Session, client_id: str) -> CaseContact | None:
    return session.scalars(select(CaseContact).where(CaseContact.client_id == client_id)).one_or_none()


def _stored_again(stored: CaseContact, *, case_id: int) -> dict[str, Any]:
    if stored.case_id != case_id:
        raise Conflict(f"client_id {stored.client_id!r} was already used for a contact of another case",
                       field="client_id")
    return _read(stored)


def list_contacts(session: Session, *, case_id: int, user_id: int | None, name: str, role: str) -> list[dict[str, Any]]:
    """The case's contacts, oldest first; the read is audited (it shows what the complainant said)."""
    _check_role(role)
    authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role)
    rows = list(session.scalars(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(CaseContact.contacted_at, CaseContact.id)))
    privacy.log_personal_read(session, actor_id=user_id, actor_name=name, entity="case_contact",
                              entity_ids=[r.id for r in rows])
    return [_read(r) for r in rows]


def may_use(role: str) -> bool:
    """Whether the role sees and records the contact log at all."""
    return role in ROLES
