"""Cases: the ledger list, one case with its history, workflow actions, the supervision ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from api.deps import CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Day, Id, Moment, Offset
from ecogrid.cases import ownership, receipts
from ecogrid.cases import service as casework
from ecogrid.cases.schemas import (
    ACTION_BODIES,
    AcceptBody,
    ActionBody,
    AnswerBody,
    CaseList,
    CaseRead,
    CaseSummary,
    CloseBody,
    CohandleBody,
    DispatchBody,
    ExtendBody,
    HandoverBody,
    RectifyBody,
    RejectBody,
    ReplyBody,
    ReturnBody,
    RevisitBody,
    StartBody,
    SupervisionList,
    SupervisorAssign,
    TransferBody,
    payload_of,
)
from ecogrid.cases.states import ROLES_FOR_ACTION, Action

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
    owner: Annotated[str | None, Query(description="owned by this leader (领导包案): a user id, or 'me'")] = None,
    owned: Annotated[bool | None, Query(description="owned by a leader (true) or by none (false)")] = None,
    cross_district: Annotated[bool | None, Query(description="跨区: 1 for the cases whose confirmed source lies in "
                                                             "another district, 0 for the others")] = None,
) -> casework.CaseFilters:
    return casework.CaseFilters(
        zone_id=zone_id, zone=zone or None, category=category, status=status, channel=channel,
        assigned_to=casework.resolve_assigned(assigned_to, actor=actor_of(principal)), overdue=overdue,
        colour=colour, opened_from=opened_from, opened_to=opened_to,
        updated_since=updated_since, owner_id=ownership.resolve_owner(owner, actor=actor_of(principal)),
        owned=owned, cross_district=cross_district)


Filters = Annotated[casework.CaseFilters, Depends(case_filters)]


@router.get("", response_model=CaseList)
def list_cases(session: DbSession, settings: SettingsDep,
               principal: Annotated[Principal, Depends(require_roles(*STAFF))],
               filters: Filters, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
               offset: Offset = 0) -> CaseList:
    """The ledger; an inspector's list holds only the cases dispatched to them or their team."""
    items, total = casework.list_cases(session, filters=filters, limit=limit, offset=offset,
                                       yellow_fraction=settings.deadline_yellow_fraction,
                                       viewer=actor_of(principal))
    return CaseList.model_validate({"items": items, "total": total})


@router.get("/ledger/supervision", response_model=SupervisionList)
def supervision_ledger(session: DbSession, settings: SettingsDep,
                       _: Annotated[Principal, Depends(require_roles("chief", "clerk", "planner"))],
                       zone: Annotated[str | None, Query(description="zone code")] = None,
                       zone_id: Id | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                       offset: Offset = 0) -> SupervisionList:
    """督办台账: open cases unsatisfied at their last revisit after two or more handlings."""
    items, total = casework.supervision_ledger(session, zone_id=zone_id, zone=zone or None, limit=limit,
                                               offset=offset,
                                               yellow_fraction=settings.deadline_yellow_fraction)
    return SupervisionList.model_validate({"items": items, "total": total})


@router.get("/{case_id}", response_model=CaseRead, responses=errors(404))
def read_case(session: DbSession, settings: SettingsDep,
              principal: Annotated[Principal, Depends(require_roles(*STAFF))], case_id: Id) -> CaseRead:
    """One case; complainants' names and phones unmasked (and the reading audited) for clerk and chief."""
    body = casework.get_case(session, case_id=case_id, viewer=actor_of(principal),
                             yellow_fraction=settings.deadline_yellow_fraction)
    session.commit()  # the audit entry of an unmasked read
    return CaseRead.model_validate(body)


@router.post("/{case_id}/supervise", response_model=CaseSummary, responses=errors(404))
def supervise_case(session: DbSession, principal: Annotated[Principal, Depends(require_roles("chief"))],
                   case_id: Id, body: SupervisorAssign) -> CaseSummary:
    """Name the chief who owns a supervision-ledger item (recorded in the case history)."""
    return CaseSummary.model_validate(casework.assign_supervisor(session, case_id=case_id, user_id=body.user_id,
                                                                 actor=actor_of(principal)))


# ---------------------------------------------------------------- workflow actions
# One route per action (not a catch-all /{action}): other case sub-resources such as /{id}/suspects are
# never swallowed, and each action has its own body model, example and operation id (``dispatch_case``).

ACTION_RESPONSES = errors(404, 409)
_WHO = ("An inspector acts only on cases dispatched to them or their team (404 for any other), a chief only on "
        "cases in their zones (403). 409 with the reason when the action is not possible in the case's status; "
        "422 naming the body field. With a `client_id` the action is taken once: a retry with the same id answers "
        "the first answer again; the same id with another case, action or body is a 409 naming `client_id`.")


def _act(session: DbSession, principal: Principal, case_id: int, action: Action, body: ActionBody) -> CaseSummary:
    if body.client_id is not None:
        # Sent from a queue that retries (the inspector's phone): taken once, a retry answered alike.
        answer, _taken = receipts.act_once(session, case_id=case_id, action=action.value, payload=payload_of(body),
                                           actor=actor_of(principal), client_id=body.client_id)
        return CaseSummary.model_validate(answer)
    return CaseSummary.model_validate(casework.act(session, case_id=case_id, action=action.value,
                                                   payload=payload_of(body), actor=actor_of(principal)))


def _action_route(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    roles = ", ".join(sorted(r.value for r in ROLES_FOR_ACTION[action]))
    doc = (ACTION_BODIES[action].__doc__ or "").strip()
    return router.post(f"/{{case_id}}/{action.value}", response_model=CaseSummary, responses=ACTION_RESPONSES,
                       name=f"{action.value}_case", summary=f"{action.value} a case",
                       description=f"{doc}\n\nRoles: {roles}. {_WHO}")


@_action_route(Action.accept)
def accept_case(session: DbSession, principal: CurrentPrincipal, case_id: Id,
                body: Annotated[AcceptBody, Body(default_factory=AcceptBody)]) -> CaseSummary:
    return _act(session, principal, case_id, Action.accept, body)


@_action_route(Action.reject)
def reject_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: RejectBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.reject, body)


@_action_route(Action.dispatch)
def dispatch_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: DispatchBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.dispatch, body)


@_action_route(Action.start)
def start_case(session: DbSession, principal: CurrentPrincipal, case_id: Id,
               body: Annotated[StartBody, Body(default_factory=StartBody)]) -> CaseSummary:
    return _act(session, principal, case_id, Action.start, body)


@_action_route(Action.rectify)
def rectify_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: RectifyBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.rectify, body)


@_action_route(Action.reply)
def reply_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: ReplyBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.reply, body)


@_action_route(Action.revisit)
def revisit_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: RevisitBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.revisit, body)


@_action_route(Action.close)
def close_case(session: DbSession, principal: CurrentPrincipal, case_id: Id,
               body: Annotated[CloseBody, Body(default_factory=CloseBody)]) -> CaseSummary:
    return _act(session, principal, case_id, Action.close, body)


@_action_route(Action.extend)
def extend_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: ExtendBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.extend, body)


@_action_route(Action.answer)
def answer_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: AnswerBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.answer, body)


@_action_route(Action.return_)
def return_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: ReturnBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.return_, body)


@_action_route(Action.transfer)
def transfer_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: TransferBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.transfer, body)


@_action_route(Action.handover)
def handover_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: HandoverBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.handover, body)


@_action_route(Action.cohandle)
def cohandle_case(session: DbSession, principal: CurrentPrincipal, case_id: Id, body: CohandleBody) -> CaseSummary:
    return _act(session, principal, case_id, Action.cohandle, body)
