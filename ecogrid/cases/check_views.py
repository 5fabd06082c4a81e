"""Post-enforcement checks (执法后督察): scheduled on a case, listed as the inspector's tasks, recorded done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import DbSession, Principal, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.cases import checks
from ecogrid.cases.check_schemas import CheckCreate, CheckDone, CheckList, CheckRead

router = APIRouter(prefix="/api/v1", tags=["cases"])

Chief = Annotated[Principal, Depends(require_roles("chief"))]
Staff = Annotated[Principal, Depends(require_roles("chief", "inspector"))]
Inspector = Annotated[Principal, Depends(require_roles("inspector"))]


@router.post("/cases/{case_id}/checks", response_model=CheckRead, status_code=201,
             responses={200: {"model": CheckRead, "description": "already scheduled (same day and inspector)"},
                        **errors(404, 409)})
def schedule_case_check(session: DbSession, principal: Chief, case_id: Id, body: CheckCreate,
                        response: Response) -> CheckRead:
    """Schedule a post-enforcement check of a concluded or closed case: the day and the inspector who goes."""
    item, created = checks.schedule_check(session, case_id=case_id, due_on=body.due_on, assignee_id=body.assignee_id,
                                          note=body.note, user_id=principal.user_id, role=principal.role)
    session.commit()
    if not created:
        response.status_code = 200
    return CheckRead.model_validate(item)


@router.get("/cases/{case_id}/checks", response_model=CheckList, responses=errors(404))
def list_case_checks(session: DbSession, principal: Staff, case_id: Id) -> CheckList:
    """The case's post-enforcement checks, by day (an inspector: only their own)."""
    items = checks.list_checks(session, case_id=case_id, user_id=principal.user_id, role=principal.role)
    return CheckList.model_validate({"items": items, "total": len(items)})


@router.get("/checks", response_model=CheckList)
def list_checks(session: DbSession, principal: Staff,
                assignee_id: Annotated[Id | None, Query(description="a chief: one inspector's checks")] = None,
                open: Annotated[bool, Query(description="only the checks not done yet")] = False) -> CheckList:
    """Post-enforcement checks by day: an inspector's are their task list."""
    items = checks.list_checks(session, user_id=principal.user_id, role=principal.role, assignee_id=assignee_id,
                               open_only=open)
    return CheckList.model_validate({"items": items, "total": len(items)})


@router.post("/checks/{check_id}/done", response_model=CheckRead, responses=errors(404, 409))
def complete_check(session: DbSession, principal: Inspector, check_id: Id, body: CheckDone) -> CheckRead:
    """The inspector sent records what the check found."""
    item = checks.complete_check(session, check_id=check_id, finding=body.finding, user_id=principal.user_id,
                                 role=principal.role)
    session.commit()
    return CheckRead.model_validate(item)
