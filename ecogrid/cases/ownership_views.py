"""Leader ownership (领导包案) and the backlog ledger (信访积案): the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Id, Offset
from ecogrid.cases import ownership
from ecogrid.cases.ownership_schemas import (
    BacklogCreate,
    BacklogItem,
    BacklogLeave,
    BacklogList,
    OwnedCase,
    OwnerAssign,
)
from ecogrid.cases.views import actor_of

router = APIRouter(tags=["cases"])

Leader = Annotated[Principal, Depends(require_roles("chief"))]  # admin always
Reader = Annotated[Principal, Depends(require_roles("chief", "clerk", "planner"))]
_WHO = ("Chief or admin; a chief only on cases in their zones (403). 422 naming the field for a bad body or an "
        "owner who is not an active chief or admin. The same request again changes and records nothing more.")


@router.post("/api/v1/cases/{case_id}/owner", response_model=OwnedCase, responses=errors(404),
             description=f"包案: name the leader who owns the case to the end (an `own` event in its history). {_WHO}")
def own_case(session: DbSession, principal: Leader, case_id: Id, body: OwnerAssign) -> OwnedCase:
    return OwnedCase.model_validate(ownership.assign_owner(session, case_id=case_id, user_id=body.user_id,
                                                           actor=actor_of(principal)))


@router.post("/api/v1/cases/{case_id}/backlog", response_model=BacklogItem, responses=errors(404),
             description="信访积案: put the case on the backlog ledger, or change its reason, owner or focused-drive "
                         f"flag (a `backlog` event with the reason). {_WHO}")
def list_on_backlog(session: DbSession, principal: Leader, case_id: Id, body: BacklogCreate) -> BacklogItem:
    return BacklogItem.model_validate(ownership.list_on_backlog(
        session, case_id=case_id, reason=body.reason, owner_id=body.owner_id, focused=body.focused,
        actor=actor_of(principal)))


@router.post("/api/v1/cases/{case_id}/backlog/leave", response_model=BacklogItem, responses=errors(404, 409),
             description="Take the case off the backlog ledger (a `backlog_leave` event with the reason); 409 when "
                         f"it is not on it. {_WHO}")
def leave_backlog(session: DbSession, principal: Leader, case_id: Id, body: BacklogLeave) -> BacklogItem:
    return BacklogItem.model_validate(ownership.leave_backlog(session, case_id=case_id, reason=body.reason,
                                                              actor=actor_of(principal)))


@router.get("/api/v1/backlog", response_model=BacklogList, tags=["backlog"])
def backlog_ledger(session: DbSession, settings: SettingsDep, principal: Reader,
                   focused: Annotated[bool | None, Query(description="in a focused drive (集中攻坚)")] = None,
                   owner: Annotated[str | None, Query(description="the owning leader's user id, or 'me'")] = None,
                   chronic: Annotated[bool | None, Query(description="chronic repeats (5+ complaints) only, "
                                                                     "or the others")] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Offset = 0) -> BacklogList:
    """信访积案台账: cases a chief put on the ledger and chronic repeats (5+ complaints) no decision took off;
    focused drives first, then the most complaints."""
    items, total = ownership.backlog_ledger(
        session, focused=focused, owner_id=ownership.resolve_owner(owner, actor=actor_of(principal)),
        chronic=chronic, limit=limit, offset=offset, yellow_fraction=settings.deadline_yellow_fraction)
    return BacklogList.model_validate({"items": items, "total": total})
