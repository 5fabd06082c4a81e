"""ORM tables: the one home of the domain model. The schema itself is owned by Alembic migrations.

Conventions: class singular, table plural, geometry column ``geom`` in SRID 4326 (WGS-84),
times are ``timestamptz``. Histories (case events, audit log) are append-only; a database
trigger refuses UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(Text)}


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _point(nullable: bool = True) -> Any:
    return mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=nullable)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Inspectors qualified for "double random" draws (持证执法人员).
    qualified: Mapped[bool] = mapped_column(Boolean, server_default="true")
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _now()
    # Raised by sign-out and deactivation: tokens carrying an older version are refused.
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # The enforcement team (执法中队) an inspector belongs to; cases dispatched to it are theirs too.
    team: Mapped[str | None] = mapped_column(String(128), index=True)


class ApiKey(Base):
    """An integration key (hotline systems, Open311 clients). Only a hash of the key is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), server_default="clerk")
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Zone(Base):
    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responsible_unit: Mapped[str | None] = mapped_column(String(256))
    noise_class: Mapped[str | None] = mapped_column(String(4))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    parent: Mapped[Zone | None] = relationship(remote_side="Zone.id")
    officer: Mapped[User | None] = relationship()


class CalendarDay(Base):
    """A day of a year's official schedule: a holiday or a make-up working day (调休上班). A year is
    loaded and replaced whole; days it does not list are working days Monday to Friday."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer, index=True)
    loaded_at: Mapped[datetime] = _now()
    source: Mapped[str] = mapped_column(Text)


class IndustryCategory(Base):
    """Which complaint categories an industry may cause: data the bureau edits, not code."""

    __tablename__ = "industries"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(64))
    label_en: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry: Mapped[str] = mapped_column(ForeignKey("industries.code"))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    key_discharger: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Class for "double random" sampling rates: key / special / ordinary.
    unit_class: Mapped[str] = mapped_column(String(16), server_default="ordinary")
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = _point(nullable=False)
    footprint: Mapped[Any | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    stack_height_m: Mapped[float | None] = mapped_column(Float)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    orig_lon: Mapped[float | None] = mapped_column(Float)
    orig_lat: Mapped[float | None] = mapped_column(Float)
    orig_crs: Mapped[str] = mapped_column(String(16), server_default="wgs84")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Case(Base):
    """The underlying problem; repeat complaints about it are linked to it."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, server_default="registered")
    urgency: Mapped[str] = mapped_column(String(16), server_default="ordinary")
    channel: Mapped[str] = mapped_column(String(32))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    geom: Mapped[Any] = _point()
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_complaint_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_team: Mapped[str | None] = mapped_column(String(128))
    repeat_count: Mapped[int] = mapped_column(Integer, server_default="0")
    handling_count: Mapped[int] = mapped_column(Integer, server_default="1")
    # Times a repeat complaint reopened the case after it was closed (返工; ecogrid.cases.states).
    rework_count: Mapped[int] = mapped_column(Integer, server_default="0")
    extended: Mapped[bool] = mapped_column(Boolean, server_default="false")
    extension_reason: Mapped[str | None] = mapped_column(Text)
    rectification_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    exceedance: Mapped[bool] = mapped_column(Boolean, server_default="false")
    confirmed_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str | None] = mapped_column(String(32))
    transferred_to_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    # The leader who owns the case to the end (领导包案) and the backlog ledger (信访积案); ecogrid.cases.ownership.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    backlog: Mapped[str | None] = mapped_column(String(8))  # listed, left, or null: no decision recorded
    backlog_reason: Mapped[str | None] = mapped_column(Text)
    backlog_focused: Mapped[bool] = mapped_column(Boolean, server_default="false")
    backlog_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The person on duty (值班) an urgent complaint out of hours was recorded for; ecogrid.cases.duty.
    duty_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()  # kept by a trigger on every UPDATE

    complaints: Mapped[list[Complaint]] = relationship(back_populates="case", order_by="Complaint.id")
    zone: Mapped[Zone | None] = relationship()


class Complaint(Base):
    """One contact from one person through one channel."""

    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("channel", "external_ref", name="uq_complaints_channel_external_ref"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(Text)
    complainant_name: Mapped[str | None] = mapped_column(String(128))
    complainant_phone: Mapped[str | None] = mapped_column(String(32))
    complainant_email: Mapped[str | None] = mapped_column(String(256))
    geom: Mapped[Any] = _point()
    orig_lon: Mapped[float | None] = mapped_column(Float)
    orig_lat: Mapped[float | None] = mapped_column(Float)
    orig_crs: Mapped[str] = mapped_column(String(16), server_default="wgs84")
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    out_of_jurisdiction: Mapped[bool] = mapped_column(Boolean, server_default="false")
    nearest_zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    nearest_zone_distance_m: Mapped[float | None] = mapped_column(Float)
    is_repeat: Mapped[bool] = mapped_column(Boolean, server_default="false")
    urgency: Mapped[str] = mapped_column(String(16), server_default="ordinary")
    media_url: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()  # kept by a trigger on every UPDATE

    case: Mapped[Case | None] = relationship(back_populates="complaints")
    zone: Mapped[Zone | None] = relationship(foreign_keys=[zone_id])


class CaseEvent(Base):
    """Append-only history of a case: who did what, when, with which note."""

    __tablename__ = "case_events"
    # The period figures count events of one kind in a time range (closings, replies, reopenings).
    __table_args__ = (Index("ix_case_events_action_at", "action", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = _now()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class DutyShift(Base):
    """One entry of the duty roster (值班): who is on duty from when to when."""

    __tablename__ = "duty_roster"
    __table_args__ = (UniqueConstraint("user_id", "starts_at", "ends_at", name="uq_duty_roster_shift"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()


class Department(Base):
    """Another body a case is transferred to (转办), handed over to (移交公安) or handled with (会同)."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    contact_person: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = _now()


class CaseCoHandler(Base):
    """A body handling a case jointly with the bureau (会同), from when and on whose word."""

    __tablename__ = "case_co_handlers"
    __table_args__ = (UniqueConstraint("case_id", "department_id", name="uq_case_co_handlers_case_department"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    at: Mapped[datetime] = _now()
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class CaseActionReceipt(Base):
    """A workflow action sent with a client id: what was asked and what was answered, so a retry is stored once."""

    __tablename__ = "case_action_receipts"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    case_event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_events.id"), unique=True)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class Inspection(Base):
    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    patrol_target_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_targets.id"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()  # kept by a trigger on every UPDATE
    geom: Mapped[Any] = _point()
    findings: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(String(32))
    flags: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    created_at: Mapped[datetime] = _now()
    # The special campaign (专项行动) the visit was made for, when the inspector names one.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)


class Photo(Base):
    """A photo kept as legal evidence: the original bytes under their SHA-256, never changed."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(Text)
    mime: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(256))
    exif_taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    exif_geom: Mapped[Any] = _point()
    uploaded_at: Mapped[datetime] = _now()
    upload_geom: Mapped[Any] = _point()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    flags: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")


class Reading(Base):
    """A measured value, with the verdict and the limit it was judged against stored beside it."""

    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    parameter: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    geom: Mapped[Any] = _point()
    instrument: Mapped[str | None] = mapped_column(String(128))
    exceeded: Mapped[bool | None] = mapped_column(Boolean)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class WeatherRecord(Base):
    """Wind observations (weather stations or readings) used to weigh upwind sources."""

    __tablename__ = "weather_records"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    station: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    geom: Mapped[Any] = _point(nullable=False)
    wind_from_deg: Mapped[float] = mapped_column(Float)
    wind_speed_ms: Mapped[float] = mapped_column(Float)
    # The registered weather station (ecogrid.monitoring) it came from; None for the demo's wind.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("monitor_stations.id"))


class Revisit(Base):
    __tablename__ = "revisits"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = _now()
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    satisfaction: Mapped[str] = mapped_column(String(32))
    handling: Mapped[int] = mapped_column(Integer, server_default="1")
    note: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(String(16))  # ecogrid.core.vocabulary.ContactMethod


class CaseContact(Base):
    """One contact with a case's complainant (a call, a visit, a text message): append-only."""

    __tablename__ = "case_contacts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    contacted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str | None] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _now()


class CaseCheck(Base):
    """A post-enforcement check (执法后督察) of a concluded or closed case: when, who goes, what was found."""

    __tablename__ = "case_checks"
    __table_args__ = (UniqueConstraint("case_id", "assignee_id", "due_on", name="uq_case_checks_case_assignee_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime] = _now()
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finding: Mapped[str | None] = mapped_column(Text)


class RevisitTask(Base):
    """A revisit of a closed case for the clerk (回访): scheduled after the closing or drawn in a quarter's sample."""

    __tablename__ = "revisit_tasks"
    __table_args__ = (UniqueConstraint("case_id", "kind", "due_on", name="uq_revisit_tasks_case_kind_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # ecogrid.cases.revisit_tasks: scheduled, sample
    due_on: Mapped[date] = mapped_column(Date)
    quarter: Mapped[str | None] = mapped_column(String(6))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("case_contacts.id"))
    note: Mapped[str | None] = mapped_column(Text)


class DocumentCounter(Base):
    """The last number issued of one kind of document in one year (文号): bumped atomically on each issue."""

    __tablename__ = "document_counters"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CaseDocument(Base):
    """A document issued on a case (整改提示函, 信访答复意见书): its number and the page as printed then."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("kind", "year", "serial", name="uq_case_documents_kind_year_serial"),
                      UniqueConstraint("case_id", "client_id", name="uq_case_documents_case_client"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = _now()
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    html: Mapped[str] = mapped_column(Text)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)


class PatrolPlan(Base):
    """A patrol plan: a risk-ranked selection, a "double random" draw, or a day's route."""

    __tablename__ = "patrol_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default="drawn")
    planned_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total_m: Mapped[float | None] = mapped_column(Float)


class PatrolTarget(Base):
    __tablename__ = "patrol_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plans.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    cell: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, server_default="0")
    inspector_ids: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    geom: Mapped[Any] = _point()


class InspectorConflict(Base):
    """A declared conflict of interest: the inspector steps aside for this unit."""

    __tablename__ = "inspector_conflicts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime] = _now()


class SignInAttempt(Base):
    """One sign-in attempt: the name as typed, the client address, the outcome (for throttling)."""

    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = _now()


class AuditEntry(Base):
    """Who saw or did what, when: every unmasked read of personal data lands here."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = _now()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class DemoTruth(Base):
    """The true cause of each synthetic complaint, kept by the demo generator for scoring."""

    __tablename__ = "demo_truth"
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))


class Webhook(Base):
    """An integrator's subscription: where to POST which events, and the secret that signs them."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()


class WebhookOutboxItem(Base):
    """One event owed to one webhook; filled by a trigger on case_events in the step's own transaction."""

    __tablename__ = "webhook_outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    case_event_id: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dead: Mapped[bool] = mapped_column(Boolean, server_default="false")
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(Base):
    """One attempt to deliver an outbox item: the answer's status or the error, and how long it took."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("webhook_outbox.id", ondelete="CASCADE"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = _now()
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class WebhookCaseMark(Base):
    """A case already announced for a condition found by the sweep (overdue), so it is announced once."""

    __tablename__ = "webhook_case_marks"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = _now()
class Open311Detail(Base):
    """What an Open311 client sent beside the complaint itself: the spec's identifiers and the answers
    to the service's attributes (``{code: value}``, a list for a multivaluelist)."""

    __tablename__ = "open311_details"
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    address_id: Mapped[str | None] = mapped_column(String(128))
    device_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str | None] = mapped_column(String(128))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
class MonitorStation(Base):
    """A fixed monitor: an air-quality station, a plant's stack / outfall / boundary monitor (linked to
    its source), a noise monitor or a weather station. ``mn`` is its HJ 212 device number; only a hash
    of its access password (PW) is kept. ``pollutants``: [{"code": "a21026", "unit": "ug/m3"}, ...]."""

    __tablename__ = "monitor_stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    mn: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    geom: Mapped[Any] = _point(nullable=False)
    pollutants: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    noise_class: Mapped[str | None] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class MonitorReading(Base):
    """One value of a fixed monitor; the table is partitioned by month of ``measured_at``.

    ``interval``: rtd (real-time, HJ 212 CN 2011), minute (2051), hour (2061), day (2031). ``value`` is
    the real-time value or the interval's average; ``code`` the HJ 212 pollutant code, ``parameter``
    the ecogrid parameter it is where there is one. ``flag`` is the HJ 212 data flag (N = normal)."""

    __tablename__ = "monitor_readings"
    station_id: Mapped[int] = mapped_column(ForeignKey("monitor_stations.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    parameter: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    cou: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    flag: Mapped[str] = mapped_column(String(2), server_default="N")
    received_at: Mapped[datetime] = _now()


class MonitorAlarm(Base):
    """An exceedance of a known limit by a monitor (a run of them within the merge window is one alarm)."""

    __tablename__ = "monitor_alarms"
    __table_args__ = (UniqueConstraint("station_id", "code", "interval", "first_at", name="uq_monitor_alarms_first"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("monitor_stations.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    parameter: Mapped[str | None] = mapped_column(String(32))
    interval: Mapped[str] = mapped_column(String(8))
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    peak_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    limit_value: Mapped[float] = mapped_column(Float)
    standard: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    readings: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = _now()


class PermitLimit(Base):
    """A source's registered emission limit for one pollutant (and interval, or "any")."""

    __tablename__ = "permit_limits"
    __table_args__ = (UniqueConstraint("source_id", "code", "interval", name="uq_permit_limits_source_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    limit_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    interval: Mapped[str] = mapped_column(String(8), server_default="any")
    basis: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = _now()


class Campaign(Base):
    """A special campaign (专项行动): a period of Beijing days (both inclusive), the categories it is about,
    the zones it covers (each with its subtree), its target units and the cases linked to it."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class CampaignZone(Base):
    __tablename__ = "campaign_zones"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)


class CampaignSource(Base):
    """A target unit of a campaign: a pollution source to be inspected during its period."""

    __tablename__ = "campaign_sources"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)


class CampaignCase(Base):
    """A case a chief linked to a campaign."""

    __tablename__ = "campaign_cases"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = _now()
