"""Revisit tasks (回访) in the staff console: ``/revisit-tasks``, the clerk's list of complainants to call back,
with a task marked done by a note. Recording a contact on the case page does it too. Everything is
``ecogrid.cases.revisit_tasks``, the service the API uses; the workspace's count is the same list's total."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession, SettingsDep
from api.params import MAX_OFFSET, Id
from ecogrid.cases import revisit_tasks
from ecogrid.cases.pages import PAGE_SIZES, _day, _int
from ecogrid.core.errors import DomainError
from ecogrid.core.time import day_of

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page(*sorted(revisit_tasks.READERS - {"admin"})))]


def tasks_page(session: Session, settings: Any, page: console.Page, *, status: int = 200,
               errors: dict[str, str] | None = None, typed: Any = None) -> Response:
    query = page.request.query_params
    params = {name: query.get(name, "").strip() for name in ("kind", "due_by", "done", "limit", "offset")}
    shown_errors = dict(errors or {})
    items: list[dict[str, Any]] = []
    total = offset = 0
    limit = 50
    try:
        kind = params["kind"] or None
        due_by = _day(params["due_by"], "due_by")
        limit = _int(params["limit"], default=50, name="limit", low=1, high=max(PAGE_SIZES))
        offset = _int(params["offset"], default=0, name="offset", low=0, high=MAX_OFFSET)
        items, total = revisit_tasks.list_tasks(session, settings=settings, user_id=page.principal.user_id,
                                                role=page.role, open_only=params["done"] != "1", kind=kind,
                                                due_by=due_by, limit=limit, offset=offset)
    except DomainError as exc:
        shown_errors[exc.field or "kind"] = page.error_text(exc)
    return console.render(
        page, "revisit_tasks.html", status=422 if shown_errors and status == 200 else status, items=items,
        total=total, params={k: v for k, v in params.items() if v and k != "offset"}, offset=offset, limit=limit,
        kinds=revisit_tasks.KIND_LABELS, today=day_of(datetime.now(UTC)), errors=shown_errors, typed=typed or {},
        flash=query.get("flash"))


@router.get("/revisit-tasks")
def revisit_task_list(session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return tasks_page(session, settings, page)


@router.post("/revisit-tasks/{task_id}/done")
def revisit_task_done(task_id: Id, session: DbSession, settings: SettingsDep, page: Reader,
                      form: console.PostedForm) -> Response:
    """回访完成: the task is done with the note of what was said (a contact logged on the case does it too)."""
    try:
        revisit_tasks.complete(session, task_id=task_id, contact_id=None, note=console.form_text(form, "note"),
                               user_id=page.principal.user_id, role=page.role)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return tasks_page(session, settings, page, status=422,
                          errors={f"{task_id}:{exc.field or 'note'}": page.error_text(exc)}, typed=form)
    return RedirectResponse("/revisit-tasks?flash=done", status_code=303)
