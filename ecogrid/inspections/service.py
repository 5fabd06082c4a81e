"""Field inspections: the inspector's task list, submitted findings with readings, and photo evidence.

What the mobile form at ``/m`` needs and nothing more: an inspector sees the cases dispatched to
them or their team (any other case, its inspections and photos are not found: the one check in
:mod:`ecogrid.authorization`), submits one inspection per visit (findings, position, conclusion, readings judged against
the national limits) and adds photos to it. Phones retry when the signal comes back, so every
submission carries a client-generated id and is stored once.

Photos are legal evidence: the original bytes go unchanged into the content-addressed store
before the row is committed, and a file this request created is removed again when the commit
fails, so neither a row without its file nor a file without its row is left behind. What a
crash between the two still leaves is found by :func:`check_uploads` (``ecogrid uploads check``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecogrid.campaigns import service as campaign_service
from ecogrid.cases import service as case_service
from ecogrid.cases import states
from ecogrid.core import authorization, client_ids, sql, vocabulary
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ecogrid.core.models import (
    Case,
    CaseEvent,
    Complaint,
    Inspection,
    PatrolPlan,
    PatrolTarget,
    Photo,
    Reading,
    Source,
    Zone,
)
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, as_aware, rfc3339
from ecogrid.inspections.photos import evidence
from ecogrid.inspections.photos.images import (
    DEFAULT_CONCURRENT_DECODES,
    ImageRejected,
    inspect_image,
    make_thumbnail,
    make_thumbnails,
    safe_filename,
)
from ecogrid.inspections.photos.store import PhotoNotFound, PhotoStore, StoreCheck, check_store, thumbnail_key
from ecogrid.inspections.readings import (
    JudgeContext,
    ReadingError,
    get_parameter,
    judge_reading,
    load_catalogue,
    normalise_reading,
)
from ecogrid.inspections.readings.judge import NOISE_PARAMETERS
from ecogrid.inspections.readings.noise_choice import NOISE_POINTS, choose_noise_setting
from ecogrid.patrols import service as patrol_service
from ecogrid.sources import suspects as suspect_service
from geo.coords import CoordinateError, validate_lon_lat

TASK_STATUSES = ("dispatched", "in_progress", "rectification")
PHONE_ACTIONS = ("rectify", "reply")
# A patrol visit finds a problem at the unit or finds none; the unit itself is the visit's source.
PATROL_CONCLUSIONS = ("problem_confirmed", "not_confirmed")
CONCLUSIONS = ("problem_confirmed", "not_confirmed", "source_identified")
THUMBNAIL_SIDES = (320, 1280)
# Roles that see every case's inspections and photos; an inspector sees only their own.
SUPERVISING_ROLES = ("chief", "admin")
FIELD_ROLES = ("inspector", *SUPERVISING_ROLES)


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in staff member (integrations have no user id and act on no inspection)."""

    user_id: int | None
    role: str


@dataclass(frozen=True)
class ReadingIn:
    parameter: str
    value: float
    unit: str | None
    measured_at: datetime
    client_id: str | None = None
    instrument: str | None = None
    background: float | None = None
    # Where a noise reading was taken: "boundary" (the emitter's) or "environment"; None: the category's usual.
    noise_point: str | None = None


@dataclass(frozen=True)
class InspectionIn:
    # Exactly one of case_id (a complaint case) and patrol_target_id (a drawn unit or a route stop).
    case_id: int | None
    client_id: str
    findings: str | None = None
    lon: float | None = None
    lat: float | None = None
    started_at: datetime | None = None
    conclusion: str | None = None
    source_id: int | None = None
    readings: tuple[ReadingIn, ...] = ()
    patrol_target_id: int | None = None
    campaign_id: int | None = None  # the special campaign the visit is made for, if any


# --- tasks -------------------------------------------------------------------------------------


def list_tasks(
    session: Session, *, actor: Actor, lon: float | None = None, lat: float | None = None
) -> list[dict[str, Any]]:
    """Cases dispatched to the actor (or their team) that are still being handled, soonest due first.

    With the inspector's position, each task carries its distance in metres (on the geography).
    """
    if actor.user_id is None:
        raise Forbidden("tasks belong to a signed-in inspector")
    here = _point_or_none(lon, lat)
    rows = session.execute(
        sql.query(__file__, "tasks"),
        {
            "user_id": actor.user_id,
            "team": authorization.reach_of(session, user_id=actor.user_id, role=actor.role).team,
            "statuses": list(TASK_STATUSES),
            "lon": here[0] if here else None,
            "lat": here[1] if here else None,
        },
    ).all()
    return [
        {
            "case_id": r.id,
            "category": r.category,
            "status": r.status,
            "urgency": r.urgency,
            "due_at": rfc3339(r.due_at),
            "opened_at": rfc3339(r.opened_at),
            "repeat_count": r.repeat_count,
            "exceedance": r.exceedance,
            "zone": r.zone_name,
            "location": _geojson_point(r.lon, r.lat),
            "distance_m": None if r.distance_m is None else round(float(r.distance_m), 1),
        }
        for r in rows
    ]


def get_task(session: Session, *, actor: Actor, case_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """One case as an inspector needs it on site; never the complainants' personal data."""
    case = _case_for(session, actor=actor, case_id=case_id)
    lon, lat = _case_lon_lat(session, case)
    zone = session.get(Zone, case.zone_id) if case.zone_id else None
    complaints = session.scalars(
        select(Complaint).where(Complaint.case_id == case.id).order_by(Complaint.received_at, Complaint.id)
    ).all()
    ranking = suspect_service.rank_suspects(session, case_id=case.id, settings=settings)
    earlier = session.scalars(
        select(Inspection).where(Inspection.case_id == case.id).order_by(Inspection.submitted_at, Inspection.id)
    ).all()
    return {
        "case_id": case.id,
        "kind": case.kind,
        "category": case.category,
        "status": case.status,
        "urgency": case.urgency,
        "due_at": rfc3339(case.due_at),
        "opened_at": rfc3339(case.opened_at),
        "repeat_count": case.repeat_count,
        "exceedance": case.exceedance,
        "confirmed_source_id": case.confirmed_source_id,
        "location": _geojson_point(lon, lat),
        "address": _site_address(session, case=case, suspects=ranking.suspects),
        # The case actions the form offers from the phone (责令整改, 办结回复), as the workflow allows them now.
        "actions": [a.value for a in case_service.allowed_for(
            case, session=session, actor=case_service.Actor(user_id=actor.user_id, name="", role=actor.role))
            if a.value in PHONE_ACTIONS],
        "zone": None if zone is None else {
            "id": zone.id, "code": zone.code, "name": zone.name, "noise_class": zone.noise_class,
        },
        # Only what was reported and when: the complainant's identity stays with intake staff.
        "complaints": [
            {"id": c.id, "received_at": rfc3339(c.received_at), "channel": c.channel, "category": c.category,
             "description": c.description}
            for c in complaints
        ],
        "suspects": [
            {"source_id": s.source_id, "name": s.name, "industry": s.industry, "distance_m": s.distance_m,
             "score": s.score, "explanation": list(s.explanation), "explanation_en": list(s.explanation_en),
             "location": _geojson_point(s.lon, s.lat) if s.lon is not None and s.lat is not None else None}
            for s in ranking.suspects
        ],
        # Earlier visits with their photos and verdicts, so a reopened case shows what was found.
        "inspections": [describe_inspection(session, inspection=i) for i in earlier],
    }


def _site_address(session: Session, *, case: Case, suspects: Any) -> dict[str, str] | None:
    """Where to go: the confirmed source's registered address, else the likeliest suspect's.

    Never the complaint's address: that is often the complainant's home (see test_views)."""
    source_id = case.confirmed_source_id or next((s.source_id for s in suspects), None)
    source = session.get(Source, source_id) if source_id is not None else None
    if source is None or not source.address:
        return None
    return {"text": source.address, "of": source.name,
            "basis": "confirmed_source" if case.confirmed_source_id else "top_suspect"}


def form_vocabulary() -> dict[str, Any]:
    catalogue = load_catalogue()
    return {
        "parameters": [
            {"code": p.code, "label": p.label, "label_zh": p.label_zh, "unit": p.unit,
             "units": list(catalogue.accepted_units(p.code))}
            for p in catalogue.parameters.values()
        ],
        "labels": {code: {"zh": zh, "en": en} for code, (zh, en) in vocabulary.LABELS.items()},
        "conclusions": list(CONCLUSIONS),
        "statuses": {s.value: {"zh": zh, "en": en} for s, (zh, en) in states.STATUS_LABELS.items()},
    }


# --- inspections -------------------------------------------------------------------------------


def submit_inspection(
    session: Session, *, actor: Actor, data: InspectionIn, now: datetime | None = None
) -> tuple[Inspection, bool]:
    """Store one visit with its readings, in one transaction; ``(inspection, created)``.

    A client id seen before returns the stored inspection unchanged (``created`` False), so a
    phone retrying after a lost answer, or a double tap, stores the visit once. Copies sent at
    the same moment queue on a lock named by the client id: the first stores the visit, each
    later one then finds it and answers with it, never with an error.
    """
    if actor.user_id is None:
        raise Forbidden("inspections are submitted by a signed-in inspector")
    client_id = client_ids.clean(data.client_id, "client_id")
    client_ids.queue_behind(session, kind="inspection", client_id=client_id)
    existing = _inspection_by_client_id(session, client_id=client_id, actor=actor)
    if existing is not None:
        return existing, False

    moment = now or datetime.now(UTC)
    if (data.case_id is None) == (data.patrol_target_id is None):
        raise InvalidInput("an inspection belongs to a case or to a patrol target: give exactly one",
                           field="case_id")
    if data.campaign_id is not None:
        campaign_service.check_exists(session, campaign_id=data.campaign_id)
    if data.patrol_target_id is not None:
        return _submit_patrol_visit(session, actor=actor, data=data, client_id=client_id, moment=moment)
    assert data.case_id is not None  # exactly one of case and patrol target, checked above
    case = _case_for(session, actor=actor, case_id=data.case_id, acting=True)
    if case.status not in TASK_STATUSES:
        raise Conflict(f"case {case.id} is {case.status}; inspections are recorded while it is handled",
                       field="case_id")
    if data.conclusion is not None and data.conclusion not in CONCLUSIONS:
        raise InvalidInput(f"conclusion must be one of {', '.join(CONCLUSIONS)}", field="conclusion")
    if data.conclusion == "source_identified":
        if data.source_id is None:
            raise InvalidInput("name the source when the conclusion is source_identified", field="source_id")
        if session.get(Source, data.source_id) is None:
            raise InvalidInput(f"source {data.source_id} does not exist", field="source_id")
    elif data.source_id is not None:
        raise InvalidInput("a source is named only with the conclusion source_identified", field="source_id")
    point = _point_or_none(data.lon, data.lat)
    started_at = data.started_at
    if started_at is not None:
        started_at = as_aware(started_at)  # without offset: Beijing time
        if started_at > moment + timedelta(minutes=5):
            raise InvalidInput("the visit cannot start in the future", field="started_at")

    judged = _judge_readings(session, zone_id=case.zone_id, category=case.category, readings=data.readings)

    try:
        with session.begin_nested():
            inspection = _store_inspection(session, actor=actor, case=case, client_id=client_id, data=data,
                                           point=point, started_at=started_at or moment, moment=moment,
                                           judged=judged)
    except IntegrityError:
        # A copy that came by another path than the lock above stored the visit first.
        return _stored_copy(session, client_id=client_id, actor=actor), False
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return _stored_copy(session, client_id=client_id, actor=actor), False
    return inspection, True


# --- patrol visits ------------------------------------------------------------------------------


def _patrol_target_for(session: Session, *, actor: Actor, target_id: int) -> PatrolTarget:
    """A drawn unit or route stop the actor may visit: an inspector only one naming them (or naming nobody)."""
    if actor.role not in FIELD_ROLES:
        raise Forbidden("field work is done by inspectors and chiefs")
    target = session.get(PatrolTarget, target_id)
    named = [int(i) for i in (target.inspector_ids or [])] if target is not None else []
    if target is None or target.source_id is None or (
            actor.role == "inspector" and named and actor.user_id not in named):
        raise NotFound(f"patrol target {target_id} not found", field="patrol_target_id")
    return target


def _noise_category(source: Source) -> str | None:
    # A unit's own noise category decides its boundary standard (GB 12348, GB 22337 or GB 12523).
    return next((c for c in (source.categories or []) if c.startswith("noise_")), None)


def _submit_patrol_visit(session: Session, *, actor: Actor, data: InspectionIn, client_id: str,
                         moment: datetime) -> tuple[Inspection, bool]:
    """A visit of a drawn unit or a route stop: it belongs to that unit, to no case.

    The unit is the target's source and nothing else: no case is touched, no case event written and
    no source confirmed for a case, so a patrol can never blame a unit for a complaint by accident.
    The stop counts as done once this row exists (``inspections.patrol_target_id``)."""
    assert data.patrol_target_id is not None and actor.user_id is not None
    target = _patrol_target_for(session, actor=actor, target_id=data.patrol_target_id)
    source = session.get(Source, target.source_id)
    assert source is not None
    if data.conclusion is not None and data.conclusion not in PATROL_CONCLUSIONS:
        raise InvalidInput(f"a patrol visit concludes {' or '.join(PATROL_CONCLUSIONS)}", field="conclusion")
    if data.source_id is not None and data.source_id != source.id:
        raise InvalidInput(f"this patrol visit is of source {source.id}", field="source_id")
    point = _point_or_none(data.lon, data.lat)
    started_at = as_aware(data.started_at) if data.started_at is not None else moment
    if started_at > moment + timedelta(minutes=5):
        raise InvalidInput("the visit cannot start in the future", field="started_at")
    judged = _judge_readings(session, zone_id=source.zone_id, category=_noise_category(source),
                             readings=data.readings)
    try:
        with session.begin_nested():
            inspection = Inspection(
                client_id=client_id, case_id=None, patrol_target_id=target.id, source_id=source.id,
                inspector_id=actor.user_id, started_at=started_at, submitted_at=moment, geom=_ewkt(point),
                findings=(data.findings or "").strip() or None, conclusion=data.conclusion, flags=[],
                campaign_id=data.campaign_id)
            session.add(inspection)
            session.flush()
            for reading, (verdict, is_exceeded) in zip(data.readings, judged, strict=True):
                session.add(Reading(
                    client_id=reading.client_id, inspection_id=inspection.id, case_id=None,
                    parameter=reading.parameter, value=reading.value,
                    unit=reading.unit or get_parameter(reading.parameter).unit,
                    measured_at=as_aware(reading.measured_at), geom=_ewkt(point), instrument=reading.instrument,
                    exceeded=is_exceeded, verdict=verdict))
            session.flush()
    except IntegrityError:
        return _stored_copy(session, client_id=client_id, actor=actor), False
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return _stored_copy(session, client_id=client_id, actor=actor), False
    return inspection, True


def patrol_day(session: Session, *, actor: Actor, on: date) -> list[dict[str, Any]]:
    """The actor's routes planned for ``on`` (Beijing day): every stop naming them, in route order."""
    if actor.user_id is None:
        raise Forbidden("patrols belong to a signed-in inspector")
    start = datetime.combine(on, datetime.min.time(), tzinfo=BEIJING)
    plans = session.scalars(
        select(PatrolPlan).where(PatrolPlan.kind == "route", PatrolPlan.planned_for >= start,
                                 PatrolPlan.planned_for < start + timedelta(days=1))
        .order_by(PatrolPlan.id)).all()
    out = []
    for plan in plans:
        route = patrol_service.describe_route(session, plan_id=plan.id)
        mine = [s for s in route["stops"] if actor.role != "inspector" or not s["inspector_ids"]
                or actor.user_id in [int(i) for i in s["inspector_ids"]]]
        if mine:
            out.append({"id": plan.id, "date": route["date"], "total_m": route["total_m"], "stops": mine,
                        "done": sum(1 for s in mine if s["done"]), "total": len(mine)})
    return out


def get_stop(session: Session, *, actor: Actor, target_id: int) -> dict[str, Any]:
    """A patrol stop as the form shows a case: where the unit is, its zone, earlier visits of this stop."""
    target = _patrol_target_for(session, actor=actor, target_id=target_id)
    source = session.get(Source, target.source_id)
    assert source is not None
    zone = session.get(Zone, source.zone_id) if source.zone_id else None
    lon, lat = _lon_lat_of(session, Source, source.id)
    earlier = session.scalars(select(Inspection).where(Inspection.patrol_target_id == target.id)
                              .order_by(Inspection.submitted_at, Inspection.id)).all()
    return {
        "target_id": target.id, "plan_id": target.plan_id, "seq": target.seq,
        "source": {"id": source.id, "name": source.name, "industry": source.industry,
                   "credit_code": source.credit_code},
        "category": _noise_category(source), "location": _geojson_point(lon, lat),
        "address": {"text": source.address, "of": source.name, "basis": "patrol_target"} if source.address else None,
        "zone": None if zone is None else {"id": zone.id, "code": zone.code, "name": zone.name,
                                           "noise_class": zone.noise_class},
        "inspections": [describe_inspection(session, inspection=i) for i in earlier],
    }


def _stored_copy(session: Session, *, client_id: str, actor: Actor) -> Inspection:
    again = _inspection_by_client_id(session, client_id=client_id, actor=actor)
    if again is None:
        # Not a copy of this submission: one of its reading client ids belongs to another visit.
        raise Conflict("a reading client id is already used by another inspection", field="readings")
    return again


def _store_inspection(
    session: Session, *, actor: Actor, case: Case, client_id: str, data: InspectionIn,
    point: tuple[float, float] | None, started_at: datetime, moment: datetime,
    judged: list[tuple[dict[str, Any] | None, bool | None]],
) -> Inspection:
    assert actor.user_id is not None
    inspection = Inspection(
        client_id=client_id,
        case_id=case.id,
        inspector_id=actor.user_id,
        started_at=started_at,
        submitted_at=moment,
        geom=_ewkt(point),
        findings=(data.findings or "").strip() or None,
        conclusion=data.conclusion,
        source_id=data.source_id,
        flags=[],
        campaign_id=data.campaign_id,
    )
    session.add(inspection)
    session.flush()

    if case.status == states.Status.dispatched:
        move = states.transition(status=case.status, kind=case.kind, action="start", role=actor.role,
                                 reach=authorization.reach_of(session, user_id=actor.user_id, role=actor.role),
                                 assignment=authorization.assignment_of(case))
        session.add(CaseEvent(case_id=case.id, actor_id=actor.user_id, action=move.action.value,
                              from_status=move.from_status.value, to_status=move.status.value,
                              data={"inspection_id": inspection.id}))
        case.status = move.status.value

    exceeded = []
    for reading, (verdict, is_exceeded) in zip(data.readings, judged, strict=True):
        row = Reading(
            client_id=reading.client_id,
            inspection_id=inspection.id,
            case_id=case.id,
            parameter=reading.parameter,
            value=reading.value,
            unit=reading.unit or get_parameter(reading.parameter).unit,
            measured_at=as_aware(reading.measured_at),
            geom=_ewkt(point),
            instrument=reading.instrument,
            exceeded=is_exceeded,
            verdict=verdict,
        )
        session.add(row)
        if is_exceeded:
            exceeded.append(row)
    session.flush()

    session.add(CaseEvent(case_id=case.id, actor_id=actor.user_id, action="inspect", from_status=case.status,
                          to_status=case.status,
                          data={"inspection_id": inspection.id, "conclusion": data.conclusion,
                                "readings": len(data.readings)}))
    if exceeded:
        case.exceedance = True
        session.add(CaseEvent(
            case_id=case.id, actor_id=actor.user_id, action="exceedance", from_status=case.status,
            to_status=case.status,
            note="; ".join(
                f"{r.parameter} {r.verdict['judged_value']:g} {r.verdict['unit']} > {r.verdict['limit']} "
                f"({r.verdict['standard']})" for r in exceeded if r.verdict
            ),
            data={"inspection_id": inspection.id, "reading_ids": [r.id for r in exceeded]},
        ))
    if data.conclusion == "source_identified" and data.source_id is not None:
        suspect_service.confirm_source(session, case_id=case.id, source_id=data.source_id,
                                       user_id=actor.user_id, note=f"inspection {inspection.id}")
    return inspection


def get_inspection(session: Session, *, actor: Actor, inspection_id: int) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} not found", field="inspection_id")
    _check_sees_inspection(session, actor=actor, inspection=inspection)
    return inspection


def describe_inspection(session: Session, *, inspection: Inspection) -> dict[str, Any]:
    lon, lat = _lon_lat_of(session, Inspection, inspection.id)
    readings = session.scalars(
        select(Reading).where(Reading.inspection_id == inspection.id).order_by(Reading.id)
    ).all()
    photos = session.scalars(select(Photo).where(Photo.inspection_id == inspection.id).order_by(Photo.id)).all()
    return {
        "id": inspection.id,
        "client_id": inspection.client_id,
        "case_id": inspection.case_id,
        "patrol_target_id": inspection.patrol_target_id,
        "inspector_id": inspection.inspector_id,
        "started_at": rfc3339(inspection.started_at),
        "submitted_at": rfc3339(inspection.submitted_at),
        "location": _geojson_point(lon, lat),
        "findings": inspection.findings,
        "conclusion": inspection.conclusion,
        "source_id": inspection.source_id,
        "campaign_id": inspection.campaign_id,
        "flags": list(inspection.flags or []),
        "readings": [
            {"id": r.id, "client_id": r.client_id, "parameter": r.parameter, "value": r.value, "unit": r.unit,
             "measured_at": rfc3339(r.measured_at), "instrument": r.instrument, "exceeded": r.exceeded,
             "verdict": r.verdict}
            for r in readings
        ],
        "photos": [describe_photo(session, photo=p) for p in photos],
    }


def _judge_readings(
    session: Session, *, zone_id: int | None, category: str | None, readings: tuple[ReadingIn, ...]
) -> list[tuple[dict[str, Any] | None, bool | None]]:
    zone = session.get(Zone, zone_id) if zone_id else None
    seen_client_ids: set[str] = set()
    out: list[tuple[dict[str, Any] | None, bool | None]] = []
    for index, reading in enumerate(readings):
        where = f"readings[{index}]"
        if reading.client_id is not None:
            cid = client_ids.clean(reading.client_id, f"{where}.client_id")
            taken = session.scalar(select(Reading.id).where(Reading.client_id == cid))
            if cid in seen_client_ids or taken is not None:
                raise Conflict(f"reading client id {cid!r} is already stored", field=f"{where}.client_id")
            seen_client_ids.add(cid)
        measured_at = as_aware(reading.measured_at)
        try:
            normalise_reading(reading.parameter, reading.value, reading.unit)
            if reading.background is not None:
                normalise_reading("noise_background", reading.background, reading.unit)
        except ReadingError as error:
            raise InvalidInput(error.message, field=f"{where}.{error.field}") from None
        if reading.noise_point is not None and reading.noise_point not in NOISE_POINTS:
            raise InvalidInput(f"noise_point must be one of {', '.join(NOISE_POINTS)}", field=f"{where}.noise_point")
        choice = choose_noise_setting(category, reading.noise_point)
        context = JudgeContext(noise_class=zone.noise_class if zone else None, noise_setting=choice.setting,
                               background_laeq=reading.background)
        try:
            verdict = judge_reading(parameter=reading.parameter, value=reading.value, unit=reading.unit,
                                    measured_at=measured_at, context=context)
        except ReadingError as error:
            if error.field in ("parameter", "unit", "value", "measured_at", "background_laeq"):
                field = "background" if error.field == "background_laeq" else error.field
                raise InvalidInput(error.message, field=f"{where}.{field}") from None
            # The reading is real even when the place lacks what judging needs (e.g. no noise class).
            out.append(({"judged": False, "reason": f"{error.field}: {error.message}"}, None))
            continue
        if verdict is None:
            out.append((None, None))
            continue
        judged_json = _verdict_json(verdict, background=reading.background)
        if reading.parameter in NOISE_PARAMETERS:
            # Which standard and why, in the record itself: the choice depends on category and point.
            judged_json.update(noise_setting=choice.setting, noise_point=choice.point,
                               basis_zh=choice.reason_zh, basis_en=choice.reason_en)
        out.append((judged_json, verdict.exceeded))
    return out


def _verdict_json(verdict: Any, *, background: float | None) -> dict[str, Any]:
    limit = verdict.limit
    return {
        "judged": True,
        "parameter": verdict.parameter,
        "measured_value": verdict.measured_value,
        "judged_value": verdict.judged_value,
        "unit": verdict.unit,
        "standard": verdict.standard,
        "standard_name": verdict.standard_name,
        "limit": list(limit) if isinstance(limit, tuple) else limit,
        "limit_kind": verdict.limit_kind,
        "exceeded": verdict.exceeded,
        "excess": verdict.excess,
        "period": verdict.period,
        "grade": verdict.grade,
        "grade_zh": verdict.grade_zh,
        "index": verdict.index,
        "remeasure": verdict.remeasure,
        "background": background,
        "notes": list(verdict.notes),
    }


# --- photos ------------------------------------------------------------------------------------


def add_photo(
    session: Session,
    *,
    actor: Actor,
    inspection_id: int,
    client_id: str,
    data: bytes,
    filename: str | None,
    store: PhotoStore,
    settings: Settings,
    now: datetime | None = None,
) -> tuple[Photo, bool]:
    """Check, store and record one photo of an inspection; ``(photo, created)``.

    Refusals (ImageRejected as InvalidInput on ``file``) happen before anything is written.
    A photo taken far from the site or outside the visit is stored and flagged, not refused.
    """
    client_id = client_ids.clean(client_id, "client_id")
    inspection = get_inspection(session, actor=actor, inspection_id=inspection_id)
    if actor.role not in SUPERVISING_ROLES and inspection.inspector_id != actor.user_id:
        raise Forbidden("only the inspector who made the visit adds photos to it")
    existing = session.scalar(select(Photo).where(Photo.client_id == client_id))
    if existing is not None:
        if existing.inspection_id != inspection.id:
            raise Conflict("this photo client id belongs to another inspection", field="client_id")
        return existing, False

    try:
        info = inspect_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels,
                             max_concurrent_decodes=settings.max_concurrent_decodes)
    except ImageRejected as rejected:
        raise InvalidInput(rejected.reason, field=rejected.field) from None

    case_lon, case_lat = (None, None)
    if inspection.case_id is not None:
        case = session.get(Case, inspection.case_id)
        if case is not None:
            case_lon, case_lat = _case_lon_lat(session, case)
    visit_end = inspection.submitted_at
    visit_start = min(inspection.started_at or visit_end, visit_end)
    flags = [
        {"code": f.code, "message_en": f.message_en, "message_zh": f.message_zh}
        for f in evidence.evidence_flags(
            photo_lon=info.exif_lon, photo_lat=info.exif_lat, photo_taken_at=info.exif_taken_at,
            site_lon=case_lon, site_lat=case_lat, visit_start=visit_start, visit_end=visit_end,
            max_distance_m=settings.photo_max_distance_m,
            max_time_skew=timedelta(minutes=settings.photo_max_time_skew_minutes),
        )
    ]

    stored = store.put(data)
    created_keys: list[str] = [stored.key] if stored.created else []
    try:
        thumbnails = make_thumbnails(data, sides=THUMBNAIL_SIDES,
                                     max_concurrent_decodes=settings.max_concurrent_decodes)
        for side, thumbnail in thumbnails.items():
            thumb = store.put_thumbnail(info.sha256, max_side=side, data=thumbnail)
            if thumb.created:
                created_keys.append(thumb.key)
        photo = Photo(
            client_id=client_id,
            inspection_id=inspection.id,
            sha256=info.sha256,
            storage_key=stored.key,
            mime=info.mime,
            size_bytes=info.size,
            width=info.width,
            height=info.height,
            original_name=safe_filename(filename) if filename else None,
            exif_taken_at=info.exif_taken_at,
            exif_geom=_ewkt((info.exif_lon, info.exif_lat) if info.exif_lon is not None
                            and info.exif_lat is not None else None),
            uploaded_at=now or datetime.now(UTC),
            uploaded_by_id=actor.user_id,
            flags=flags,
        )
        session.add(photo)
        session.flush()
        if flags:
            inspection.flags = [*(inspection.flags or []), *({"photo_id": photo.id, **f} for f in flags)]
        session.commit()
    except IntegrityError:
        session.rollback()
        _discard_unreferenced(session, store=store, sha256=info.sha256, keys=created_keys)
        again = session.scalar(select(Photo).where(Photo.client_id == client_id))
        if again is None:
            raise
        return again, False
    except BaseException:
        session.rollback()
        _discard_unreferenced(session, store=store, sha256=info.sha256, keys=created_keys)
        raise
    return photo, True


def _discard_unreferenced(session: Session, *, store: PhotoStore, sha256: str, keys: list[str]) -> None:
    # Only files this request created, and only when no committed row uses the same bytes.
    with contextlib.suppress(Exception):
        if session.scalar(select(func.count()).select_from(Photo).where(Photo.sha256 == sha256)):
            return
    for key in keys:
        with contextlib.suppress(Exception):
            store.delete(key)


def describe_photo(session: Session, *, photo: Photo) -> dict[str, Any]:
    lon, lat = _lon_lat_of(session, Photo, photo.id, column="exif_geom")
    return {
        "id": photo.id,
        "client_id": photo.client_id,
        "inspection_id": photo.inspection_id,
        "sha256": photo.sha256,
        "mime": photo.mime,
        "size_bytes": photo.size_bytes,
        "width": photo.width,
        "height": photo.height,
        "original_name": photo.original_name,
        "exif_taken_at": rfc3339(photo.exif_taken_at),
        "exif_location": _geojson_point(lon, lat),
        "uploaded_at": rfc3339(photo.uploaded_at),
        "flags": list(photo.flags or []),
        "url": f"/api/v1/photos/{photo.id}",
        "thumbnails": {str(side): f"/api/v1/photos/{photo.id}/thumb?size={side}" for side in THUMBNAIL_SIDES},
    }


def read_photo(
    session: Session, *, actor: Actor, photo_id: int, store: PhotoStore, size: int | None = None,
    settings: Settings | None = None,
) -> tuple[bytes, str, Photo]:
    """The original bytes (``size`` None) or a thumbnail, for staff allowed to see the case."""
    photo = _visible_photo(session, actor=actor, photo_id=photo_id)
    if size is None:
        try:
            return store.open(photo.storage_key), photo.mime, photo
        except PhotoNotFound:
            raise NotFound(f"the file of photo {photo_id} is missing from the store", field="photo_id") from None
    if size not in THUMBNAIL_SIDES:
        raise InvalidInput(f"size must be one of {', '.join(map(str, THUMBNAIL_SIDES))}", field="size")
    key = thumbnail_key(photo.sha256, max_side=size)
    try:
        return store.open(key), "image/jpeg", photo
    except PhotoNotFound:
        pass
    # Thumbnails are derived data: rebuild a lost one from the original.
    try:
        original = store.open(photo.storage_key)
    except PhotoNotFound:
        raise NotFound(f"the file of photo {photo_id} is missing from the store", field="photo_id") from None
    decodes = settings.max_concurrent_decodes if settings is not None else DEFAULT_CONCURRENT_DECODES
    thumb = make_thumbnail(original, max_side=size, max_concurrent_decodes=decodes)
    store.put_thumbnail(photo.sha256, max_side=size, data=thumb)
    return thumb, "image/jpeg", photo


def stream_photo(
    session: Session, *, actor: Actor, photo_id: int, store: PhotoStore,
) -> tuple[Iterator[bytes], Photo]:
    """The original's bytes in chunks, for staff allowed to see the case (the same check as read_photo)."""
    photo = _visible_photo(session, actor=actor, photo_id=photo_id)
    try:
        return store.stream(photo.storage_key), photo
    except PhotoNotFound:
        raise NotFound(f"the file of photo {photo_id} is missing from the store", field="photo_id") from None


def _visible_photo(session: Session, *, actor: Actor, photo_id: int) -> Photo:
    if actor.user_id is None:
        raise Forbidden("photos are evidence: only signed-in staff may see them")
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound(f"photo {photo_id} not found", field="photo_id")
    inspection = session.get(Inspection, photo.inspection_id)
    assert inspection is not None
    _check_sees_inspection(session, actor=actor, inspection=inspection)
    return photo


def check_uploads(
    session: Session, *, store: PhotoStore, fix: bool = False, verify_hashes: bool = False,
    grace: timedelta = timedelta(hours=1),
) -> StoreCheck:
    """Compare the photo store with the photo rows (orphan files, rows whose file is missing)."""
    known = set(session.scalars(select(Photo.storage_key)))
    return check_store(store, known, fix=fix, verify_hashes=verify_hashes, grace=grace)


def rows_missing_files(session: Session, *, keys: list[str]) -> list[tuple[int, str]]:
    if not keys:
        return []
    return [(r.id, r.storage_key) for r in session.execute(
        select(Photo.id, Photo.storage_key).where(Photo.storage_key.in_(keys)).order_by(Photo.id))]


# --- helpers -----------------------------------------------------------------------------------


def _case_for(session: Session, *, actor: Actor, case_id: int, acting: bool = False) -> Case:
    """The case for field work: NotFound when the actor may not see it; for ``acting``, also
    Forbidden outside a chief's zones (the one check shared with case actions)."""
    if actor.role not in FIELD_ROLES:
        raise Forbidden("field work is done by inspectors and chiefs")
    case = authorization.check_sees_case(session, case_id=case_id, user_id=actor.user_id, role=actor.role,
                                         field="case_id")
    if acting:
        authorization.check_may_act(session, case=case, user_id=actor.user_id, role=actor.role)
    return case


def _check_sees_inspection(session: Session, *, actor: Actor, inspection: Inspection) -> None:
    """Chiefs and admin see every inspection; an inspector their own visits and those of the cases
    they see. Anything else is NotFound, like a missing inspection."""
    if actor.role in SUPERVISING_ROLES:
        return
    if actor.role == "inspector" and actor.user_id is not None:
        if inspection.inspector_id == actor.user_id:
            return
        if inspection.case_id is not None:
            case = session.get(Case, inspection.case_id)
            reach = authorization.reach_of(session, user_id=actor.user_id, role=actor.role)
            if case is not None and authorization.sees_case(actor.role, reach, case):
                return
        raise NotFound(f"inspection {inspection.id} not found", field="inspection_id")
    raise Forbidden("inspections are seen by inspectors and chiefs")


def _inspection_by_client_id(session: Session, *, client_id: str, actor: Actor) -> Inspection | None:
    found = session.scalar(select(Inspection).where(Inspection.client_id == client_id))
    if found is not None and found.inspector_id != actor.user_id and actor.role not in SUPERVISING_ROLES:
        raise Conflict("this client id is already used by another inspector's submission", field="client_id")
    return found


def _point_or_none(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise InvalidInput("give both lon and lat, or neither", field="lon" if lon is None else "lat")
    try:
        validate_lon_lat(lon, lat)
    except CoordinateError as error:
        raise InvalidInput(str(error), field=error.field) from None
    return float(lon), float(lat)


def _ewkt(point: tuple[float, float] | None) -> str | None:
    return None if point is None else f"SRID=4326;POINT({point[0]!r} {point[1]!r})"


def _case_lon_lat(session: Session, case: Case) -> tuple[float | None, float | None]:
    return _lon_lat_of(session, Case, case.id)


def _lon_lat_of(session: Session, model: Any, row_id: int, column: str = "geom") -> tuple[float | None, float | None]:
    geom = getattr(model, column)
    row = session.execute(select(func.ST_X(geom), func.ST_Y(geom)).where(model.id == row_id)).one_or_none()
    if row is None or row[0] is None:
        return None, None
    return float(row[0]), float(row[1])


def _geojson_point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}
