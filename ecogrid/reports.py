"""The bureau's figures: the daily bulletin (日通报), period figures, and the ledger export.

Every day and period is an Asia/Shanghai calendar day (00:00-24:00 local). Counting is done in
PostgreSQL (aggregates over indexed time columns), never by walking rows in Python. The exact
definition of each figure is in README ("Case workflow, deadlines and reports").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from ecogrid import casework, privacy
from ecogrid.casework import Actor, CaseFilters, day_start, local_iso
from ecogrid.errors import InvalidInput
from ecogrid.export_cells import export_cell
from ecogrid.models import Case, CaseEvent, Complaint, Revisit, User, Zone
from ecogrid.vocabulary import label
from ecogrid.workflow import states

SATISFIED = (states.Satisfaction.satisfied.value, states.Satisfaction.basically_satisfied.value)
REPEAT_SINGLED_OUT = 5
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class Window:
    """[start, end) in Asia/Shanghai days, first and last day inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1))

    def year_before(self) -> Window:
        return Window(_shift_year(self.first), _shift_year(self.last))


def _shift_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def _in(column, window: Window):
    return and_(column >= window.start, column < window.end)


def _rejected_at():
    """When each case was rejected (its reject event), as a correlated scalar."""
    return (select(func.min(CaseEvent.at)).where(CaseEvent.case_id == Case.id, CaseEvent.action == "reject")
            .correlate(Case).scalar_subquery())


def _open_at(moment: datetime):
    """Cases open at ``moment``: opened before it, not closed before it, not rejected before it."""
    rejected = _rejected_at()
    return and_(Case.opened_at < moment, or_(Case.closed_at.is_(None), Case.closed_at >= moment),
                or_(rejected.is_(None), rejected >= moment))


def _street_of_zone():
    """zone id -> the street it lies in (itself when it is a street); districts map to nothing."""
    tree = select(Zone.id.label("zone_id"), Zone.id.label("at_id"), Zone.level.label("level"),
                  Zone.parent_id.label("parent_id")).cte("up", recursive=True)
    parent = select(Zone).subquery()
    tree = tree.union_all(
        select(tree.c.zone_id, parent.c.id, parent.c.level, parent.c.parent_id)
        .join(parent, parent.c.id == tree.c.parent_id).where(tree.c.level != "street"))
    return select(tree.c.zone_id, tree.c.at_id.label("street_id")).where(tree.c.level == "street").subquery()


# ---------------------------------------------------------------- daily bulletin


def daily_bulletin(session: Session, *, day: date) -> dict[str, Any]:
    """日通报 for one Asia/Shanghai day."""
    window = Window(day, day)
    end = window.end
    overdue_at_end = and_(_open_at(end), Case.due_at < end)
    headline = session.execute(select(
        func.count().filter(_in(Case.opened_at, window)),
        func.count().filter(_open_at(end)),
        func.count().filter(and_(Case.status == states.Status.closed.value, _in(Case.closed_at, window))),
        func.count().filter(overdue_at_end),
    )).one()
    complaints = session.execute(select(
        func.count(), func.count().filter(Complaint.is_repeat.is_(True)),
    ).where(_in(Complaint.received_at, window))).one()
    satisfaction = satisfaction_counts(session, window=window)

    streets = _street_of_zone()
    zone_rows = session.execute(
        select(Zone.id, Zone.code, Zone.name,
               func.count().filter(_in(Case.opened_at, window)),
               func.count().filter(_open_at(end)),
               func.count().filter(and_(Case.status == states.Status.closed.value, _in(Case.closed_at, window))),
               func.count().filter(overdue_at_end))
        .select_from(Case).join(streets, streets.c.zone_id == Case.zone_id).join(Zone, Zone.id == streets.c.street_id)
        .where(or_(_open_at(end), _in(Case.opened_at, window), _in(Case.closed_at, window)))
        .group_by(Zone.id, Zone.code, Zone.name).order_by(Zone.code)).all()
    officer_rows = session.execute(
        select(User.id, User.username, User.full_name,
               func.count().filter(_open_at(end)),
               func.count().filter(and_(Case.status == states.Status.closed.value, _in(Case.closed_at, window))),
               func.count().filter(overdue_at_end))
        .select_from(Case).join(User, User.id == Case.assigned_to_id)
        .where(or_(_open_at(end), _in(Case.closed_at, window)))
        .group_by(User.id, User.username, User.full_name).order_by(User.username)).all()
    return {
        "date": day.isoformat(),
        "new_cases": headline[0],
        "new_complaints": complaints[0],
        "in_stock": headline[1],
        "closed": headline[2],
        "overdue": headline[3],
        "repeat_complaints": complaints[1],
        "satisfaction": satisfaction,
        "by_street": [{"zone_id": r[0], "code": r[1], "name": r[2], "new_cases": r[3], "in_stock": r[4],
                       "closed": r[5], "overdue": r[6]} for r in zone_rows],
        "by_officer": [{"user_id": r[0], "username": r[1], "name": r[2] or r[1], "in_stock": r[3],
                        "closed": r[4], "overdue": r[5]} for r in officer_rows],
    }


def satisfaction_counts(session: Session, *, window: Window) -> dict[str, Any]:
    rows = dict(session.execute(select(Revisit.satisfaction, func.count()).where(_in(Revisit.at, window))
                                .group_by(Revisit.satisfaction)).all())
    counts = {s.value: int(rows.get(s.value, 0)) for s in states.Satisfaction}
    revisits = sum(counts.values())
    satisfied = counts["satisfied"] + counts["basically_satisfied"]
    return {"revisits": revisits, **counts, "rate": _rate(satisfied, revisits)}


# ---------------------------------------------------------------- period figures


def _check_period(first: date, last: date) -> Window:
    if last < first:
        raise InvalidInput("'to' is before 'from'", field="to")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidInput(f"a period is at most {MAX_PERIOD_DAYS} days", field="to")
    return Window(first, last)


def summary(session: Session, *, first: date, last: date) -> dict[str, Any]:
    """Headline figures of a period, with the same figures a year earlier and the change."""
    window = _check_period(first, last)
    current = period_figures(session, window=window)
    previous = period_figures(session, window=window.year_before())
    current["previous_year"] = {k: v for k, v in previous.items() if k != "cases_with_5_plus_repeats"}
    current["year_on_year"] = _change(current, previous)
    return current


def period_figures(session: Session, *, window: Window) -> dict[str, Any]:
    decided = select(CaseEvent.case_id, CaseEvent.action).where(
        CaseEvent.action.in_(("accept", "answer", "reject")), _in(CaseEvent.at, window)).subquery()
    accepted, rejected = session.execute(select(
        func.count(func.distinct(decided.c.case_id)).filter(decided.c.action != "reject"),
        func.count(func.distinct(decided.c.case_id)).filter(decided.c.action == "reject"),
    )).one()
    # Correlated per closed case (index on case_events.case_id), not a scan of every event.
    concluded = (select(func.max(CaseEvent.at))
                 .where(CaseEvent.case_id == Case.id, CaseEvent.action.in_(casework.CONCLUDING_ACTIONS))
                 .correlate(Case).scalar_subquery())
    closed_in_period = (select(Case.due_at, func.coalesce(concluded, Case.closed_at).label("concluded_at"))
                        .where(Case.status == states.Status.closed.value, _in(Case.closed_at, window))
                        .subquery())
    closed, on_time = session.execute(select(
        func.count(),
        func.count().filter(or_(closed_in_period.c.due_at.is_(None),
                                closed_in_period.c.concluded_at <= closed_in_period.c.due_at)),
    ).select_from(closed_in_period)).one()
    complaints, repeats = session.execute(select(
        func.count(), func.count().filter(Complaint.is_repeat.is_(True)),
    ).where(_in(Complaint.received_at, window))).one()
    satisfaction = satisfaction_counts(session, window=window)

    active = select(Complaint.case_id).where(_in(Complaint.received_at, window), Complaint.case_id.is_not(None))
    repeats_to_date = (select(Complaint.case_id, func.count().label("repeats"))
                       .where(Complaint.is_repeat.is_(True), Complaint.received_at < window.end,
                              Complaint.case_id.in_(active))
                       .group_by(Complaint.case_id).having(func.count() >= REPEAT_SINGLED_OUT).subquery())
    singled = session.execute(
        select(Case.id, Case.category, Case.status, Case.zone_id, repeats_to_date.c.repeats)
        .join(repeats_to_date, repeats_to_date.c.case_id == Case.id)
        .order_by(repeats_to_date.c.repeats.desc(), Case.id)).all()
    by_category = dict(session.execute(select(Complaint.category, func.count())
                                       .where(_in(Complaint.received_at, window))
                                       .group_by(Complaint.category)).all())
    by_channel = dict(session.execute(select(Complaint.channel, func.count())
                                      .where(_in(Complaint.received_at, window))
                                      .group_by(Complaint.channel)).all())
    return {
        "from": window.first.isoformat(),
        "to": window.last.isoformat(),
        "accepted": accepted,
        "rejected": rejected,
        "acceptance_rate": _rate(accepted, accepted + rejected),
        "closed": closed,
        "closed_on_time": on_time,
        "on_time_rate": _rate(on_time, closed),
        "revisits": satisfaction["revisits"],
        "satisfied": satisfaction["satisfied"] + satisfaction["basically_satisfied"],
        "satisfaction_rate": satisfaction["rate"],
        "complaints": complaints,
        "repeat_complaints": repeats,
        "repeat_rate": _rate(repeats, complaints),
        "cases_with_5_plus_repeats": [
            {"case_id": r[0], "category": r[1], "category_label": label(r[1]), "status": r[2], "zone_id": r[3],
             "repeat_complaints": r[4]} for r in singled],
        "by_category": dict(sorted(by_category.items())),
        "by_channel": dict(sorted(by_channel.items())),
    }


def _change(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Counts: relative change (0.25 = +25%); rates: difference in percentage points (0.05 = +5 pp)."""
    out: dict[str, Any] = {}
    for key in ("accepted", "rejected", "closed", "revisits", "complaints", "repeat_complaints"):
        out[key] = None if not previous[key] else round((current[key] - previous[key]) / previous[key], 4)
    for key in ("acceptance_rate", "on_time_rate", "satisfaction_rate", "repeat_rate"):
        now, before = current[key], previous[key]
        out[key] = None if now is None or before is None else round(now - before, 4)
    return out


# ---------------------------------------------------------------- ledger export


LEDGER_COLUMNS = [
    ("case_id", "编号"), ("category", "类别"), ("zone", "网格/片区"), ("channel", "来源渠道"),
    ("opened_at", "登记时间"), ("due_at", "办理时限"), ("status", "状态"), ("progress_colour", "进度标识"),
    ("satisfaction_colour", "满意度标识"), ("repeat_count", "重复件数"), ("handling_count", "办理次数"),
    ("satisfaction", "满意度"), ("officer", "承办人"), ("closed_on_time", "按期办结"),
]
PERSONAL_COLUMNS = [("complainant_name", "投诉人"), ("complainant_phone", "联系电话")]
COLOUR_LABELS = {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}
FILLS = {"green": "92D050", "blue": "9DC3E6", "yellow": "FFE699", "red": "FF7C80"}
EXPORT_LIMIT = 200_000


def ledger_rows(session: Session, *, filters: CaseFilters, viewer: Actor, now: datetime | None = None,
                yellow_fraction: float | None = None) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The ledger as (columns, rows); personal columns only for clerk/chief/admin, and audited."""
    moment = now or datetime.now(UTC)
    fraction = yellow_fraction or casework.default_yellow_fraction()
    query = casework.filtered_cases(filters, now=moment, yellow_fraction=fraction)
    cases = list(session.scalars(query.order_by(Case.opened_at, Case.id).limit(EXPORT_LIMIT)))
    ids = [c.id for c in cases]
    revisits, concluded = casework.last_revisits(session, ids), casework.concluded_times(session, ids)
    zones = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({c.zone_id for c in cases if c.zone_id}))).all())
    officers = dict(session.execute(select(User.id, func.coalesce(User.full_name, User.username)).where(
        User.id.in_({c.assigned_to_id for c in cases if c.assigned_to_id}))).all())
    personal = privacy.may_see_personal_data(viewer.role)
    first_complaint: dict[int, tuple[int, str | None, str | None]] = {}
    if personal and ids:
        for cid, complaint_id, name, phone in session.execute(
                select(Complaint.case_id, Complaint.id, Complaint.complainant_name, Complaint.complainant_phone)
                .where(Complaint.case_id.in_(ids))
                .ext(distinct_on(Complaint.case_id)).order_by(Complaint.case_id, Complaint.received_at,
                                                                       Complaint.id)):
            first_complaint[cid] = (complaint_id, name, phone)
    columns = LEDGER_COLUMNS + (PERSONAL_COLUMNS if personal else [])
    rows = []
    for c in cases:
        marks = casework.case_marks(c, revisits.get(c.id), now=moment, yellow_fraction=fraction,
                                    concluded_at=concluded.get(c.id))
        row = {
            "case_id": c.id, "category": label(c.category), "zone": zones.get(c.zone_id, ""),
            "channel": label(c.channel), "opened_at": local_iso(c.opened_at), "due_at": local_iso(c.due_at),
            "status": states.STATUS_LABELS[states.Status(c.status)][0],
            "progress_colour": marks["progress_colour"], "satisfaction_colour": marks["satisfaction_colour"],
            "repeat_count": c.repeat_count, "handling_count": c.handling_count,
            "satisfaction": states.SATISFACTION_LABELS[states.Satisfaction(c.satisfaction)][0]
            if c.satisfaction else "",
            "officer": officers.get(c.assigned_to_id, c.assigned_team or ""),
            "closed_on_time": {True: "是", False: "否", None: ""}[marks["closed_on_time"]],
        }
        if personal:
            _, name, phone = first_complaint.get(c.id, (None, None, None))
            row["complainant_name"], row["complainant_phone"] = name or "", phone or ""
        rows.append(row)
    shown = [first_complaint[c.id][0] for c in cases
             if c.id in first_complaint and (first_complaint[c.id][1] or first_complaint[c.id][2])]
    if shown:
        privacy.log_personal_read(session, actor_id=viewer.user_id, actor_name=viewer.name, entity="complaint",
                                  entity_ids=shown, purpose="export")
    return columns, rows


def ledger_csv(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    # The BOM lets Excel in a Chinese locale open the UTF-8 file with the right characters.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([zh for _, zh in columns])
    for row in rows:
        writer.writerow([_cell(row[key], key) for key, _ in columns])
    return out.getvalue()


def _styled(sheet: Any, value: Any, *, font: Font | None = None, fill: PatternFill | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _cell(value: Any, key: str) -> Any:
    if key in ("progress_colour", "satisfaction_colour"):
        return COLOUR_LABELS.get(value, "") if value else ""
    # Every ledger cell, CSV and XLSX alike, goes through the one export rule.
    return "" if value is None else export_cell(value)


def ledger_xlsx(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> bytes:
    # Write-only mode streams rows out instead of keeping a cell graph: several times faster on big ledgers.
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fills = {name: PatternFill(fill_type="solid", start_color=rgb, end_color=rgb) for name, rgb in FILLS.items()}
    sheet.append([_styled(sheet, zh, font=bold) for _, zh in columns])
    colour_keys = ("progress_colour", "satisfaction_colour")
    for row in rows:
        sheet.append([_styled(sheet, _cell(row[key], key), fill=fills.get(row[key]))
                      if key in colour_keys and row[key] in fills else _cell(row[key], key)
                      for key, _ in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

