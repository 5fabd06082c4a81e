"""Complaint intake: validate, normalise the location, place it in a zone, link repeats, open cases.

The rules, shared by the API, Open311 and the CSV import (``ecogrid.complaint_import``):

- Location: stored in WGS-84; the coordinates as received and their system are kept
  (``orig_lon``/``orig_lat``/``orig_crs``). A complaint with only an address is accepted unlocated
  (no zone, ``needs_geocoding``); one with neither location nor address is refused.
- Zone: ``ecogrid_zone_at`` (the deepest covering zone; ties on shared borders to the smaller code).
  Outside every zone the complaint is kept, marked out of jurisdiction, with the nearest zone and
  the distance to it in metres.
- Idempotency: channel + external_ref identify a complaint; sending it again returns the stored one.
- Repeats (only kind=complaint): a complaint of the same category within the category's radius of a
  case that is open, or was closed within ``repeat_closed_window_days`` of the complaint, and that was
  opened no later than the complaint, joins the nearest such case (ties: the older case); a closed case
  it joins is reopened as rework (``ecogrid.cases.service.reopen_on_repeats``, the rule in
  ``ecogrid.cases.states``). Otherwise,
  and for consultations and suggestions always, a new case of the complaint's kind is opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import ColumnElement, FromClause, and_, cast, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import deadlines, duty, rules
from ecogrid.cases import service as casework
from ecogrid.cases.states import Status
from ecogrid.complaints import limits
from ecogrid.core import text_rules, value_ranges
from ecogrid.core.errors import InvalidInput
from ecogrid.core.models import Case, CaseEvent, Complaint
from ecogrid.core.settings import Settings, get_settings
from ecogrid.core.time import as_aware
from ecogrid.core.vocabulary import Category, Channel, Kind
from ecogrid.zones import service as zone_service
from geo import coords

URGENCIES = ("urgent", "ordinary", "complex")
TEXT_FIELDS = ("channel", "kind", "category", "urgency", "crs", "description", "external_ref", "address",
               "complainant_name", "complainant_phone", "complainant_email", "media_url")
# Clocks of hotline systems drift; a complaint "received" further ahead than this is an input error.
FUTURE_TOLERANCE = timedelta(minutes=10)
# A plain cast to geography (no type modifier), the expression the geography GiST indexes are built on.
GEOGRAPHY = Geography(geometry_type=None, srid=-1)
CLOSED_STATUSES = rules.FINISHED
# GeoReport v2 makes the description optional (a category and a place are a complaint); every other
# channel requires one.
DESCRIPTION_OPTIONAL_CHANNELS = frozenset({"open311"})


def still_joinable_sql(k: FromClause, *, at: Any, window_days: Any) -> ColumnElement[bool]:
    """A case ``k`` a complaint received at ``at`` may still join, by status: open, or closed no more
    than ``window_days`` before ``at``."""
    return or_(k.c.status.not_in(rules.FINISHED),
               and_(k.c.status == Status.closed.value,
                    k.c.closed_at >= at - func.make_interval(0, 0, 0, window_days)))


def eligible_case_sql(k: FromClause, *, category: Any, point: Any, radius: Any, at: Any,
                      window_days: Any) -> ColumnElement[bool]:
    """Which cases ``k`` a complaint may join as a repeat: one definition for the API and the bulk import.

    ``point`` is the complaint's WGS-84 point, ``radius`` its category's in metres, ``at`` when it
    was received (values or SQL expressions).
    """
    return and_(k.c.kind == Kind.complaint.value, k.c.category == category, k.c.geom.is_not(None),
                func.ST_DWithin(cast(k.c.geom, GEOGRAPHY), cast(point, GEOGRAPHY), radius),
                k.c.opened_at <= at, still_joinable_sql(k, at=at, window_days=window_days))


@dataclass
class ComplaintIn:
    channel: str
    kind: str
    category: str
    description: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    received_at: datetime | None = None
    external_ref: str | None = None
    address: str | None = None
    complainant_name: str | None = None
    complainant_phone: str | None = None
    complainant_email: str | None = None
    urgency: str = "ordinary"
    media_url: str | None = None
    # The case the clerk chose to join among the ones the repeat rule allows (``nearby_cases``);
    # None lets the rule pick the nearest.
    join_case_id: int | None = None


@dataclass
class Registration:
    complaint: Complaint
    created: bool
    suspects: list[dict[str, Any]] = field(default_factory=list)


def _check_choice(value: Any, allowed: type, name: str) -> str:
    choices = [m.value for m in allowed]  # type: ignore[attr-defined]
    if value not in choices:
        raise InvalidInput(f"unknown {name} {value!r}; expected one of {', '.join(choices)}", field=name)
    return str(value)


def normalise_received_at(value: datetime | None, *, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    if value is None:
        return now
    value_ranges.check_date(value, field="received_at")
    value = as_aware(value)  # hotline exports write Beijing wall-clock time
    if value - now > FUTURE_TOLERANCE:
        raise InvalidInput("received_at lies in the future", field="received_at")
    return value.astimezone(UTC)


def validate(data: ComplaintIn) -> ComplaintIn:
    """Check every field; raise InvalidInput naming the first bad one. Returns normalised input."""
    # Control characters first: the other messages quote the value they refuse.
    for name in TEXT_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str):
            text_rules.check_text(value, field=name)
    _check_choice(data.channel, Channel, "channel")
    _check_choice(data.kind, Kind, "kind")
    _check_choice(data.category, Category, "category")
    if data.urgency not in URGENCIES:
        raise InvalidInput(f"unknown urgency {data.urgency!r}; expected one of {URGENCIES}", field="urgency")
    if not isinstance(data.description, str) or (
            not data.description.strip() and data.channel not in DESCRIPTION_OPTIONAL_CHANNELS):
        raise InvalidInput("description is required", field="description")
    for name, limit in limits.MAX_LENGTHS.items():
        value = getattr(data, name)
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    try:
        data.crs = coords.normalise_crs(data.crs or "wgs84")
    except coords.CoordinateError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    if (data.lon is None) != (data.lat is None):
        missing = "lat" if data.lat is None else "lon"
        raise InvalidInput(f"{missing} is required when {'lon' if missing == 'lat' else 'lat'} is given",
                           field=missing)
    if data.lon is not None:
        try:
            coords.validate_lon_lat(data.lon, data.lat)  # type: ignore[arg-type]
        except coords.CoordinateError as exc:
            raise InvalidInput(str(exc), field=exc.field) from None
    elif not (data.address and data.address.strip()):
        raise InvalidInput("a location (lon, lat) or an address is required", field="lon")
    if data.external_ref is not None:
        data.external_ref = data.external_ref.strip() or None
    return data


def first_due_at(*, channel: str, urgency: str, received_at: datetime,
                 calendar: deadlines.WorkCalendar | None = None) -> datetime:
    """The first deadline of a new case: acceptance where the channel has one, else conclusion."""
    return deadlines.first_due_at(channel=channel, urgency=urgency, received_at=received_at, calendar=calendar)


def find_existing(session: Session, *, channel: str, external_ref: str | None) -> Complaint | None:
    if not external_ref:
        return None
    return session.scalars(select(Complaint).where(Complaint.channel == channel,
                                                   Complaint.external_ref == external_ref)).one_or_none()


# Radius of a category missing from the repeat_radius_m setting.
DEFAULT_REPEAT_RADIUS_M = 100.0


def repeat_radius_m(settings: Settings, category: str) -> float:
    """How far from a case a complaint of ``category`` may be and still repeat it."""
    return float(settings.repeat_radius_m.get(category, DEFAULT_REPEAT_RADIUS_M))


def find_repeat_case(session: Session, *, category: str, lon: float, lat: float, received_at: datetime,
                     settings: Settings) -> int | None:
    radius = repeat_radius_m(settings, category)
    k = Case.__table__
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    nearest = (select(k.c.id)
               .where(eligible_case_sql(k, category=category, point=point, radius=radius, at=received_at,
                                        window_days=settings.repeat_closed_window_days))
               .order_by(func.ST_Distance(cast(k.c.geom, GEOGRAPHY), cast(point, GEOGRAPHY)), k.c.id)
               .limit(1))
    return session.scalar(nearest)


def nearby_cases(session: Session, *, category: str, lon: float, lat: float, settings: Settings,
                 received_at: datetime | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The cases a complaint of ``category`` at (lon, lat) WGS-84 may join, nearest first: the repeat rule's
    own candidates (the one intake joins by itself is the first)."""
    k = Case.__table__
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    distance = func.ST_Distance(cast(k.c.geom, GEOGRAPHY), cast(point, GEOGRAPHY))
    query = (select(k.c.id, k.c.status, k.c.opened_at, k.c.due_at, k.c.repeat_count, distance.label("distance_m"))
             .where(eligible_case_sql(k, category=category, point=point, radius=repeat_radius_m(settings, category),
                                      at=received_at or datetime.now(UTC),
                                      window_days=settings.repeat_closed_window_days))
             .order_by(distance, k.c.id).limit(limit))
    rows = session.execute(query).all()
    return [dict(r._mapping) for r in rows]


def _chosen_case(session: Session, *, data: ComplaintIn, lon: float, lat: float, received_at: datetime,
                 settings: Settings) -> int:
    """The case the clerk chose, if the repeat rule allows this complaint to join it."""
    ident = value_ranges.parse_id(data.join_case_id, field="join_case_id")  # type: ignore[arg-type]
    allowed = nearby_cases(session, category=data.category, lon=lon, lat=lat, settings=settings,
                           received_at=received_at, limit=1000)
    if ident not in {r["id"] for r in allowed}:
        raise InvalidInput(f"case {ident} is not an open case of this category near this place", field="join_case_id")
    return ident


def register_complaint(session: Session, *, data: ComplaintIn, created_by_id: int | None = None,
                       settings: Settings | None = None, with_suspects: bool = True) -> Registration:
    """Store one complaint with its zone and case; the same channel + external_ref again returns the first."""
    settings = settings or get_settings()
    data = validate(data)
    existing = find_existing(session, channel=data.channel, external_ref=data.external_ref)
    if existing is not None:
        return Registration(existing, created=False)
    received_at = normalise_received_at(data.received_at)
    try:
        with session.begin_nested():
            complaint = _store(session, data=data, received_at=received_at, created_by_id=created_by_id,
                               settings=settings)
    except IntegrityError:
        # A concurrent request with the same external_ref won the race: answer with its row.
        existing = find_existing(session, channel=data.channel, external_ref=data.external_ref)
        if existing is None:
            raise
        return Registration(existing, created=False)
    suspects = _suspects(session, complaint=complaint, settings=settings) if with_suspects else []
    return Registration(complaint, created=True, suspects=suspects)


def _store(session: Session, *, data: ComplaintIn, received_at: datetime, created_by_id: int | None,
           settings: Settings) -> Complaint:
    lon = lat = None
    if data.lon is not None:
        lon, lat = coords.to_wgs84(float(data.lon), float(data.lat), data.crs)  # type: ignore[arg-type]
    complaint = Complaint(
        channel=data.channel, kind=data.kind, category=data.category, description=data.description.strip(),
        received_at=received_at, external_ref=data.external_ref, address=data.address,
        complainant_name=data.complainant_name, complainant_phone=data.complainant_phone,
        complainant_email=data.complainant_email, urgency=data.urgency, media_url=data.media_url,
        orig_lon=data.lon, orig_lat=data.lat, orig_crs=data.crs, created_by_id=created_by_id,
        geom=None if lon is None else f"SRID=4326;POINT({lon!r} {lat!r})",
    )
    case_id = None
    if lon is not None and lat is not None:
        hit = zone_service.zone_at(session, lon=lon, lat=lat)
        if hit is not None:
            complaint.zone_id = hit.id
        else:
            near = zone_service.nearest_zone(session, lon=lon, lat=lat)
            complaint.out_of_jurisdiction = near is not None
            if near is not None:
                complaint.nearest_zone_id, complaint.nearest_zone_distance_m = near.id, near.distance_m
        if data.kind == "complaint" and data.join_case_id is not None:
            case_id = _chosen_case(session, data=data, lon=lon, lat=lat, received_at=received_at, settings=settings)
        elif data.kind == "complaint":
            case_id = find_repeat_case(session, category=data.category, lon=lon, lat=lat,
                                       received_at=received_at, settings=settings)
    if case_id is not None:
        complaint.case_id = case_id
        complaint.is_repeat = True
        session.execute(text("""
            UPDATE cases SET repeat_count = repeat_count + 1,
                             last_complaint_at = GREATEST(last_complaint_at, :at) WHERE id = :id
        """), {"id": case_id, "at": received_at})
        session.add(complaint)
        session.flush()
        status = session.scalar(select(Case.status).where(Case.id == case_id))
        session.add(CaseEvent(case_id=case_id, actor_id=created_by_id, action="repeat", from_status=status,
                              to_status=status, note=f"repeat complaint via {data.channel}",
                              data={"complaint_id": complaint.id}))
        session.flush()
        casework.reopen_on_repeats(session, actor_id=created_by_id, joins=[
            casework.RepeatJoin(case_id=case_id, complaint_id=complaint.id, received_at=received_at)])
    else:
        case = Case(kind=data.kind, category=data.category, status="registered", urgency=data.urgency,
                    channel=data.channel, zone_id=complaint.zone_id, geom=complaint.geom, opened_at=received_at,
                    last_complaint_at=received_at,
                    due_at=first_due_at(channel=data.channel, urgency=data.urgency, received_at=received_at,
                                        calendar=calendar_service.current(session)))
        session.add(case)
        session.flush()
        complaint.case_id = case.id
        session.add(complaint)
        session.flush()
        session.add(CaseEvent(case_id=case.id, actor_id=created_by_id, action="register", from_status=None,
                              to_status="registered", note=f"registered from {data.channel}",
                              data={"complaint_id": complaint.id}))
        duty.record_for_duty(session, case=case, received_at=received_at, urgency=data.urgency,
                             office_start=settings.duty_office_start, office_end=settings.duty_office_end)
    session.flush()
    return complaint


def _suspects(session: Session, *, complaint: Complaint, settings: Settings) -> list[dict[str, Any]]:
    if complaint.case_id is None or complaint.geom is None:
        return []
    from ecogrid.sources import suspects as suspect_service

    ranking = suspect_service.rank_suspects(session, case_id=complaint.case_id, limit=5, settings=settings)
    return [{"source_id": s.source_id, "name": s.name, "industry": s.industry, "distance_m": s.distance_m,
             "score": s.score} for s in ranking.suspects]
