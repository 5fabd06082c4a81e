"""The zones' officers, noise classes and responsible units in the staff console (``/admin/zones``, admin),
changed by ``zones.service.update_zone`` as the API's PATCH changes them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession
from ecogrid.core import value_ranges
from ecogrid.core.errors import DomainError
from ecogrid.core.models import User, Zone
from ecogrid.zones import service as zone_service

router = APIRouter(include_in_schema=False)

Admin = Annotated[console.Page, Depends(console.console_page())]
LEVELS = ("district", "street")  # grids are many and generated: set from their street, or by the API


def zones_page(session: Session, page: console.Page, *, status: int = 200,
               errors: dict[str, str] | None = None) -> Response:
    zones = list(session.scalars(select(Zone).where(Zone.level.in_(LEVELS)).order_by(Zone.level, Zone.code)))
    officers = list(session.scalars(select(User).where(User.role.in_(("chief", "admin")), User.active.is_(True))
                                    .order_by(User.username)))
    return console.render(page, "zones.html", status=status, zones=zones, officers=officers,
                          noise_classes=zone_service.NOISE_CLASSES, errors=errors or {})


@router.get("/admin/zones")
def zones(session: DbSession, page: Admin) -> Response:
    return zones_page(session, page)


@router.post("/admin/zones/{code}")
def update(code: str, session: DbSession, page: Admin, form: console.PostedForm) -> Response:
    changes: dict[str, Any] = {}
    try:
        officer = console.form_text(form, "officer_id")
        changes["officer_id"] = None if officer is None else value_ranges.parse_id(officer, field="officer_id")
        changes["noise_class"] = console.form_text(form, "noise_class")
        changes["responsible_unit"] = console.form_text(form, "responsible_unit")
        zone_service.update_zone(session, code=code, changes=changes)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return zones_page(session, page, status=422, errors={f"{code}:{exc.field}": page.error_text(exc)})
    return RedirectResponse("/admin/zones", status_code=303)
