"""The staff console's campaigns: ``/campaigns`` lists them with their progress, ``/campaigns/{id}`` shows one
(its case figures, which are the bulletin's counted over its cases, its target units and its cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from api import console
from api.deps import DbSession
from api.params import Id
from ecogrid.campaigns import service as campaign_service
from ecogrid.core.models import Case, Zone
from ecogrid.core.time import BEIJING

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("chief", "planner", "clerk"))]


@router.get("/campaigns")
def campaigns_page(session: DbSession, page: Reader) -> Response:
    rows = [campaign_service.describe(session, campaign=c) for c in campaign_service.get_all(session)]
    return console.render(page, "campaigns.html", campaigns=rows)


@router.get("/campaigns/{campaign_id}")
def campaign_page(campaign_id: Id, session: DbSession, page: Reader) -> Response:
    campaign = campaign_service.get(session, campaign_id=campaign_id)
    described = campaign_service.describe(session, campaign=campaign)
    zones = session.execute(select(Zone.id, Zone.code, Zone.name).where(Zone.id.in_(described["zone_ids"] or [-1]))
                            .order_by(Zone.code)).all()
    cases = session.execute(select(Case.id, Case.category, Case.status, Case.opened_at)
                            .where(Case.id.in_(described["case_ids"] or [-1])).order_by(Case.id)).all()
    cut_off = described["progress"]["cut_off"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return console.render(page, "campaign.html", c=described, zones=zones, cases=cases, cut_off=cut_off)
