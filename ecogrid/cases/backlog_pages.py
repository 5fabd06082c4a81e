"""The backlog ledger (信访积案) in the staff console: ``/backlog`` with its filters in the address, the chiefs'
decisions (list a case, take it off, with the reason), and naming a case's owning leader (领导包案) from the
case page. Everything is ``ecogrid.cases.ownership``, the service the API uses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession, SettingsDep
from api.params import MAX_OFFSET, Id
from ecogrid.cases import ownership, rules
from ecogrid.cases.case_pages import case_page
from ecogrid.cases.pages import PAGE_SIZES, actor_of
from ecogrid.core import value_ranges
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.models import User, Zone

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("chief", "planner", "clerk"))]
Leader = Annotated[console.Page, Depends(console.console_page("chief"))]  # admin always
DECIDERS = frozenset({"chief"})


def _flag(value: str | None) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get(value or "")


def _whole(value: str | None, *, name: str, default: int, high: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 0 <= int(value) <= high:
        raise InvalidInput(f"{name} is a whole number from 0 to {high}", field=name)
    return int(value)


def leaders(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_(ownership.LEADERS), User.active.is_(True))
                                .order_by(User.role.desc(), User.username)))


def backlog_page(session: Session, settings: Any, page: console.Page, *, status: int = 200,
                 errors: dict[str, str] | None = None, typed: Any = None) -> Response:
    query = page.request.query_params
    params = {name: query.get(name, "").strip() for name in ("focused", "chronic", "owner", "limit", "offset")}
    shown_errors = dict(errors or {})
    items: list[dict[str, Any]] = []
    total = limit = offset = 0
    try:
        limit = _whole(params["limit"], name="limit", default=50, high=max(PAGE_SIZES)) or 50
        offset = _whole(params["offset"], name="offset", default=0, high=MAX_OFFSET)
        owner_id = ownership.resolve_owner(params["owner"] or None, actor=actor_of(page))
        items, total = ownership.backlog_ledger(session, focused=_flag(params["focused"]), owner_id=owner_id,
                                                chronic=_flag(params["chronic"]), limit=limit, offset=offset,
                                                yellow_fraction=settings.deadline_yellow_fraction)
    except DomainError as exc:
        shown_errors[exc.field or "owner"] = page.error_text(exc)
    zones = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({i["zone_id"] for i in items if i["zone_id"]} or {-1}))).all())
    may_decide = page.sees(DECIDERS)
    return console.render(
        page, "backlog.html", status=422 if shown_errors and status == 200 else status, items=items, total=total,
        params={k: v for k, v in params.items() if v and k != "offset"}, offset=offset, limit=limit or 50,
        zones=zones, threshold=rules.CHRONIC_COMPLAINTS, may_decide=may_decide,
        leaders=leaders(session) if may_decide else [], errors=shown_errors, typed=typed or {},
        done=query.get("done"))


@router.get("/backlog")
def backlog(session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return backlog_page(session, settings, page)


def _case_id(form: Any) -> int:
    value = console.form_text(form, "case_id")
    if value is None:
        raise InvalidInput("give the case number", field="case_id")
    return value_ranges.parse_id(value.lstrip("#"), field="case_id")


def _reason(form: Any) -> str:
    value = console.form_text(form, "reason")
    if value is None:
        raise InvalidInput("give the reason of the decision", field="reason")
    return value


@router.post("/backlog")
def put_on_backlog(session: DbSession, settings: SettingsDep, page: Leader, form: console.PostedForm) -> Response:
    """列入积案 (or change the reason, owner, focus of a listed case): a recorded decision."""
    try:
        chosen = console.form_text(form, "owner_id")
        ownership.list_on_backlog(
            session, case_id=_case_id(form), reason=_reason(form), actor=actor_of(page),
            owner_id=value_ranges.parse_id(chosen, field="owner_id") if chosen else None,
            focused=console.form_text(form, "focused") == "1")
    except DomainError as exc:
        session.rollback()
        return backlog_page(session, settings, page, status=422, errors={exc.field or "case_id": page.error_text(exc)},
                            typed=form)
    return RedirectResponse("/backlog?done=listed", status_code=303)


@router.post("/backlog/leave")
def take_off_backlog(session: DbSession, settings: SettingsDep, page: Leader, form: console.PostedForm) -> Response:
    """移出积案, with the reason: a recorded decision."""
    try:
        ownership.leave_backlog(session, case_id=_case_id(form), reason=_reason(form), actor=actor_of(page))
    except DomainError as exc:
        session.rollback()
        return backlog_page(session, settings, page, status=422,
                            errors={f"leave:{exc.field or 'case_id'}": page.error_text(exc)}, typed=form)
    return RedirectResponse("/backlog?done=left", status_code=303)


@router.post("/cases/{case_id}/owner")
def own(case_id: Id, session: DbSession, settings: SettingsDep, page: Leader, form: console.PostedForm) -> Response:
    """包案: name the leader who owns the case (recorded in its history)."""
    try:
        chosen = console.form_text(form, "user_id")
        if chosen is None:
            raise InvalidInput("choose the leader who owns the case", field="user_id")
        ownership.assign_owner(session, case_id=case_id, user_id=value_ranges.parse_id(chosen, field="user_id"),
                               actor=actor_of(page))
    except DomainError as exc:
        session.rollback()
        return case_page(session, settings, page, case_id, status=422, errors={"owner": page.error_text(exc)},
                         open_action="owner", typed=form)
    return RedirectResponse(f"/cases/{case_id}?done=own", status_code=303)
