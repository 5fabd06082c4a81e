"""Case documents (文书): issue a rectification notice or a reply letter on a case, list the case's documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.cases import documents
from ecogrid.cases.document_schemas import DocumentCreate, DocumentList, DocumentRead, DocumentVoid

router = APIRouter(prefix="/api/v1", tags=["cases"])

Issuer = Annotated[Principal, Depends(require_roles(*sorted(documents.ISSUERS)))]
Voider = Annotated[Principal, Depends(require_roles(*sorted(documents.VOIDERS - {"admin"})))]
Reader = Annotated[Principal, Depends(require_roles(*sorted(documents.READERS)))]


@router.post("/cases/{case_id}/documents", response_model=DocumentRead, status_code=201,
             responses={200: {"model": DocumentRead, "description": "already issued (same client_id)"},
                        **errors(404, 409)})
def issue_case_document(session: DbSession, settings: SettingsDep, principal: Issuer, case_id: Id,
                        body: DocumentCreate, response: Response) -> DocumentRead:
    """Issue a numbered document on the case: a rectification notice (after a rectify) or a reply letter (after a
    reply). Its printable page is at ``url``."""
    item, created = documents.issue_document(session, case_id=case_id, kind=body.kind.value, client_id=body.client_id,
                                             user_id=principal.user_id, role=principal.role,
                                             bureau=settings.bureau_name)
    session.commit()
    if not created:
        response.status_code = 200
    return DocumentRead.model_validate(item)


@router.get("/cases/{case_id}/documents", response_model=DocumentList, responses=errors(404))
def list_case_documents(session: DbSession, principal: Reader, case_id: Id) -> DocumentList:
    """The documents issued on the case, oldest first."""
    items = documents.list_documents(session, case_id=case_id, user_id=principal.user_id, role=principal.role)
    return DocumentList.model_validate({"items": items, "total": len(items)})


@router.post("/documents/{document_id}/void", response_model=DocumentRead, responses=errors(404, 409))
def void_case_document(session: DbSession, principal: Voider, document_id: Id, body: DocumentVoid) -> DocumentRead:
    """作废: withdraw a document issued in error, with the reason. It keeps its number and its page (stamped void);
    the case history records it. The same reason again answers with it; another reason is a 409."""
    item = documents.void_document(session, document_id=document_id, reason=body.reason,
                                   user_id=principal.user_id, role=principal.role)
    session.commit()
    return DocumentRead.model_validate(item)
