"""The staff console's campaigns: ``/campaigns`` lists them with their progress, ``/campaigns/{id}`` shows one
(its case figures, which are the bulletin's counted over its cases, its target units and its cases); there a
chief links a case by its number, or unlinks one (``campaign_service.add_case`` / ``remove_case``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from api import console
from api.deps import DbSession
from api.errors import status_for
from api.params import Id
from ecogrid.campaigns import service as campaign_service
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.models import Case, Zone
from ecogrid.core.time import BEIJING

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("chief", "planner", "clerk"))]
Chief = Annotated[console.Page, Depends(console.console_page("chief"))]


@router.get("/campaigns")
def campaigns_page(session: DbSession, page: Reader) -> Response:
    rows = [campaign_service.describe(session, campaign=c) for c in campaign_service.get_all(session)]
    return console.render(page, "campaigns.html", campaigns=rows)


def _campaign_page(session: DbSession, page: console.Page, campaign_id: int, *, status: int = 200,
                   errors: dict[str, str] | None = None) -> Response:
    campaign = campaign_service.get(session, campaign_id=campaign_id)
    described = campaign_service.describe(session, campaign=campaign)
    zones = session.execute(select(Zone.id, Zone.code, Zone.name).where(Zone.id.in_(described["zone_ids"] or [-1]))
                            .order_by(Zone.code)).all()
    cases = session.execute(select(Case.id, Case.category, Case.status, Case.opened_at)
                            .where(Case.id.in_(described["case_ids"] or [-1])).order_by(Case.id)).all()
    cut_off = described["progress"]["cut_off"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return console.render(page, "campaign.html", status=status, c=described, zones=zones, cases=cases,
                          cut_off=cut_off, errors=errors or {}, may_link=page.sees(frozenset({"chief"})))


@router.get("/campaigns/{campaign_id}")
def campaign_page(campaign_id: Id, session: DbSession, page: Reader) -> Response:
    return _campaign_page(session, page, campaign_id)


def _case_number(form: FormData) -> int:
    text = console.form_text(form, "case_id")
    if text is None or not text.isdigit() or not 0 < int(text) < 2**31:
        raise InvalidInput("give the case number", field="case_id")
    return int(text)


@router.post("/campaigns/{campaign_id}/cases")
def link_case(campaign_id: Id, session: DbSession, page: Chief, form: console.PostedForm) -> Response:
    """Link the case numbered in the form to the campaign."""
    try:
        campaign_service.add_case(session, actor=campaign_service.Actor(user_id=page.principal.user_id,
                                                                        role=page.role),
                                  campaign_id=campaign_id, case_id=_case_number(form))
    except DomainError as exc:
        session.rollback()
        if exc.field == "campaign_id":
            raise
        return _campaign_page(session, page, campaign_id, status=status_for(exc),
                              errors={"case_id": page.error_text(exc)})
    session.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/cases/{case_id}/remove")
def unlink_case(campaign_id: Id, case_id: Id, session: DbSession, page: Chief, _: console.PostedForm) -> Response:
    try:
        campaign_service.remove_case(session, actor=campaign_service.Actor(user_id=page.principal.user_id,
                                                                           role=page.role),
                                     campaign_id=campaign_id, case_id=case_id)
    except DomainError as exc:
        session.rollback()
        if exc.field == "campaign_id":
            raise
        return _campaign_page(session, page, campaign_id, status=status_for(exc),
                              errors={"case_id": page.error_text(exc)})
    session.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
