"""One case in the staff console: ``/cases/{id}`` and the forms of the actions the viewer may take now.

Everything shown comes from the services the API uses: ``service.get_case`` (complaints with personal data
per role, audited; history; revisits; ``allowed_actions``), the suspect ranking, the inspections service.
Each form posts to ``/cases/{id}/act``, which hands the fields to ``service.act`` (the one writer); a
refusal is shown next to its field and nothing is kept, since the service commits only a whole action.
The contact log (``contacts``) is listed for the roles that keep it, with a form posting to
``/cases/{id}/contacts``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api import console
from api.deps import DbSession, SettingsDep
from api.params import Id
from ecogrid.accounts import service as user_service
from ecogrid.cases import checks as post_checks
from ecogrid.cases import contacts as contact_log
from ecogrid.cases import departments as department_registry
from ecogrid.cases import documents as case_documents
from ecogrid.cases import service as casework
from ecogrid.cases.pages import actor_of, dispatch_payload
from ecogrid.cases.states import Action, RejectReason, Satisfaction
from ecogrid.core import value_ranges
from ecogrid.core.errors import DomainError, Forbidden, InvalidInput
from ecogrid.core.models import Case, Department, Inspection, User, Zone
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, day_of
from ecogrid.core.time import now as clock_now
from ecogrid.core.vocabulary import ContactMethod, ReturnReason
from ecogrid.inspections import service as inspection_service
from ecogrid.sources import suspects as suspect_service
from geo import coords
from maps import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("clerk", "chief", "planner", "inspector"))]
REVISIT_METHODS = tuple((m.value, *names) for m, names in zip(
    ContactMethod, (("电话回访", "by phone"), ("现场回访", "on site"), ("短信回访", "by SMS")), strict=True))
SUPERVISORS = ("chief", "admin")
# The actions whose form chooses a department of the registry.
DEPARTMENT_ACTIONS = (Action.transfer.value, Action.handover.value, Action.cohandle.value)


def case_points(session: Session, case_ids: list[int]) -> dict[int, tuple[float, float]]:
    """case id -> (lon, lat) WGS-84 of the cases that have a place."""
    if not case_ids:
        return {}
    rows = session.execute(select(Case.id, func.ST_X(Case.geom), func.ST_Y(Case.geom))
                           .where(Case.id.in_(case_ids), Case.geom.is_not(None))).all()
    return {i: (float(x), float(y)) for i, x, y in rows}


def _point(session: Session, case_id: int) -> tuple[float, float] | None:
    return case_points(session, [case_id]).get(case_id)


def shown_at(base: dict[str, Any], lon: float, lat: float) -> dict[str, float]:
    """A WGS-84 point where the base map draws it (shifted over a GCJ-02 map)."""
    if base["crs"] == "gcj02":
        lon, lat = coords.from_wgs84(lon, lat, "gcj02")
    return {"lon": lon, "lat": lat}


def _inspections(session: Session, page: console.Page, case_id: int) -> list[dict[str, Any]] | None:
    """The case's inspections as the inspections service lets the viewer see them; None when it does not."""
    actor = inspection_service.Actor(user_id=page.principal.user_id, role=page.role)
    out = []
    for ident in session.scalars(select(Inspection.id).where(Inspection.case_id == case_id).order_by(Inspection.id)):
        try:
            inspection = inspection_service.get_inspection(session, actor=actor, inspection_id=ident)
        except (Forbidden, DomainError):
            return None
        out.append(inspection_service.describe_inspection(session, inspection=inspection))
    return out


def case_page(session: Session, settings: Settings, page: console.Page, case_id: int, *, status: int = 200,
              errors: dict[str, str] | None = None, open_action: str | None = None,
              typed: FormData | None = None) -> Response:
    body = casework.get_case(session, case_id=case_id, viewer=actor_of(page),
                             yellow_fraction=settings.deadline_yellow_fraction)
    session.commit()  # the audit entry of an unmasked read
    base = render.page_layers(settings.base_map, tianditu_key=settings.tianditu_key)
    points: list[dict[str, Any]] = []
    where = _point(session, case_id)
    if where:
        points.append({**shown_at(base, *where), "colour": body["progress_colour"] or "case", "kind": "case",
                       "radius": 10, "lines": [page.tr(f"案件 #{case_id}", f"Case #{case_id}")]})
    suspects: list[Any] = []
    if where:
        suspects = suspect_service.rank_suspects(session, case_id=case_id, limit=5, settings=settings).suspects
        for s in suspects:
            if s.lon is not None and s.lat is not None:
                points.append({**shown_at(base, s.lon, s.lat), "colour": "source", "kind": "suspect",
                               "lines": [s.name, f"{page.label(s.industry)} · {s.distance_m:.0f} m · {s.score:.2f}"]})
    log = contact_log.list_contacts(session, case_id=case_id, user_id=page.principal.user_id,
                                    name=page.principal.name, role=page.role) \
        if contact_log.may_use(page.role) else None
    session.commit()  # the audit entry of the contact log's reading
    follow_ups = post_checks.list_checks(session, case_id=case_id, user_id=page.principal.user_id, role=page.role) \
        if page.role in post_checks.READERS else None
    papers = case_documents.list_documents(session, case_id=case_id, user_id=page.principal.user_id,
                                           role=page.role) if page.sees(case_documents.READERS) else None
    done_actions = {e["action"] for e in body["history"]}
    issuable = [(kind.value, title) for kind, (title, _, action) in case_documents.KINDS.items()
                if action.value in done_actions] if page.sees(case_documents.ISSUERS) else []
    people = user_service.display_names(session, {e["actor_id"] for e in body["history"]}
                                        | {r["by_id"] for r in body["revisits"]}
                                        | {body["assigned_to_id"], body["supervisor_id"], body["duty_user_id"]}
                                        | {c["assignee_id"] for c in follow_ups or ()})
    zone = session.get(Zone, body["zone_id"]) if body["zone_id"] else None
    actions = body["allowed_actions"]
    inspectors, teams = user_service.dispatch_targets(session) if Action.dispatch.value in actions else ([], [])
    may_schedule_check = page.sees(post_checks.SCHEDULERS) and body["status"] in post_checks.CHECKABLE
    check_inspectors = user_service.dispatch_targets(session)[0] if may_schedule_check else []
    chiefs = list(session.scalars(select(User).where(User.role == "chief", User.active.is_(True))
                                  .order_by(User.username))) if page.role in SUPERVISORS else []
    registry: list[Department] = []
    if any(a in actions for a in DEPARTMENT_ACTIONS):
        registry = department_registry.list_departments(session, active=True)
    return console.render(
        page, "case.html", status=status, case=body, zone=zone, people=people, suspects=suspects,
        inspections=_inspections(session, page, case_id), actions=actions, inspectors=inspectors, teams=teams,
        chiefs=chiefs, may_supervise=page.role in SUPERVISORS and body["status"] not in casework.FINISHED,
        reject_reasons=[r.value for r in RejectReason], satisfactions=[s.value for s in Satisfaction],
        revisit_methods=REVISIT_METHODS, contacts=log, contact_methods=[m.value for m in ContactMethod],
        checks=follow_ups, may_schedule_check=may_schedule_check, check_inspectors=check_inspectors,
        today=day_of(clock_now()).isoformat(), documents=papers, issuable=issuable, document_token=uuid4().hex,
        may_void=page.sees(case_documents.VOIDERS),
        errors=errors or {}, open_action=open_action,
        return_reasons=[r.value for r in ReturnReason], police=department_registry.POLICE,
        departments=registry,
        typed=typed or {}, done=page.request.query_params.get("done"),
        map_data={"base": base, "points": points, "centre": [settings.office_lat, settings.office_lon]})


@router.get("/cases/{case_id}")
def read_case(case_id: Id, session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return case_page(session, settings, page, case_id)


def _moment(value: str | None) -> str | None:
    """A datetime-local input (Beijing wall time) as the ISO text the workflow reads."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING).isoformat()
    except ValueError:
        raise InvalidInput("a date and time, YYYY-MM-DD HH:MM", field="due_at") from None


def _days(value: str | None) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # the workflow names the field and says what it takes


def action_payload(action: str, form: FormData) -> dict[str, Any]:
    """The fields of an action's form as the workflow's payload (the workflow checks them all)."""
    text = console.form_text
    if action == Action.dispatch.value:
        return dispatch_payload(form)
    fields: dict[str, Any] = {}
    if action == Action.reject.value:
        fields["reason"] = text(form, "reason")
    elif action == Action.rectify.value:
        fields.update(due_at=_moment(text(form, "due_at")), requirement=text(form, "requirement"))
    elif action == Action.reply.value:
        fields["summary"] = text(form, "summary")
    elif action == Action.answer.value:
        fields["answer"] = text(form, "answer")
    elif action == Action.revisit.value:
        fields.update(satisfaction=text(form, "satisfaction"), comment=text(form, "comment"),
                      method=text(form, "method"))
    elif action == Action.extend.value:
        fields.update(days=_days(text(form, "days")), reason=text(form, "reason"))
    elif action == Action.return_.value:
        fields["reason"] = text(form, "reason")
    elif action in (Action.transfer.value, Action.handover.value):
        fields.update(department_id=text(form, "department_id"), reason=text(form, "reason"))
    elif action == Action.cohandle.value:
        fields["department_id"] = text(form, "department_id")
    note = text(form, "note")
    if note:
        fields["note"] = f"{fields['note']}；{note}" if "note" in fields else note
    return {k: v for k, v in fields.items() if v is not None}


@router.post("/cases/{case_id}/act")
def act(case_id: Id, session: DbSession, settings: SettingsDep, page: Reader, form: console.PostedForm) -> Response:
    action = console.form_text(form, "action") or ""
    try:
        payload = action_payload(action, form)
        casework.act(session, case_id=case_id, action=action, payload=payload, actor=actor_of(page))
    except DomainError as exc:
        session.rollback()
        field = "target" if exc.field in ("user_id", "team", "team_id") else (exc.field or "action")
        status = {InvalidInput: 422, Forbidden: 403}.get(type(exc), 409)
        return case_page(session, settings, page, case_id, status=status, errors={field: page.error_text(exc)},
                         open_action=action, typed=form)
    return RedirectResponse(f"/cases/{case_id}?done={action}", status_code=303)


@router.post("/cases/{case_id}/contacts")
def record_contact(case_id: Id, session: DbSession, settings: SettingsDep, page: Reader,
                   form: console.PostedForm) -> Response:
    """A contact with the complainant, into the case's contact log (the same service as the API)."""
    try:
        data = contact_log.ContactIn(method=console.form_text(form, "method") or "",
                                     summary=console.form_text(form, "summary") or "",
                                     contacted_at=_contact_moment(console.form_text(form, "contacted_at")),
                                     client_id=console.form_text(form, "client_id"))
        contact_log.record_contact(session, case_id=case_id, data=data, user_id=page.principal.user_id,
                                   name=page.principal.name, role=page.role)
        session.commit()
    except DomainError as exc:
        session.rollback()
        status = {InvalidInput: 422, Forbidden: 403}.get(type(exc), 409)
        return case_page(session, settings, page, case_id, status=status,
                         errors={f"contact_{exc.field or 'method'}": page.error_text(exc)}, open_action="contact",
                         typed=form)
    return RedirectResponse(f"/cases/{case_id}?done=contact#contacts", status_code=303)


def _contact_moment(value: str | None) -> datetime | None:
    """A datetime-local input (Beijing wall time), or now when left empty."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING)
    except ValueError:
        raise InvalidInput("a date and time, YYYY-MM-DD HH:MM", field="contacted_at") from None


@router.post("/cases/{case_id}/supervise")
def supervise(case_id: Id, session: DbSession, settings: SettingsDep,
              page: Annotated[console.Page, Depends(console.console_page("chief"))],
              form: console.PostedForm) -> Response:
    """督办: name the chief who answers for the case (recorded in its history)."""
    try:
        chosen = console.form_text(form, "user_id")
        if chosen is None:
            raise InvalidInput("choose the chief who answers for the case", field="user_id")
        casework.assign_supervisor(session, case_id=case_id, user_id=value_ranges.parse_id(chosen, field="user_id"),
                                   actor=actor_of(page))
    except DomainError as exc:
        session.rollback()
        return case_page(session, settings, page, case_id, status=422,
                         errors={"supervisor": page.error_text(exc)}, open_action="supervise", typed=form)
    return RedirectResponse(f"/cases/{case_id}?done=supervise", status_code=303)
