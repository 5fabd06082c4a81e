"""Suspected sources of a case (倒查污染源) and confirming the real one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentPrincipal, DbSession, Principal, SettingsDep, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.core import authorization
from ecogrid.core.time import rfc3339
from ecogrid.sources import suspects as suspect_service
from ecogrid.sources.schemas import SourceConfirm, SourceConfirmed, SuspectRanking

router = APIRouter(prefix="/api/v1/cases", tags=["suspects"])


def ranking_dict(ranking: suspect_service.SuspectRanking) -> dict[str, Any]:
    wind = ranking.wind
    return {
        "case_id": ranking.case_id, "category": ranking.category, "radius_m": ranking.radius_m,
        "weights": ranking.weights, "candidates": ranking.candidates, "wind_used": ranking.wind_used,
        "wind": None if wind is None else {**asdict(wind), "observed_at": rfc3339(wind.observed_at)},
        "confirmed_source": ranking.confirmed_source,
        "items": [asdict(s) for s in ranking.suspects], "total": len(ranking.suspects),
    }


@router.get("/{case_id}/suspects", response_model=SuspectRanking, responses=errors(404))
def list_case_suspects(case_id: Id, session: DbSession, settings: SettingsDep, principal: CurrentPrincipal,
                       limit: Annotated[int | None, Query(ge=1, le=200)] = None) -> SuspectRanking:
    """The sources most likely behind the case (倒查污染源), best first, each with its reasons."""
    authorization.check_sees_case(session, case_id=case_id, user_id=principal.user_id, role=principal.role)
    ranking = suspect_service.rank_suspects(session, case_id=case_id, limit=limit, settings=settings)
    return SuspectRanking.model_validate(ranking_dict(ranking))


@router.post("/{case_id}/source", response_model=SourceConfirmed, responses=errors(404))
def confirm_case_source(case_id: Id, body: SourceConfirm, session: DbSession,
                        principal: Annotated[Principal, Depends(require_roles("inspector", "chief"))]
                        ) -> SourceConfirmed:
    """The handler names the source: the inspector the case is dispatched to, or a chief of its zone."""
    found = authorization.check_sees_case(session, case_id=case_id, user_id=principal.user_id,
                                          role=principal.role, lock=True)
    authorization.check_may_act(session, case=found, user_id=principal.user_id, role=principal.role)
    case = suspect_service.confirm_source(session, case_id=case_id, source_id=body.source_id,
                                          user_id=principal.user_id, note=body.note)
    session.commit()
    return SourceConfirmed(case_id=case.id, confirmed_source_id=case.confirmed_source_id,
                           confirmed_by_id=case.confirmed_by_id, confirmed_at=case.confirmed_at)
