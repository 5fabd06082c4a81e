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
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from sqlalchemy import ColumnElement, SQLColumnExpression, Subquery, and_, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from ecogrid.cases import figures, ownership, rules, states
from ecogrid.cases import service as casework
from ecogrid.cases.service import Actor, CaseFilters
from ecogrid.core import privacy
from ecogrid.core.errors import InvalidInput
from ecogrid.core.export_cells import export_cell
from ecogrid.core.models import Case, CaseEvent, Complaint, Revisit, User, Zone
from ecogrid.core.time import day_start, rfc3339
from ecogrid.core.vocabulary import label

SATISFIED = rules.SATISFIED
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


_rate = rules.rate


def _in(column: SQLColumnExpression[datetime], window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start, column < window.end)


def _street_of_zone() -> Subquery:
    """zone id -> the street it lies in (itself when it is a street); districts map to nothing."""
    tree = select(Zone.id.label("zone_id"), Zone.id.label("at_id"), Zone.level.label("level"),
                  Zone.parent_id.label("parent_id")).cte("up", recursive=True)
    parent = select(Zone).subquery()
    tree = tree.union_all(
        select(tree.c.zone_id, parent.c.id, parent.c.level, parent.c.parent_id)
        .join(parent, parent.c.id == tree.c.parent_id).where(tree.c.level != "street"))
    return select(tree.c.zone_id, tree.c.at_id.label("street_id")).where(tree.c.level == "street").subquery()


# ---------------------------------------------------------------- daily bulletin


def daily_bulletin(session: Session, *, day: date, now: datetime | None = None) -> dict[str, Any]:
    """日通报 for one Asia/Shanghai day; stock figures at the day's end, or now if the day is today.

    The street rows add up to the totals: cases with no zone are a 辖区外 row, cases in a zone under
    no street a 未分配 row.
    """
    window = Window(day, day)
    moment = now or datetime.now(UTC)
    per_zone = figures.by_key(session, key=Case.zone_id, start=window.start, end=window.end, now=moment)
    city = figures.total(per_zone.values())
    complaints, repeats = figures.complaint_counts(session, start=window.start, end=window.end)
    satisfaction = satisfaction_counts(session, window=window)

    streets = _street_of_zone()
    street_of: dict[int, int] = dict(session.execute(select(streets.c.zone_id, streets.c.street_id)).all())
    by_street, outside, unassigned = figures.roll_up(per_zone, street_of)
    names = {r.id: r for r in session.execute(select(Zone.id, Zone.code, Zone.name)
                                               .where(Zone.id.in_(list(by_street) or [-1])))}
    street_rows = [_street_row(names[z].id, names[z].code, names[z].name, f)
                   for z, f in sorted(by_street.items(), key=lambda item: names[item[0]].code)
                   if f.new_cases or f.open or f.closed or f.overdue]
    for name, f in ((figures.OUTSIDE_JURISDICTION, outside), (figures.UNASSIGNED, unassigned)):
        if f.new_cases or f.open or f.closed or f.overdue:
            street_rows.append(_street_row(None, None, name, f))
    per_officer = figures.by_key(session, key=Case.assigned_to_id, start=window.start, end=window.end, now=moment)
    officers = session.execute(select(User.id, User.username, User.full_name)
                               .where(User.id.in_([k for k in per_officer if k is not None] or [-1]))
                               .order_by(User.username)).all()
    officer_rows = [{"user_id": u.id, "username": u.username, "name": u.full_name or u.username,
                     "in_stock": per_officer[u.id].open, "closed": per_officer[u.id].closed,
                     "overdue": per_officer[u.id].overdue, **per_officer[u.id].assessment()}
                    for u in officers if per_officer[u.id].open or per_officer[u.id].closed]
    return {
        "date": day.isoformat(),
        "cut_off": rfc3339(rules.cut_off(window.end, moment)),
        "new_cases": city.new_cases,
        "new_complaints": complaints,
        "in_stock": city.open,
        "closed": city.closed,
        "closed_on_time": city.closed_on_time,
        "on_time_rate": city.on_time_rate,
        "overdue": city.overdue,
        "returned": city.returned,
        "transferred": city.transferred,
        "repeat_complaints": repeats,
        "repeat_rate": rules.repeat_rate(repeats, complaints),
        "satisfaction": satisfaction,
        **city.assessment(),
        "by_street": street_rows,
        "by_officer": officer_rows,
        "owned_cases": ownership.owned_open_cases(session, cut=rules.cut_off(window.end, moment)),
    }


def _street_row(zone_id: int | None, code: str | None, name: str, f: figures.Figures) -> dict[str, Any]:
    return {"zone_id": zone_id, "code": code, "name": name, "new_cases": f.new_cases, "in_stock": f.open,
            "closed": f.closed, "overdue": f.overdue, "returned": f.returned, "transferred": f.transferred,
            **f.assessment()}


def satisfaction_counts(session: Session, *, window: Window) -> dict[str, Any]:
    rows = dict(session.execute(select(Revisit.satisfaction, func.count()).where(_in(Revisit.at, window))
                                .group_by(Revisit.satisfaction)).all())
    counts = {s.value: int(rows.get(s.value, 0)) for s in states.Satisfaction}
    revisits = sum(counts.values())
    satisfied = sum(counts[s] for s in rules.SATISFIED)
    return {"revisits": revisits, **counts, "rate": rules.satisfaction_rate(satisfied, revisits)}


# ---------------------------------------------------------------- period figures


def _check_period(first: date, last: date) -> Window:
    if last < first:
        raise InvalidInput("'to' is before 'from'", field="to")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidInput(f"a period is at most {MAX_PERIOD_DAYS} days", field="to")
    return Window(first, last)


def summary(session: Session, *, first: date, last: date, now: datetime | None = None) -> dict[str, Any]:
    """Headline figures of a period, with the same figures a year earlier and the change."""
    window = _check_period(first, last)
    moment = now or datetime.now(UTC)
    current = period_figures(session, window=window, now=moment)
    previous = period_figures(session, window=window.year_before(), now=moment)
    current["previous_year"] = {k: v for k, v in previous.items() if k != "cases_with_5_plus_repeats"}
    current["year_on_year"] = _change(current, previous)
    return current


def period_figures(session: Session, *, window: Window, now: datetime | None = None) -> dict[str, Any]:
    decided = select(CaseEvent.case_id, CaseEvent.action).where(
        CaseEvent.action.in_(("accept", "answer", "reject")), _in(CaseEvent.at, window)).subquery()
    accepted, rejected = session.execute(select(
        func.count(func.distinct(decided.c.case_id)).filter(decided.c.action != "reject"),
        func.count(func.distinct(decided.c.case_id)).filter(decided.c.action == "reject"),
    )).one()
    moment = now or datetime.now(UTC)
    city = figures.city(session, start=window.start, end=window.end, now=moment)
    closed, on_time = city.closed, city.closed_on_time
    complaints, repeats = figures.complaint_counts(session, start=window.start, end=window.end)
    satisfaction = satisfaction_counts(session, window=window)

    active = select(Complaint.case_id).where(_in(Complaint.received_at, window), Complaint.case_id.is_not(None))
    repeats_to_date = (select(Complaint.case_id, func.count().label("repeats"))
                       .where(Complaint.is_repeat.is_(True), Complaint.received_at < window.end,
                              Complaint.case_id.in_(active))
                       .group_by(Complaint.case_id).having(func.count() >= rules.REPEATS_SINGLED_OUT).subquery())
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
        "returned": city.returned,
        "transferred": city.transferred,
        "acceptance_rate": rules.acceptance_rate(accepted, rejected, city.returned),
        "closed": closed,
        "closed_on_time": on_time,
        "on_time_rate": rules.on_time_rate(on_time, closed),
        "cut_off": rfc3339(rules.cut_off(window.end, moment)),
        "in_stock": city.open,
        "overdue": city.overdue,
        "revisits": satisfaction["revisits"],
        "satisfied": sum(satisfaction[s] for s in rules.SATISFIED),
        "satisfaction_rate": satisfaction["rate"],
        "complaints": complaints,
        "repeat_complaints": repeats,
        "repeat_rate": rules.repeat_rate(repeats, complaints),
        **city.assessment(),
        "cases_with_5_plus_repeats": [
            {"case_id": r[0], "category": r[1], "category_label": label(r[1]), "status": r[2], "zone_id": r[3],
             "repeat_complaints": r[4]} for r in singled],
        "by_category": dict(sorted(by_category.items())),
        "by_channel": dict(sorted(by_channel.items())),
    }


def _change(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Counts: relative change (0.25 = +25%); rates: difference in percentage points (0.05 = +5 pp); mean days
    to close: difference in days."""
    out: dict[str, Any] = {}
    for key in ("accepted", "rejected", "returned", "transferred", "closed", "revisits", "complaints",
                "repeat_complaints"):
        out[key] = None if not previous[key] else round((current[key] - previous[key]) / previous[key], 4)
    for key in ("acceptance_rate", "on_time_rate", "satisfaction_rate", "repeat_rate", *figures.ASSESSMENT_RATES):
        now, before = current[key], previous[key]
        out[key] = None if now is None or before is None else round(now - before, 4)
    return out


# ---------------------------------------------------------------- ledger export


LEDGER_COLUMNS = [
    ("case_id", "编号"), ("category", "类别"), ("zone", "网格/片区"), ("channel", "来源渠道"),
    ("opened_at", "登记时间"), ("due_at", "办理时限"), ("status", "状态"), ("progress_colour", "进度标识"),
    ("satisfaction_colour", "满意度标识"), ("repeat_count", "重复件数"), ("handling_count", "办理次数"),
    ("satisfaction", "满意度"), ("officer", "承办人"), ("closed_on_time", "按期办结"),
    ("overdue", "超期"), ("closed_at", "销号时间"), ("revisits", "回访次数"), ("satisfied_revisits", "满意回访次数"),
    ("rework_count", "返工次数"), ("extended", "延期"),
]
PERSONAL_COLUMNS = [("complainant_name", "投诉人"), ("complainant_phone", "联系电话")]
COLOUR_LABELS = {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}
FILLS = {"green": "92D050", "blue": "9DC3E6", "yellow": "FFE699", "red": "FF7C80"}
EXPORT_LIMIT = 200_000


def ledger_rows(session: Session, *, filters: CaseFilters, viewer: Actor, now: datetime | None = None,
                yellow_fraction: float | None = None, sort: str | None = None, limit: int = EXPORT_LIMIT,
                offset: int = 0) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The ledger as (columns, rows); personal columns only for clerk/chief/admin, and audited.

    Oldest first, or in the ``sort`` order of the ledger page (``service.order_cases``), from ``offset``:
    the console exports exactly the rows it shows. Only the cases ``viewer`` may see.
    """
    moment = now or datetime.now(UTC)
    fraction = yellow_fraction or casework.default_yellow_fraction()
    casework.check_zone_code(session, filters.zone)
    query = casework.visible_to(session, casework.filtered_cases(filters, now=moment, yellow_fraction=fraction),
                                viewer)
    query = query.order_by(Case.opened_at, Case.id) if sort is None else casework.order_cases(query, sort)
    cases = list(session.scalars(query.limit(min(limit, EXPORT_LIMIT)).offset(offset)))
    ids = [c.id for c in cases]
    revisits, concluded = casework.last_revisits(session, ids), casework.concluded_times(session, ids)
    # Per case, so the ledger's satisfaction rate is per revisit, like every other figure.
    judged = {cid: (n, good) for cid, n, good in session.execute(
        select(Revisit.case_id, func.count(), func.count().filter(Revisit.satisfaction.in_(rules.SATISFIED)))
        .where(Revisit.case_id.in_(ids)).group_by(Revisit.case_id))} if ids else {}
    # Keyed by id, looked up by a case's zone or officer, which may be None.
    zones: dict[int | None, str] = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({c.zone_id for c in cases if c.zone_id}))).all())
    officers: dict[int | None, str] = dict(session.execute(
        select(User.id, func.coalesce(User.full_name, User.username))
        .where(User.id.in_({c.assigned_to_id for c in cases if c.assigned_to_id}))).all())
    personal = privacy.may_see_personal_data(viewer.role)
    first_complaint: dict[int, tuple[int, str | None, str | None]] = {}
    if personal and ids:
        for cid, complaint_id, name, phone in session.execute(
                select(Complaint.case_id, Complaint.id, Complaint.complainant_name, Complaint.complainant_phone)
                .where(Complaint.case_id.in_(ids))
                .ext(distinct_on(Complaint.case_id)).order_by(Complaint.case_id, Complaint.received_at,
                                                                       Complaint.id)):
            if cid is not None:  # always: selected by case
                first_complaint[cid] = (complaint_id, name, phone)
    columns = LEDGER_COLUMNS + (PERSONAL_COLUMNS if personal else [])
    rows = []
    for c in cases:
        marks = casework.case_marks(c, revisits.get(c.id), now=moment, yellow_fraction=fraction,
                                    concluded_at=concluded.get(c.id))
        row = {
            "case_id": c.id, "category": label(c.category), "zone": zones.get(c.zone_id, ""),
            "channel": label(c.channel), "opened_at": rfc3339(c.opened_at), "due_at": rfc3339(c.due_at),
            "status": states.STATUS_LABELS[states.Status(c.status)][0],
            "progress_colour": marks["progress_colour"], "satisfaction_colour": marks["satisfaction_colour"],
            "repeat_count": c.repeat_count, "handling_count": c.handling_count,
            "satisfaction": states.SATISFACTION_LABELS[states.Satisfaction(c.satisfaction)][0]
            if c.satisfaction else "",
            "officer": officers.get(c.assigned_to_id, c.assigned_team or ""),
            "closed_on_time": {True: "是", False: "否", None: ""}[marks["closed_on_time"]],
            "overdue": "是" if marks["overdue"] else "否", "closed_at": rfc3339(c.closed_at),
            "revisits": judged.get(c.id, (0, 0))[0], "satisfied_revisits": judged.get(c.id, (0, 0))[1],
            "rework_count": c.rework_count, "extended": "是" if c.extended else "否",
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


def _styled(sheet: Any, value: Any, *, font: Font | None = None, fill: PatternFill | None = None) -> Cell:
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

