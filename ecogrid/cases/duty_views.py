"""The duty roster (值班): entries kept by admin and chiefs; who is on duty now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Id, Moment, Offset
from ecogrid.calendar import service as calendar_service
from ecogrid.cases import duty
from ecogrid.cases.duty_schemas import DutyShiftCreate, DutyShiftList, DutyShiftRead, OnDuty
from ecogrid.core import time as clock

router = APIRouter(prefix="/api/v1/duty-roster", tags=["duty roster"])

Keeper = Annotated[Principal, Depends(require_roles("chief"))]  # admin always
Reader = Annotated[Principal, Depends(require_roles("chief", "clerk", "planner", "inspector"))]


@router.post("", status_code=201, response_model=DutyShiftRead, operation_id="create_duty_shift",
             responses={200: {"model": DutyShiftRead, "description": "the same entry again: the first one"}})
def create_shift(body: DutyShiftCreate, session: DbSession, principal: Keeper) -> JSONResponse:
    """Put a person on duty from ``starts_at`` to ``ends_at``. The same person and times again answer 200 with
    the first entry (stored once). 422 naming the field: an unknown or inactive user, a planner, an end not
    after the start, more than 31 days."""
    shift, created = duty.add_shift(session, user_id=body.user_id, starts_at=body.starts_at, ends_at=body.ends_at,
                                    note=body.note, created_by_id=principal.user_id)
    return JSONResponse(DutyShiftRead.model_validate(shift).model_dump(mode="json"),
                        status_code=201 if created else 200)


@router.get("", response_model=DutyShiftList, operation_id="list_duty_shifts")
def list_shifts(session: DbSession, _: Reader,
                start: Annotated[Moment | None, Query(alias="from", description="entries ending after this")] = None,
                end: Annotated[Moment | None, Query(alias="to", description="entries starting before this")] = None,
                user_id: Id | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Offset = 0) -> DutyShiftList:
    items, total = duty.list_shifts(session, start=start, end=end, user_id=user_id, limit=limit, offset=offset)
    return DutyShiftList.model_validate({"items": items, "total": total})


@router.get("/now", response_model=OnDuty, operation_id="read_on_duty")
def on_duty(session: DbSession, settings: SettingsDep, _: Reader,
            at: Annotated[Moment | None, Query(description="the moment (now by default)")] = None) -> OnDuty:
    moment = at or clock.now()
    shift = duty.on_duty(session, at=moment)
    return OnDuty.model_validate({
        "at": clock.rfc3339(moment),
        "out_of_hours": duty.out_of_hours(moment, office_start=settings.duty_office_start,
                                          office_end=settings.duty_office_end,
                                          calendar=calendar_service.current(session)),
        "shift": duty.describe(shift, duty.user_name(session, shift.user_id)) if shift is not None else None})


@router.delete("/{shift_id}", status_code=204, operation_id="delete_duty_shift", responses=errors(404))
def delete_shift(shift_id: Id, session: DbSession, _: Keeper) -> Response:
    duty.delete_shift(session, shift_id=shift_id)
    return Response(status_code=204)
