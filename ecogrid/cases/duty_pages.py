"""The duty roster (值班) in the staff console: ``/duty`` for chiefs (and admin).

The page shows who is on duty now (and whether now is out of hours), the roster from a week back on, the
urgent complaints received out of hours that intake recorded for the person on duty, and a form adding a
roster entry. Everything is ``ecogrid.cases.duty``, the service the API uses; the form's fields are read by
the API's own request model (``DutyShiftCreate``: a time without an offset is Beijing time), so a refusal
names the same field the API would, on the console's error page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from api import console
from api.deps import DbSession, SettingsDep
from ecogrid.calendar import service as calendar_service
from ecogrid.cases import duty
from ecogrid.cases.duty_schemas import DutyShiftCreate
from ecogrid.core import time as clock
from ecogrid.core.errors import DomainError

router = APIRouter(include_in_schema=False)

Keeper = Annotated[console.Page, Depends(console.console_page("chief"))]  # admin always
ROSTER_BACK = timedelta(days=7)
ROSTER_SHOWN = 200


@router.get("/duty")
def roster(session: DbSession, settings: SettingsDep, page: Keeper) -> Response:
    moment = clock.now()
    current = duty.on_duty(session, at=moment)
    shifts, total = duty.list_shifts(session, start=moment - ROSTER_BACK, end=None, user_id=None,
                                     limit=ROSTER_SHOWN, offset=0)
    return console.render(
        page, "duty.html", shifts=shifts, total=total, now=moment.astimezone(clock.BEIJING),
        current=duty.describe(current, duty.user_name(session, current.user_id)) if current is not None else None,
        out_of_hours=duty.out_of_hours(moment, office_start=settings.duty_office_start,
                                       office_end=settings.duty_office_end,
                                       calendar=calendar_service.current(session)),
        recorded=duty.recorded_cases(session), people=duty.rostered_people(session),
        office=(settings.duty_office_start, settings.duty_office_end), done=page.request.query_params.get("done"))


@router.post("/duty")
def add_shift(session: DbSession, page: Keeper, form: console.PostedForm) -> Response:
    """排班: one roster entry, through ``duty.add_shift`` (the same entry again is stored once)."""
    try:
        body = console.form_model(DutyShiftCreate, {
            name: console.form_text(form, name) for name in ("user_id", "starts_at", "ends_at", "note")})
        _, created = duty.add_shift(session, user_id=body.user_id, starts_at=body.starts_at, ends_at=body.ends_at,
                                    note=body.note, created_by_id=page.principal.user_id)
    except DomainError as exc:
        session.rollback()
        if exc.field == "user_id":  # on this form the person chosen is the one on duty, not a case's assignee
            exc.field = "duty_user_id"
        raise
    return RedirectResponse(f"/duty?done={'added' if created else 'same'}", status_code=303)
