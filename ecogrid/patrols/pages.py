"""Patrol planning in the staff console: ``/patrols`` lists the risk-ranked targets, the draws and the routes;
a planner runs a "double random" draw, a chief approves it, the approved draw's public list is shown, and a
route for a day and its inspectors goes to their phones (``/m`` lists the routes naming them).

Every step is ``ecogrid.patrols.service``: the rank, the draw and its replay, the approval, the publication,
the route. The route's map is the existing page ``/maps/routes/{id}``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import console
from api.deps import DbSession, ExportDbSession, SettingsDep
from api.params import Id
from ecogrid.accounts import service as user_service
from ecogrid.core import value_ranges
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.models import PatrolPlan, Source, User
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, now
from ecogrid.patrols import service as patrol_service
from geo import double_random

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("planner", "chief"))]
Planner = Annotated[console.Page, Depends(console.console_page("planner"))]
Chief = Annotated[console.Page, Depends(console.console_page("chief"))]
RECENT = 10


def _recent(session: Session, kind: str) -> list[PatrolPlan]:
    return list(session.scalars(select(PatrolPlan).where(PatrolPlan.kind == kind)
                                .order_by(PatrolPlan.id.desc()).limit(RECENT)))


def _patrols_page(session: Session, settings: Settings, page: console.Page, *, status: int = 200,
                  errors: dict[str, str] | None = None, typed: Any = None) -> Response:
    try:
        ranked = patrol_service.rank_targets(session, settings=settings, limit=20, cells=0)
    except DomainError as exc:
        errors = {**(errors or {}), exc.field or "zone": page.error_text(exc)}
        ranked = {"items": [], "total": 0, "weights": {}}
    inspectors = list(session.scalars(select(User).where(User.role == "inspector", User.active.is_(True))
                                      .order_by(User.username)))
    return console.render(
        page, "patrols.html", status=status, ranked=ranked, draws=_recent(session, "draw"),
        routes=_recent(session, "route"), inspectors=inspectors, errors=errors or {}, typed=typed or {},
        unit_classes=double_random.UNIT_CLASSES, rates=double_random.load_sampling_rates(),
        tomorrow=(now().astimezone(BEIJING).date() + timedelta(days=1)).isoformat(),
        may_draw=page.sees(frozenset({"planner"})))


@router.get("/patrols")
def patrols(session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return _patrols_page(session, settings, page)


def _int(value: str | None, field: str, *, maximum: int = 2**63 - 1, minimum: int = 0) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number", field=field) from None
    if not minimum <= number <= maximum:
        raise InvalidInput(f"{field} must lie between {minimum} and {maximum}", field=field)
    return number


def _rates(form: Any) -> dict[str, float] | None:
    rates: dict[str, float] = {}
    for cls in double_random.UNIT_CLASSES:
        value = console.form_text(form, f"rate_{cls}")
        if value is None:
            continue
        try:
            rates[cls] = float(value)
        except ValueError:
            raise InvalidInput(f"the rate of {cls} units must be a number between 0 and 1", field="rates") from None
    return rates or None


@router.post("/patrols/draws")
def draw(session: DbSession, settings: SettingsDep, page: Planner, form: console.PostedForm) -> Response:
    text = console.form_text
    try:
        plan = patrol_service.create_draw(
            session, settings=settings, actor_id=page.principal.user_id, actor_name=page.principal.name,
            seed=_int(text(form, "seed"), "seed"), zone=text(form, "zone"), industry=text(form, "industry"),
            rates=_rates(form), inspectors_per_target=_int(text(form, "inspectors_per_target"),
                                                           "inspectors_per_target", maximum=10, minimum=2) or 2,
            weighted_by_risk=form.get("weighted_by_risk") == "1", quarter=text(form, "quarter"))
    except DomainError as exc:
        session.rollback()
        return _patrols_page(session, settings, page, status=422 if isinstance(exc, InvalidInput) else 409,
                             errors={exc.field or "seed": page.error_text(exc)}, typed=form)
    return RedirectResponse(f"/patrols/draws/{plan.id}", status_code=303)


def draw_page(session: Session, settings: Settings, page: console.Page, draw_id: int, *, status: int = 200,
              errors: dict[str, str] | None = None) -> Response:
    plan = patrol_service.get_plan(session, plan_id=draw_id, kind="draw")
    described = patrol_service.describe_draw(session, plan=plan)
    check = patrol_service.verify_draw(session, plan_id=draw_id)
    sources = dict(session.execute(select(Source.id, Source.name).where(
        Source.id.in_([t["source_id"] for t in described["targets"]] or [-1]))).all())
    people = user_service.display_names(session, {int(i) for t in described["targets"] for i in t["inspector_ids"]}
                                        | {i for i in (plan.created_by_id, plan.approved_by_id) if i is not None})
    publication = patrol_service.publish_draw(session, settings=settings, plan_id=draw_id) \
        if plan.status == "approved" else None
    inspectors = list(session.scalars(select(User).where(User.role == "inspector", User.active.is_(True))
                                      .order_by(User.username)))
    return console.render(page, "draw.html", status=status, draw=described, check=check, sources=sources,
                          people=people, publication=publication, errors=errors or {}, inspectors=inspectors,
                          may_approve=page.sees(frozenset({"chief"})) and plan.status == "drawn",
                          tomorrow=(now().astimezone(BEIJING).date() + timedelta(days=1)).isoformat())


@router.get("/patrols/draws/{draw_id}")
def read_draw(draw_id: Id, session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return draw_page(session, settings, page, draw_id)


@router.post("/patrols/draws/{draw_id}/approve")
def approve(draw_id: Id, session: DbSession, settings: SettingsDep, page: Chief, _: console.PostedForm) -> Response:
    try:
        patrol_service.approve_draw(session, plan_id=draw_id, actor_id=page.principal.user_id,
                                    actor_name=page.principal.name)
    except DomainError as exc:
        session.rollback()
        return draw_page(session, settings, page, draw_id, status=409, errors={"status": page.error_text(exc)})
    return RedirectResponse(f"/patrols/draws/{draw_id}", status_code=303)


@router.post("/patrols/routes")
def route(session: DbSession, settings: SettingsDep, page: Reader, form: console.PostedForm) -> Response:
    """A day's route (from a draw, or the ticked sources) for the chosen inspectors: on their phones at once."""
    text = console.form_text
    back_to_draw = _int(text(form, "draw_id"), "draw_id", maximum=value_ranges.INT4_MAX, minimum=1)
    try:
        raw_day = text(form, "date")
        if raw_day is None:
            raise InvalidInput("choose the day of the route", field="date")
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise InvalidInput("the day is a date, YYYY-MM-DD", field="date") from None
        value_ranges.check_date(day, field="date")
        sources = [value_ranges.parse_id(str(v), field="source_ids") for v in form.getlist("source_ids")]
        inspectors = [value_ranges.parse_id(str(v), field="inspector_ids") for v in form.getlist("inspector_ids")]
        plan = patrol_service.create_route(
            session, settings=settings, actor_id=page.principal.user_id, actor_name=page.principal.name, on=day,
            source_ids=None if back_to_draw else sources, draw_id=back_to_draw, inspector_ids=inspectors or None)
    except DomainError as exc:
        session.rollback()
        errors = {exc.field or "date": page.error_text(exc)}
        if back_to_draw:
            return draw_page(session, settings, page, back_to_draw, status=422, errors=errors)
        return _patrols_page(session, settings, page, status=422, errors=errors, typed=form)
    return RedirectResponse(f"/maps/routes/{plan.id}", status_code=303)


@router.get("/patrols/routes/{route_id}.csv")
def route_csv(route_id: Id, session: ExportDbSession, _: Reader) -> Response:
    body = patrol_service.export_route_csv(session, plan_id=route_id)
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="route-{route_id}.csv"'})
