"""Campaigns stored and read: create, change, link and unlink cases, and the progress report.

The progress report's case figures are ``ecogrid.cases.figures.city`` over the campaign's period with a
``where`` that keeps the campaign's cases: the bulletin's own definitions of open, closed, overdue and on
time, never a second copy. A target unit counts as inspected when an inspection of it (``inspections.
source_id``) was submitted during the period, whether or not the inspector named the campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecogrid.campaigns import rules
from ecogrid.cases import figures
from ecogrid.cases import rules as case_rules
from ecogrid.cases.reports import Window
from ecogrid.core import authorization
from ecogrid.core.errors import Conflict, InvalidInput, NotFound
from ecogrid.core.models import (
    Campaign,
    CampaignCase,
    CampaignSource,
    CampaignZone,
    Case,
    Inspection,
    Source,
    Zone,
)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str


@dataclass(frozen=True)
class Change:
    """A PATCH: the fields given (None: left as it is)."""

    name: str | None = None
    description: str | None = None
    start_date: Any = None
    end_date: Any = None
    categories: tuple[str, ...] | None = None
    zone_ids: tuple[int, ...] | None = None
    source_ids: tuple[int, ...] | None = None


def get(session: Session, *, campaign_id: int, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.id == campaign_id)
    campaign = session.scalars(query.with_for_update() if lock else query).first()
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")
    return campaign


def get_all(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc())))


def check_exists(session: Session, *, campaign_id: int, field: str = "campaign_id") -> None:
    """Refuse (InvalidInput naming ``field``) an id that names no campaign: for bodies that refer to one."""
    if session.get(Campaign, campaign_id) is None:
        raise InvalidInput(f"campaign {campaign_id} does not exist", field=field)


def _checked(session: Session, draft: rules.Draft) -> rules.Draft:
    draft = rules.check_draft(draft)
    zones = set(session.scalars(select(Zone.id).where(Zone.id.in_(draft.zone_ids)))) if draft.zone_ids else set()
    rules.check_known(draft.zone_ids, zones, what="zone", field="zone_ids")
    sources = set(session.scalars(select(Source.id).where(Source.id.in_(draft.source_ids)))) \
        if draft.source_ids else set()
    rules.check_known(draft.source_ids, sources, what="source", field="source_ids")
    return draft


def _name_taken(session: Session, *, name: str, other_than: int | None) -> bool:
    query = select(Campaign.id).where(Campaign.name == name)
    if other_than is not None:
        query = query.where(Campaign.id != other_than)
    return session.scalar(query) is not None


def _write_lists(session: Session, *, campaign_id: int, draft: rules.Draft) -> None:
    session.execute(delete(CampaignZone).where(CampaignZone.campaign_id == campaign_id))
    session.execute(delete(CampaignSource).where(CampaignSource.campaign_id == campaign_id))
    if draft.zone_ids:
        session.execute(insert(CampaignZone), [{"campaign_id": campaign_id, "zone_id": z} for z in draft.zone_ids])
    if draft.source_ids:
        session.execute(insert(CampaignSource),
                        [{"campaign_id": campaign_id, "source_id": s} for s in draft.source_ids])


def create(session: Session, *, actor: Actor, draft: rules.Draft) -> Campaign:
    """Store a new campaign (in the caller's transaction); Conflict when its name is taken."""
    draft = _checked(session, draft)
    if _name_taken(session, name=draft.name, other_than=None):
        raise Conflict(f"a campaign named {draft.name!r} exists", field="name")
    campaign = Campaign(name=draft.name, description=draft.description, start_date=draft.start_date,
                        end_date=draft.end_date, categories=list(draft.categories), created_by_id=actor.user_id)
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:  # the same name stored at the same moment by another request
        raise Conflict(f"a campaign named {draft.name!r} exists", field="name") from None
    _write_lists(session, campaign_id=campaign.id, draft=draft)
    session.flush()
    return campaign


def draft_of(session: Session, campaign: Campaign) -> rules.Draft:
    lists = lists_of(session, campaign_id=campaign.id)
    return rules.Draft(name=campaign.name, description=campaign.description, start_date=campaign.start_date,
                       end_date=campaign.end_date, categories=tuple(campaign.categories or ()),
                       zone_ids=tuple(lists["zone_ids"]), source_ids=tuple(lists["source_ids"]))


def update(session: Session, *, campaign_id: int, change: Change) -> Campaign:
    """Apply a change (the whole result checked as a new campaign would be), in the caller's transaction."""
    campaign = get(session, campaign_id=campaign_id, lock=True)
    given = {k: v for k, v in vars(change).items() if v is not None}
    draft = _checked(session, replace(draft_of(session, campaign), **given))
    if _name_taken(session, name=draft.name, other_than=campaign.id):
        raise Conflict(f"a campaign named {draft.name!r} exists", field="name")
    campaign.name, campaign.description = draft.name, draft.description
    campaign.start_date, campaign.end_date = draft.start_date, draft.end_date
    campaign.categories = list(draft.categories)
    campaign.updated_at = datetime.now(UTC)
    _write_lists(session, campaign_id=campaign.id, draft=draft)
    session.flush()
    return campaign


def lists_of(session: Session, *, campaign_id: int) -> dict[str, list[int]]:
    """The campaign's zone ids, target unit ids and linked case ids, each in id order."""
    return {
        "zone_ids": list(session.scalars(select(CampaignZone.zone_id).where(CampaignZone.campaign_id == campaign_id)
                                         .order_by(CampaignZone.zone_id))),
        "source_ids": list(session.scalars(select(CampaignSource.source_id)
                                           .where(CampaignSource.campaign_id == campaign_id)
                                           .order_by(CampaignSource.source_id))),
        "case_ids": list(session.scalars(select(CampaignCase.case_id).where(CampaignCase.campaign_id == campaign_id)
                                         .order_by(CampaignCase.case_id))),
    }


def _zone_tree(session: Session, *, campaign_id: int) -> frozenset[int] | None:
    """The campaign's zones and everything nested in them; None when it lists none (the whole city)."""
    tree = select(CampaignZone.zone_id.label("id")).where(CampaignZone.campaign_id == campaign_id) \
        .cte("campaign_tree", recursive=True)
    tree = tree.union_all(select(Zone.id).where(Zone.parent_id == tree.c.id))
    found = frozenset(session.scalars(select(tree.c.id)))
    return found or None


# ---------------------------------------------------------------- cases


def add_case(session: Session, *, actor: Actor, campaign_id: int, case_id: int) -> bool:
    """Link a case to the campaign; True when it was linked now, False when it already was.

    The chief must be one who may act on the case (their zones), and the case must lie in the campaign's
    scope (``rules.refusal_to_join``)."""
    campaign = get(session, campaign_id=campaign_id, lock=True)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                         field="case_id")
    authorization.check_may_act(session, case=case, user_id=actor.user_id, role=actor.role)
    if session.get(CampaignCase, (campaign.id, case.id)) is not None:
        return False
    refusal = rules.refusal_to_join(categories=campaign.categories or (),
                                    zone_tree=_zone_tree(session, campaign_id=campaign.id),
                                    case_category=case.category, case_zone_id=case.zone_id)
    if refusal is not None:
        raise InvalidInput(refusal, field="case_id")
    session.add(CampaignCase(campaign_id=campaign.id, case_id=case.id, added_by_id=actor.user_id))
    session.flush()
    return True


def remove_case(session: Session, *, actor: Actor, campaign_id: int, case_id: int) -> bool:
    """Unlink a case; True when it was linked."""
    campaign = get(session, campaign_id=campaign_id, lock=True)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                         field="case_id")
    authorization.check_may_act(session, case=case, user_id=actor.user_id, role=actor.role)
    gone = session.execute(delete(CampaignCase).where(CampaignCase.campaign_id == campaign.id,
                                                      CampaignCase.case_id == case.id))
    session.flush()
    return bool(getattr(gone, "rowcount", 0))


# ---------------------------------------------------------------- progress


def window_of(campaign: Campaign) -> Window:
    return Window(campaign.start_date, campaign.end_date)


def case_figures(session: Session, *, campaign: Campaign, now: datetime | None = None) -> figures.Figures:
    """The bulletin's figures of the campaign's period, counting the campaign's cases alone."""
    window = window_of(campaign)
    linked = select(CampaignCase.case_id).where(CampaignCase.campaign_id == campaign.id)
    return figures.city(session, start=window.start, end=window.end, now=now or datetime.now(UTC),
                        where=[Case.id.in_(linked)])


def target_units(session: Session, *, campaign: Campaign) -> list[dict[str, Any]]:
    """Each target unit with the number of its inspections submitted during the period, by name."""
    window = window_of(campaign)
    visits = (select(Inspection.source_id, func.count().label("n"), func.max(Inspection.submitted_at).label("last"))
              .where(Inspection.submitted_at >= window.start, Inspection.submitted_at < window.end)
              .group_by(Inspection.source_id).subquery("visits"))
    rows = session.execute(
        select(Source.id, Source.name, func.coalesce(visits.c.n, 0), visits.c.last)
        .select_from(CampaignSource).join(Source, Source.id == CampaignSource.source_id)
        .outerjoin(visits, visits.c.source_id == Source.id)
        .where(CampaignSource.campaign_id == campaign.id).order_by(Source.name, Source.id)).all()
    return [{"source_id": sid, "name": name, "inspections": int(n), "last_inspected_at": last}
            for sid, name, n, last in rows]


def progress(session: Session, *, campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    moment = now or datetime.now(UTC)
    counted = case_figures(session, campaign=campaign, now=moment)
    units = target_units(session, campaign=campaign)
    inspected = sum(1 for u in units if u["inspections"])
    recorded = session.scalar(select(func.count()).select_from(Inspection)
                              .where(Inspection.campaign_id == campaign.id)) or 0
    window = window_of(campaign)
    return {
        "cut_off": case_rules.cut_off(window.end, moment),
        "cases": session.scalar(select(func.count()).select_from(CampaignCase)
                                .where(CampaignCase.campaign_id == campaign.id)) or 0,
        "figures": counted.as_dict(),
        "target_units": len(units),
        "inspected": inspected,
        "not_inspected": len(units) - inspected,
        "inspections_for_campaign": int(recorded),
        "units": units,
    }


def describe(session: Session, *, campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": campaign.id, "name": campaign.name, "description": campaign.description,
        "start_date": campaign.start_date, "end_date": campaign.end_date,
        "categories": list(campaign.categories or ()), **lists_of(session, campaign_id=campaign.id),
        "created_at": campaign.created_at, "updated_at": campaign.updated_at,
        "progress": progress(session, campaign=campaign, now=now),
    }
