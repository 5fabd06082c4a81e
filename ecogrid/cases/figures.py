"""Case figures counted by the rules of ``ecogrid.cases.rules``, grouped by a column of the case.

The daily bulletin, the period summary and the zone map all count here, so a figure has one value
whichever page shows it. A period is [start, end); its stock (open, overdue) is counted at the
cut-off ``rules.cut_off(end, now)``: the end of the period, or now while the period runs.
Counting happens in PostgreSQL; Python only adds groups up along the (small) zone tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from ecogrid.cases import rules
from ecogrid.cases.states import Status
from ecogrid.core.models import Case, CaseEvent, Complaint, Revisit, Zone

OUTSIDE_JURISDICTION = "辖区外"  # cases with no zone: their place lies outside every zone
UNASSIGNED = "未分配"  # cases in a zone that lies under none of the zones reported


@dataclass
class Figures:
    new_cases: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0
    revisits: int = 0
    satisfied: int = 0
    extended: int = 0  # of the closed: their time limit had been extended
    days_to_close: float = 0.0  # of the closed: their opening-to-closing spans, in seconds, added up
    closings: int = 0  # close events in the period
    reworked: int = 0  # of those closings: undone by a reopening (返工) by the cut-off
    replied: int = 0  # cases replied to in the period
    replied_revisited: int = 0  # of those: revisited after their last reply in the period, by the cut-off
    returned: int = 0
    transferred: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def on_time_rate(self) -> float | None:
        return rules.on_time_rate(self.closed_on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return rules.satisfaction_rate(self.satisfied, self.revisits)

    @property
    def closure_rate(self) -> float | None:
        return rules.closure_rate(self.closed, self.open)

    @property
    def rework_rate(self) -> float | None:
        return rules.rework_rate(self.reworked, self.closings)

    @property
    def extension_rate(self) -> float | None:
        return rules.extension_rate(self.extended, self.closed)

    @property
    def mean_days_to_close(self) -> float | None:
        return rules.mean_days(self.days_to_close, self.closed)

    @property
    def revisit_coverage(self) -> float | None:
        return rules.revisit_coverage(self.replied_revisited, self.replied)

    def rates(self) -> dict[str, float | None]:
        """Every rate of the figures, by name (the names the API answers with)."""
        return {name: getattr(self, name) for name in RATES}

    def assessment(self) -> dict[str, Any]:
        """The assessment figures (办结率, 返工率, 延期率, 平均办结天数, 回访率) with the counts behind them."""
        return {"closings": self.closings, "reworked": self.reworked, "extended": self.extended,
                "replied": self.replied, "replied_revisited": self.replied_revisited,
                **{name: getattr(self, name) for name in ASSESSMENT_RATES}}

    def as_dict(self) -> dict[str, Any]:
        counts = asdict(self)
        counts.pop("days_to_close")  # a sum of seconds is no figure; its mean is
        return {**counts, **self.rates()}


# The rates a Figures gives, in the order pages show them; the assessment's are the ones added to the bulletin.
ASSESSMENT_RATES = ("closure_rate", "rework_rate", "extension_rate", "mean_days_to_close", "revisit_coverage")
RATES = ("on_time_rate", "satisfaction_rate", *ASSESSMENT_RATES)


def _in(column: Any, start: datetime | None, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end) if start is not None else column < end


def case_conditions(*, category: str | None = None, channel: str | None = None,
                    status: str | None = None) -> list[ColumnElement[bool]]:
    """The usual filters of a figure page, as conditions on ``cases``."""
    wanted = ((Case.category, category), (Case.channel, channel), (Case.status, status))
    return [column == value for column, value in wanted if value is not None]


def by_key(session: Session, *, key: Any, start: datetime | None, end: datetime, now: datetime,
           where: Sequence[ColumnElement[bool]] = ()) -> dict[Any, Figures]:
    """Figures of the period [start, end) per value of ``key`` (a column of ``cases``)."""
    cut = rules.cut_off(end, now)
    closed_in = and_(rules.closed_sql(), _in(Case.closed_at, start, end))
    # The period test first: PostgreSQL stops at the first false term, and the on-time rule reads the
    # history of each case it is asked about.
    on_time = and_(_in(Case.closed_at, start, end), rules.closed_on_time_sql())
    # Work that left the bureau in the period (退单; 转办 and 移交公安), counted when it left.
    returned = and_(Case.status == Status.returned.value,
                    _in(rules.left_at_sql(rules.RETURNING_ACTIONS), start, end))
    transferred = and_(Case.status == Status.transferred.value,
                       _in(rules.left_at_sql(rules.TRANSFERRING_ACTIONS), start, end))
    # A case neither opened, nor open, nor closed in the period adds nothing: only those opened
    # before the period's end are looked at, and not those closed before it began (most of a
    # province's ten years, which would each have their status at the cut-off worked out).
    passed_by = [~rules.closed_before_sql(start)] if start is not None else []
    rows = session.execute(
        select(key.label("k"),
               func.count().filter(_in(Case.opened_at, start, end)),
               func.count().filter(rules.open_at_sql(cut)),
               func.count().filter(rules.overdue_at_sql(cut)),
               func.count().filter(closed_in),
               func.count().filter(on_time),
               func.count().filter(and_(closed_in, rules.extended_sql())),
               func.coalesce(func.sum(rules.days_open_seconds_sql()).filter(closed_in), 0.0),
               func.count().filter(returned),
               func.count().filter(transferred))
        .where(Case.opened_at < end, *passed_by, *where).group_by(key)).all()
    out: dict[Any, Figures] = {}
    for k, new, open_, overdue, closed, timely, extended, seconds, returned_, transferred_ in rows:
        out[k] = Figures(new_cases=new, open=open_, overdue=overdue, closed=closed, closed_on_time=timely,
                         extended=extended, days_to_close=float(seconds), returned=returned_,
                         transferred=transferred_)
    revisit_rows = session.execute(
        select(key.label("k"), func.count(), func.count().filter(Revisit.satisfaction.in_(rules.SATISFIED)))
        .select_from(Revisit).join(Case, Case.id == Revisit.case_id)
        .where(_in(Revisit.at, start, end), *where).group_by(key)).all()
    for k, revisits, satisfied in revisit_rows:
        figures = out.setdefault(k, Figures())
        figures.revisits, figures.satisfied = revisits, satisfied
    closing = aliased(CaseEvent)
    closing_rows = session.execute(
        select(key.label("k"), func.count(), func.count().filter(rules.reworked_after_sql(closing, cut)))
        .select_from(closing).join(Case, Case.id == closing.case_id)
        .where(closing.action == rules.CLOSING_ACTION, _in(closing.at, start, end), *where).group_by(key)).all()
    for k, closings, reworked in closing_rows:
        figures = out.setdefault(k, Figures())
        figures.closings, figures.reworked = closings, reworked
    last_reply = (select(CaseEvent.case_id.label("case_id"), func.max(CaseEvent.at).label("at"))
                  .where(CaseEvent.action == rules.REPLY_ACTION, _in(CaseEvent.at, start, end))
                  .group_by(CaseEvent.case_id).subquery("last_reply"))
    reply_rows = session.execute(
        select(key.label("k"), func.count(),
               func.count().filter(rules.revisited_after_sql(last_reply.c.case_id, last_reply.c.at, cut)))
        .select_from(last_reply).join(Case, Case.id == last_reply.c.case_id).where(*where).group_by(key)).all()
    for k, replied, revisited in reply_rows:
        figures = out.setdefault(k, Figures())
        figures.replied, figures.replied_revisited = replied, revisited
    return out


def total(groups: Iterable[Figures]) -> Figures:
    out = Figures()
    for g in groups:
        out.add(g)
    return out


def city(session: Session, *, start: datetime | None, end: datetime, now: datetime,
         where: Sequence[ColumnElement[bool]] = ()) -> Figures:
    """The whole city's figures for the period."""
    return total(by_key(session, key=literal(1), start=start, end=end, now=now, where=where).values())


def complaint_counts(session: Session, *, start: datetime | None, end: datetime) -> tuple[int, int]:
    """(complaints received in the period, of them repeats): the repeat rate's two terms."""
    complaints, repeats = session.execute(select(
        func.count(), func.count().filter(Complaint.is_repeat.is_(True)),
    ).where(_in(Complaint.received_at, start, end))).one()
    return complaints, repeats


# ---------------------------------------------------------------- by zone


def zone_targets(session: Session, *, level: str, parent_code: str | None = None) -> dict[int, int]:
    """zone id -> the zone of ``level`` (under ``parent_code`` when given) it lies in, or is."""
    targets = select(Zone.id).where(Zone.level == level)
    if parent_code is not None:
        sub = select(Zone.id).where(Zone.code == parent_code).cte("sub", recursive=True)
        sub = sub.union_all(select(Zone.id).where(Zone.parent_id == sub.c.id))
        targets = targets.where(Zone.id.in_(select(sub.c.id)))
    tree = select(Zone.id.label("zone_id"), Zone.id.label("target_id")).where(Zone.id.in_(targets)) \
        .cte("down", recursive=True)
    tree = tree.union_all(select(Zone.id, tree.c.target_id).where(Zone.parent_id == tree.c.zone_id))
    return dict(session.execute(select(tree.c.zone_id, tree.c.target_id)).all())


def roll_up(per_zone: Mapping[int | None, Figures], targets: Mapping[int, int]
            ) -> tuple[dict[int, Figures], Figures, Figures]:
    """(figures per target zone, cases with no zone, cases in zones under no target)."""
    out: dict[int, Figures] = {}
    outside, unassigned = Figures(), Figures()
    for zone_id, figures in per_zone.items():
        if zone_id is None:
            outside.add(figures)
        elif zone_id in targets:
            out.setdefault(targets[zone_id], Figures()).add(figures)
        else:
            unassigned.add(figures)
    return out, outside, unassigned


def zone_map(session: Session, *, level: str, parent_code: str | None, start: datetime | None, end: datetime,
             now: datetime, where: Sequence[ColumnElement[bool]] = ()) -> dict[str, Any]:
    """Figures per zone code of ``level``, plus the cases the zones do not hold, for a zone map."""
    targets = zone_targets(session, level=level, parent_code=parent_code)
    per_zone = by_key(session, key=Case.zone_id, start=start, end=end, now=now, where=where)
    if parent_code is not None:
        # Under a parent, the rest of the city is not this map's business.
        per_zone = {z: f for z, f in per_zone.items() if z is not None and z in targets}
    by_target, outside, unassigned = roll_up(per_zone, targets)
    codes = dict(session.execute(select(Zone.id, Zone.code).where(Zone.id.in_(list(by_target) or [-1]))).all())
    return {"zones": {codes[z]: f for z, f in by_target.items()}, "outside": outside, "unassigned": unassigned,
            "total": total(per_zone.values()), "cut_off": rules.cut_off(end, now)}


def add_to_zone_rows(rows: list[dict[str, Any]], figures: Mapping[str, Figures]) -> list[dict[str, Any]]:
    """Zone rows (by ``code``) with their case figures and repeat rate added."""
    for row in rows:
        f = figures.get(row["code"], Figures())
        row.update(f.as_dict())
        row["cases"] = f.new_cases
        row["repeat_rate"] = rules.repeat_rate(row.get("repeats", 0), row.get("complaints", 0))
    return rows



