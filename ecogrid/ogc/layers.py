"""The layers published as OGC API collections and exports: what each holds, who may read it, and the
query of its rows.

Each table-backed layer is one SQLAlchemy select whose columns are labelled ``fid`` (the feature id),
``geom`` (SRID 4326) and one column per property; :mod:`ecogrid.ogc.features` filters and pages it.
Complainants' personal data are never properties: they are ``personal`` columns, which only exports
carry and only for the roles allowed to see them (:mod:`ecogrid.core.privacy`). Hotspot cells are
not a table: they are computed per request (:func:`ecogrid.hotspots.aggregates.compute_hotspots`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from ecogrid.cases import rules
from ecogrid.core.errors import NotFound
from ecogrid.core.models import Case, Complaint, Source, Zone

Kind = Literal["text", "integer", "number", "boolean", "datetime"]
# Who may read complaint locations and cases here: the roles of the hotspot views, never field inspectors
# (they see only their own cases, in their app).
CASE_READERS = ("chief", "planner", "clerk")
HOTSPOT_CELLS = "hotspot_cells"


@dataclass(frozen=True)
class Property:
    name: str
    kind: Kind
    title: str
    filterable: bool = False


@dataclass(frozen=True)
class Layer:
    id: str
    title: str
    description: str
    geometry_type: str
    properties: tuple[Property, ...]
    # None: every signed-in principal; otherwise these roles (and admin).
    readers: tuple[str, ...] | None = None
    time_property: str | None = None
    id_kind: Kind = "integer"
    # Columns of complainants' personal data, exported for the roles that may see them.
    personal: tuple[Property, ...] = ()
    # The column naming the complaint whose personal data a row shows (the audit entry lists them).
    audit_column: str | None = None
    rows: Callable[[datetime], Select] | None = None

    def may_read(self, role: str) -> bool:
        return self.readers is None or role == "admin" or role in self.readers

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


def _zones(_now: datetime) -> Select:
    parent = aliased(Zone)
    return (select(Zone.code.label("fid"), Zone.geom.label("geom"), Zone.code.label("code"), Zone.name.label("name"),
                   Zone.level.label("level"), parent.code.label("parent"), Zone.noise_class.label("noise_class"),
                   Zone.responsible_unit.label("responsible_unit"), Zone.updated_at.label("updated_at"))
            .outerjoin(parent, parent.id == Zone.parent_id))


def _complaints(_now: datetime) -> Select:
    zone = aliased(Zone)
    return (select(Complaint.id.label("fid"), Complaint.geom.label("geom"), Complaint.category.label("category"),
                   Complaint.kind.label("kind"), Complaint.channel.label("channel"),
                   Complaint.urgency.label("urgency"), Complaint.received_at.label("received_at"),
                   Complaint.description.label("description"), Complaint.address.label("address"),
                   zone.code.label("zone"), Complaint.case_id.label("case_id"), Case.status.label("status"),
                   Complaint.is_repeat.label("repeat"), Complaint.out_of_jurisdiction.label("out_of_jurisdiction"),
                   Complaint.complainant_name.label("complainant_name"),
                   Complaint.complainant_phone.label("complainant_phone"),
                   Complaint.complainant_email.label("complainant_email"), Complaint.id.label("audit_id"))
            .outerjoin(zone, zone.id == Complaint.zone_id).outerjoin(Case, Case.id == Complaint.case_id))


def _cases(now: datetime) -> Select:
    zone = aliased(Zone)
    first = aliased(Complaint)
    # The first complaint of the case speaks for it, as in the ledger.
    first_id = (select(first.id).where(first.case_id == Case.id).order_by(first.received_at, first.id)
                .limit(1).scalar_subquery())
    personal = aliased(Complaint)
    return (select(Case.id.label("fid"), Case.geom.label("geom"), Case.kind.label("kind"),
                   Case.category.label("category"), Case.status.label("status"), Case.urgency.label("urgency"),
                   Case.channel.label("channel"), zone.code.label("zone"), Case.opened_at.label("opened_at"),
                   Case.due_at.label("due_at"), Case.closed_at.label("closed_at"),
                   rules.overdue_sql(now).label("overdue"), Case.repeat_count.label("repeat_count"),
                   Case.handling_count.label("handling_count"), Case.satisfaction.label("satisfaction"),
                   Case.assigned_team.label("assigned_team"),
                   personal.complainant_name.label("complainant_name"),
                   personal.complainant_phone.label("complainant_phone"), personal.id.label("audit_id"))
            .outerjoin(zone, zone.id == Case.zone_id)
            .outerjoin(personal, personal.id == first_id))


def _sources(_now: datetime) -> Select:
    zone = aliased(Zone)
    return (select(Source.id.label("fid"), Source.geom.label("geom"), Source.name.label("name"),
                   Source.credit_code.label("credit_code"), Source.industry.label("industry"),
                   Source.key_discharger.label("key_discharger"), Source.unit_class.label("unit_class"),
                   Source.address.label("address"), Source.stack_height_m.label("stack_height_m"),
                   zone.code.label("zone"), Source.updated_at.label("updated_at"))
            .outerjoin(zone, zone.id == Source.zone_id))


def _text(name: str, title: str, *, filterable: bool = False) -> Property:
    return Property(name, "text", title, filterable)


NAME_PHONE = (_text("complainant_name", "投诉人 complainant"), _text("complainant_phone", "联系电话 phone"))

LAYERS: tuple[Layer, ...] = (
    Layer("zones", "辖区网格 Zones", "Jurisdiction zones: districts, streets and grid cells.", "MultiPolygon",
          (_text("code", "编码 code", filterable=True), _text("name", "名称 name"),
           _text("level", "层级 level", filterable=True), _text("parent", "上级 parent", filterable=True),
           _text("noise_class", "声环境功能区 noise class", filterable=True),
           _text("responsible_unit", "责任单位 responsible unit"),
           Property("updated_at", "datetime", "更新时间 updated")),
          time_property="updated_at", id_kind="text", rows=_zones),
    Layer("complaints", "投诉 Complaints", "Complaints where they were reported (no complainant data).", "Point",
          (_text("category", "类别 category", filterable=True), _text("kind", "类型 kind", filterable=True),
           _text("channel", "渠道 channel", filterable=True), _text("urgency", "紧急程度 urgency", filterable=True),
           Property("received_at", "datetime", "受理时间 received"), _text("description", "内容 description"),
           _text("address", "地址 address"), _text("zone", "网格 zone", filterable=True),
           Property("case_id", "integer", "案件 case", filterable=True),
           _text("status", "状态 case status", filterable=True),
           Property("repeat", "boolean", "重复 repeat", filterable=True),
           Property("out_of_jurisdiction", "boolean", "辖区外 outside", filterable=True)),
          readers=CASE_READERS, time_property="received_at", rows=_complaints,
          personal=(*NAME_PHONE, _text("complainant_email", "电子邮箱 e-mail")), audit_column="audit_id"),
    Layer("cases", "案件 Cases", "Cases (one problem, its repeat complaints linked) with their workflow state.",
          "Point",
          (_text("kind", "类型 kind", filterable=True), _text("category", "类别 category", filterable=True),
           _text("status", "状态 status", filterable=True), _text("urgency", "紧急程度 urgency", filterable=True),
           _text("channel", "渠道 channel", filterable=True), _text("zone", "网格 zone", filterable=True),
           Property("opened_at", "datetime", "登记时间 opened"), Property("due_at", "datetime", "办理时限 due"),
           Property("closed_at", "datetime", "销号时间 closed"),
           Property("overdue", "boolean", "超期 overdue", filterable=True),
           Property("repeat_count", "integer", "重复件数 repeats"),
           Property("handling_count", "integer", "办理次数 handlings"),
           _text("satisfaction", "满意度 satisfaction", filterable=True),
           _text("assigned_team", "承办中队 team", filterable=True)),
          readers=CASE_READERS, time_property="opened_at", rows=_cases, personal=NAME_PHONE,
          audit_column="audit_id"),
    Layer("sources", "污染源 Sources", "Registered pollution sources (enterprises and sites).", "Point",
          (_text("name", "名称 name"), _text("credit_code", "统一社会信用代码 credit code", filterable=True),
           _text("industry", "行业 industry", filterable=True),
           Property("key_discharger", "boolean", "重点排污单位 key discharger", filterable=True),
           _text("unit_class", "监管类别 unit class", filterable=True), _text("address", "地址 address"),
           Property("stack_height_m", "number", "排气筒高度 stack height (m)"),
           _text("zone", "网格 zone", filterable=True), Property("updated_at", "datetime", "更新时间 updated")),
          time_property="updated_at", rows=_sources),
    Layer(HOTSPOT_CELLS, "热点网格 Hotspot cells",
          "Getis-Ord Gi* of complaint counts per square cell over the jurisdiction; `datetime` is the period "
          "studied (default: the 90 days before now), compared with the period of the same length before.",
          "Polygon",
          (Property("count", "integer", "投诉数 complaints"), Property("previous", "integer", "上期 previous"),
           Property("z", "number", "Gi* z"), Property("p", "number", "p"),
           _text("hot_cold", "冷热 hot/cold", filterable=True),
           Property("confidence", "integer", "置信度 confidence (%)", filterable=True),
           _text("trend", "趋势 trend", filterable=True),
           Property("period_from", "datetime", "统计起 period from"),
           Property("period_to", "datetime", "统计止 period to")),
          readers=CASE_READERS, time_property="period", id_kind="text"),
)

BY_ID = {layer.id: layer for layer in LAYERS}


def get(layer_id: str) -> Layer:
    layer = BY_ID.get(layer_id)
    if layer is None:
        raise NotFound(f"no collection {layer_id!r}; collections: {', '.join(BY_ID)}", field="collectionId")
    return layer
