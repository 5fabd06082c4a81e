"""Case documents in the console: the printable page ``/documents/{id}`` and the case page's issue buttons.

The page is the document as stored when issued (``documents.printable``), its addressee filled in per role;
the case page's "文书" block posts to ``/cases/{id}/documents``, which issues through the same service as the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import console
from api.deps import DbSession, SettingsDep
from api.params import Id
from ecogrid.cases import documents
from ecogrid.cases.case_pages import case_page
from ecogrid.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from ecogrid.core.models import CaseDocument

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page(*sorted(documents.READERS)))]
Voider = Annotated[console.Page, Depends(console.console_page(*sorted(documents.VOIDERS - {"admin"})))]
Issuer = Annotated[console.Page, Depends(console.console_page(*sorted(documents.ISSUERS)))]


@router.get("/documents/{document_id}")
def read_document(document_id: Id, session: DbSession, page: Reader) -> Response:
    html = documents.printable(session, document_id=document_id, user_id=page.principal.user_id,
                               name=page.principal.name, role=page.role)
    session.commit()  # the audit entry of the addressee's name
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/cases/{case_id}/documents")
def issue_document(case_id: Id, session: DbSession, settings: SettingsDep, page: Issuer,
                   form: console.PostedForm) -> Response:
    try:
        item, _ = documents.issue_document(session, case_id=case_id, kind=console.form_text(form, "kind") or "",
                                           client_id=console.form_text(form, "client_id"),
                                           user_id=page.principal.user_id, role=page.role,
                                           bureau=settings.bureau_name)
        session.commit()
    except DomainError as exc:
        session.rollback()
        status = {InvalidInput: 422, Forbidden: 403}.get(type(exc), 409)
        return case_page(session, settings, page, case_id, status=status,
                         errors={"document": page.error_text(exc)}, typed=form)
    return RedirectResponse(f"/cases/{case_id}?done=document#documents", status_code=303)


@router.post("/documents/{document_id}/void")
def void_document(document_id: Id, session: DbSession, settings: SettingsDep, page: Voider,
                  form: console.PostedForm) -> Response:
    """作废 from the case page: the reason is required; the document stays listed, marked void."""
    found = session.get(CaseDocument, document_id)
    case_id = found.case_id if found is not None else None
    try:
        documents.void_document(session, document_id=document_id, reason=console.form_text(form, "reason"),
                                user_id=page.principal.user_id, role=page.role)
        session.commit()
    except DomainError as exc:
        session.rollback()
        if case_id is None or isinstance(exc, NotFound):
            raise
        status = {InvalidInput: 422, Forbidden: 403}.get(type(exc), 409)
        return case_page(session, settings, page, case_id, status=status,
                         errors={f"void:{document_id}": page.error_text(exc)}, typed=form)
    return RedirectResponse(f"/cases/{case_id}?done=document_void#documents", status_code=303)
