"""Post-enforcement checks (执法后督察) from the console's case page: a chief (or admin) schedules one on a
dealt-with case; the inspector sent (or admin) records what it found. Both go through ``ecogrid.cases.checks``,
the service the API uses, with the fields read by the API's own request models (``CheckCreate``, ``CheckDone``);
a refusal is the console's error page naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from api import console
from api.deps import DbSession
from api.params import Id
from ecogrid.cases import checks
from ecogrid.cases.check_schemas import CheckCreate, CheckDone
from ecogrid.core.errors import DomainError

router = APIRouter(include_in_schema=False)

Chief = Annotated[console.Page, Depends(console.console_page("chief"))]  # admin always
Inspector = Annotated[console.Page, Depends(console.console_page("inspector"))]  # admin always


@router.post("/cases/{case_id}/checks")
def schedule_check(case_id: Id, session: DbSession, page: Chief, form: console.PostedForm) -> Response:
    try:
        body = console.form_model(CheckCreate, {
            name: console.form_text(form, name) for name in ("due_on", "assignee_id", "note")})
        checks.schedule_check(session, case_id=case_id, due_on=body.due_on, assignee_id=body.assignee_id,
                              note=body.note, user_id=page.principal.user_id, role=page.role)
        session.commit()
    except DomainError:
        session.rollback()
        raise
    return RedirectResponse(f"/cases/{case_id}?done=schedule_check#post-checks", status_code=303)


@router.post("/checks/{check_id}/done")
def complete_check(check_id: Id, session: DbSession, page: Inspector, form: console.PostedForm) -> Response:
    try:
        body = console.form_model(CheckDone, {"finding": console.form_text(form, "finding")})
        item = checks.complete_check(session, check_id=check_id, finding=body.finding,
                                     user_id=page.principal.user_id, role=page.role)
        session.commit()
    except DomainError:
        session.rollback()
        raise
    return RedirectResponse(f"/cases/{item['case_id']}?done=check#post-checks", status_code=303)
