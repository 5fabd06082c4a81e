"""The contact log of a case: ``POST`` and ``GET /api/v1/cases/{id}/contacts`` (rules in ``contacts``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import DbSession, Principal, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.cases import contacts
from ecogrid.cases.schemas import ContactCreate, ContactList, ContactRead

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

Staff = Annotated[Principal, Depends(require_roles("clerk", "chief", "inspector"))]


@router.post("/{case_id}/contacts", response_model=ContactRead, status_code=201,
             responses={200: {"model": ContactRead, "description": "already recorded (same client_id): the stored one"},
                        **errors(404, 409)})
def record_case_contact(session: DbSession, principal: Staff, case_id: Id, body: ContactCreate,
                        response: Response) -> ContactRead:
    """Record a contact with the complainant (电话/现场/短信). An inspector only on the cases dispatched to them or
    their team, a chief in their zones. Audited."""
    item, created = contacts.record_contact(
        session, case_id=case_id, user_id=principal.user_id, name=principal.name, role=principal.role,
        data=contacts.ContactIn(method=body.method.value, summary=body.summary, contacted_at=body.contacted_at,
                                client_id=body.client_id))
    session.commit()
    if not created:
        response.status_code = 200
    return ContactRead.model_validate(item)


@router.get("/{case_id}/contacts", response_model=ContactList, responses=errors(404))
def list_case_contacts(session: DbSession, principal: Staff, case_id: Id) -> ContactList:
    """The contacts with the complainant, oldest first. Every read is audited."""
    items = contacts.list_contacts(session, case_id=case_id, user_id=principal.user_id, name=principal.name,
                                   role=principal.role)
    session.commit()  # the audit entry
    return ContactList.model_validate({"items": items, "total": len(items)})
