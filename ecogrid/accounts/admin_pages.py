"""Administration in the staff console (admin only): ``/admin`` lists users and API keys, creates them,
deactivates a user; the zones' officers and noise classes are at ``/admin/zones`` (``ecogrid.zones.pages``).
Every change is ``ecogrid.accounts.service``; a new API key is shown once, as the CLI shows it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession
from ecogrid.accounts import service as user_service
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.models import ApiKey, User
from ecogrid.core.vocabulary import Role

router = APIRouter(include_in_schema=False)

Admin = Annotated[console.Page, Depends(console.console_page())]


def admin_page(session: Session, page: console.Page, *, status: int = 200, errors: dict[str, str] | None = None,
               typed: Any = None, new_key: str | None = None) -> Response:
    users = list(session.scalars(select(User).order_by(User.role, User.username)))
    keys = list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
    return console.render(page, "admin.html", status=status, users=users, keys=keys, roles=[r.value for r in Role],
                          errors=errors or {}, typed=typed or {}, new_key=new_key)


@router.get("/admin")
def admin(session: DbSession, page: Admin) -> Response:
    return admin_page(session, page)


@router.post("/admin/users")
def create_user(session: DbSession, page: Admin, form: console.PostedForm) -> Response:
    text = console.form_text
    try:
        user_service.create(session, username=text(form, "username") or "", role=text(form, "role") or "",
                            password=str(form.get("password") or ""), full_name=text(form, "full_name"),
                            phone=text(form, "phone"), team=text(form, "team"))
        session.commit()
    except DomainError as exc:
        session.rollback()
        return admin_page(session, page, status=422, errors={exc.field or "username": page.error_text(exc)},
                          typed={k: v for k, v in form.items() if k != "password"})
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/deactivate")
def deactivate_user(session: DbSession, page: Admin, form: console.PostedForm) -> Response:
    try:
        user_service.deactivate(session, username=console.form_text(form, "username") or "")
        session.commit()
    except DomainError as exc:
        session.rollback()
        return admin_page(session, page, status=422, errors={"deactivate": page.error_text(exc)})
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/keys")
def create_key(session: DbSession, page: Admin, form: console.PostedForm) -> Response:
    try:
        role = console.form_text(form, "role") or Role.clerk.value
        if role not in Role.__members__:
            raise InvalidInput(f"unknown role {role!r}", field="key_role")
        _, key = user_service.create_api_key(session, name=console.form_text(form, "name") or "", role=role)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return admin_page(session, page, status=422, errors={"key_" + (exc.field or "name"): page.error_text(exc)})
    return admin_page(session, page, status=201, new_key=key)
