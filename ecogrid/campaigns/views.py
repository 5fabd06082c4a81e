"""The campaign API: chiefs (and admin) create and change campaigns and link cases; staff read them with
their progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import DbSession, Principal, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.campaigns import rules
from ecogrid.campaigns import schemas as s
from ecogrid.campaigns import service as campaign_service

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

Chief = Annotated[Principal, Depends(require_roles("chief"))]
Staff = Annotated[Principal, Depends(require_roles("chief", "planner", "clerk", "inspector"))]


def _actor(principal: Principal) -> campaign_service.Actor:
    return campaign_service.Actor(user_id=principal.user_id, role=principal.role)


def _read(session: DbSession, campaign_id: int) -> s.CampaignRead:
    campaign = campaign_service.get(session, campaign_id=campaign_id)
    return s.CampaignRead.model_validate(campaign_service.describe(session, campaign=campaign))


@router.post("", status_code=201, response_model=s.CampaignRead, responses=errors(409))
def create_campaign(body: s.CampaignCreate, session: DbSession, principal: Chief) -> s.CampaignRead:
    """Start a special campaign (专项行动). A name already used is refused (409), so a retry is stored once."""
    draft = rules.Draft(name=body.name, description=body.description, start_date=body.start_date,
                        end_date=body.end_date, categories=tuple(c.value for c in body.categories),
                        zone_ids=tuple(body.zone_ids), source_ids=tuple(body.source_ids))
    campaign = campaign_service.create(session, actor=_actor(principal), draft=draft)
    session.commit()
    return _read(session, campaign.id)


@router.get("", response_model=s.CampaignList)
def list_campaigns(session: DbSession, _: Staff) -> s.CampaignList:
    """Every campaign, the latest first, each with its progress."""
    items = [s.CampaignRead.model_validate(campaign_service.describe(session, campaign=c))
             for c in campaign_service.get_all(session)]
    return s.CampaignList(items=items, total=len(items))


@router.get("/{campaign_id}", response_model=s.CampaignRead, responses=errors(404))
def read_campaign(campaign_id: Id, session: DbSession, _: Staff) -> s.CampaignRead:
    """One campaign with its progress: the bulletin's figures of its cases, and its target units inspected."""
    return _read(session, campaign_id)


@router.patch("/{campaign_id}", response_model=s.CampaignRead, responses=errors(404, 409))
def update_campaign(campaign_id: Id, body: s.CampaignUpdate, session: DbSession, _: Chief) -> s.CampaignRead:
    """Change a campaign: the fields given replace the stored ones; the result is checked whole."""
    change = campaign_service.Change(
        name=body.name, description=body.description, start_date=body.start_date, end_date=body.end_date,
        categories=tuple(c.value for c in body.categories) if body.categories is not None else None,
        zone_ids=tuple(body.zone_ids) if body.zone_ids is not None else None,
        source_ids=tuple(body.source_ids) if body.source_ids is not None else None)
    campaign_service.update(session, campaign_id=campaign_id, change=change)
    session.commit()
    return _read(session, campaign_id)


@router.post("/{campaign_id}/cases/{case_id}", response_model=s.CampaignCaseRead, responses=errors(404))
def add_campaign_case(campaign_id: Id, case_id: Id, session: DbSession, principal: Chief) -> s.CampaignCaseRead:
    """Link a case to the campaign (again: nothing changes). The case must be one the chief acts on, of the
    campaign's categories and in its zones."""
    changed = campaign_service.add_case(session, actor=_actor(principal), campaign_id=campaign_id, case_id=case_id)
    session.commit()
    return s.CampaignCaseRead(campaign_id=campaign_id, case_id=case_id, linked=True, changed=changed)


@router.delete("/{campaign_id}/cases/{case_id}", response_model=s.CampaignCaseRead, responses=errors(404))
def remove_campaign_case(campaign_id: Id, case_id: Id, session: DbSession,
                         principal: Chief) -> s.CampaignCaseRead:
    """Unlink a case from the campaign (when it was not linked: nothing changes)."""
    changed = campaign_service.remove_case(session, actor=_actor(principal), campaign_id=campaign_id,
                                           case_id=case_id)
    session.commit()
    return s.CampaignCaseRead(campaign_id=campaign_id, case_id=case_id, linked=False, changed=changed)
