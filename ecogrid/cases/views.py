"""Cases: the ledger list, one case with its history, workflow actions, the supervision ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from api.deps import CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.params import Day, Id, Moment, Offset
from ecogrid.cases import service as casework
from ecogrid.cases.states import Action

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

STAFF = ("chief", "planner", "inspector", "clerk")


def actor_of(principal: Principal) -> casework.Actor:
    return casework.Actor(user_id=principal.user_id, name=principal.name, role=principal.role)


def case_filters(
    principal: CurrentPrincipal,
    zone: Annotated[str | None, Query(description="zone code: that zone and every zone in it")] = None,
    zone_id: Annotated[Id | None, Query(description="zone id (as in each case's zone_id)")] = None,
    category: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    assigned_to: Annotated[str | None, Query(description="a user id, or 'me'")] = None,
    overdue: bool | None = None,
    colour: Annotated[str | None, Query(description="progress colour: green, blue, yellow, red")] = None,
    opened_from: Day | None = None,
    opened_to: Day | None = None,
    updated_since: Annotated[Moment | None, Query(description="only cases changed (a step, an edit) at or after "
                                                              "this time: a change feed")] = None,
) -> casework.CaseFilters:
    return casework.CaseFilters(
        zone_id=zone_id, zone=zone or None, category=category, status=status, channel=channel,
        assigned_to=casework.resolve_assigned(assigned_to, actor=actor_of(principal)), overdue=overdue,
        colour=colour, opened_from=opened_from, opened_to=opened_to,
        updated_since=updated_since)


Filters = Annotated[casework.CaseFilters, Depends(case_filters)]


@router.get("")
def list_cases(session: DbSession, settings: SettingsDep,
               principal: Annotated[Principal, Depends(require_roles(*STAFF))],
               filters: Filters, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
               offset: Offset = 0) -> dict[str, Any]:
    """The ledger; an inspector's list holds only the cases dispatched to them or their team."""
    items, total = casework.list_cases(session, filters=filters, limit=limit, offset=offset,
                                       yellow_fraction=settings.deadline_yellow_fraction,
                                       viewer=actor_of(principal))
    return {"items": items, "total": total}


@router.get("/ledger/supervision")
def supervision_ledger(session: DbSession, settings: SettingsDep,
                       _: Annotated[Principal, Depends(require_roles("chief", "clerk", "planner"))],
                       zone: Annotated[str | None, Query(description="zone code")] = None,
                       zone_id: Id | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                       offset: Offset = 0) -> dict[str, Any]:
    items, total = casework.supervision_ledger(session, zone_id=zone_id, zone=zone or None, limit=limit,
                                               offset=offset,
                                               yellow_fraction=settings.deadline_yellow_fraction)
    return {"items": items, "total": total}


@router.get("/{case_id}")
def read_case(session: DbSession, settings: SettingsDep,
              principal: Annotated[Principal, Depends(require_roles(*STAFF))], case_id: Id) -> dict[str, Any]:
    body = casework.get_case(session, case_id=case_id, viewer=actor_of(principal),
                             yellow_fraction=settings.deadline_yellow_fraction)
    session.commit()  # the audit entry of an unmasked read
    return body


@router.post("/{case_id}/supervise")
def supervise(session: DbSession, principal: Annotated[Principal, Depends(require_roles("chief"))], case_id: Id,
              user_id: Annotated[Id, Body(embed=True)]) -> dict[str, Any]:
    return casework.assign_supervisor(session, case_id=case_id, user_id=user_id, actor=actor_of(principal))


def _action_endpoint(action: Action) -> Callable[..., dict[str, Any]]:
    def take_action(session: DbSession, principal: CurrentPrincipal, case_id: Id,
                    payload: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
        return casework.act(session, case_id=case_id, action=action.value, payload=payload,
                            actor=actor_of(principal))

    return take_action


# One route per action (not a catch-all /{action}), so other case sub-resources such as
# /{id}/suspects and /{id}/source are never swallowed, and the API docs list each action.
for _action in Action:
    router.add_api_route(
        f"/{{case_id}}/{_action.value}", _action_endpoint(_action), methods=["POST"],
        name=f"case_{_action.value}", summary=f"{_action.value} a case",
        description="Roles per action: clerk accepts, rejects, answers, revisits, closes; chief dispatches and "
        "extends; inspector starts, rectifies, replies (admin may do all). An inspector acts only on cases "
        "dispatched to them or their team (404 for any other), a chief only on cases in their zones (403). "
        "409 with the reason when the action is not possible now; 422 naming the payload field.",
    )
