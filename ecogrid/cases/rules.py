"""The one definition of each rule the bureau is judged on; every surface calls these.

- FINISHED: closed (销号), rejected (不予受理), or LEFT: the case's life in this bureau is over. OPEN:
  every other status.
- LEFT: returned to the dispatching platform (退单) or transferred to another department (转办,
  移交公安): the work is not this bureau's. A case that left is neither closed nor overdue here
  (closure, on-time closure and overdue count only the bureau's own work), is not open and takes
  no more repeats; it still counts among the new cases of the period it was registered in, and
  the bulletin counts it on its own (``returned``, ``transferred``: cases that left in the period).
  A return is a decision at the door like a rejection: the acceptance rate is accepted over
  accepted + rejected + returned.
- HANDLING: open and not yet concluded (办结): registered, accepted, dispatched, in progress, under
  rectification. A reply concludes a handling; an unsatisfied revisit sends the case back to
  dispatched, so it is being handled again.
- Overdue now: HANDLING and ``due_at`` before now. Overdue at a cut-off M: the case's status at M
  (the status its last event at or before M left it in) is HANDLING and ``due_at`` is before M.
  At M = now the two are the same. A replied case waiting for its revisit is not overdue: the
  time limit is met by the reply, the same event that decides on-time closure.
- Open at M: the status at M is OPEN (registered by M, not closed or rejected by M).
- On-time closure (按期办结): a closed case whose last conclusion (reply, or the answer of a
  consultation) came at or before ``due_at``; without a recorded conclusion, its closing time;
  without a deadline, on time. The Python rule is ``ecogrid.workflow.colours.closed_on_time``.
- Satisfaction rate (满意率), per revisit: revisits in the period judged satisfied or basically
  satisfied, over all revisits in the period. A case revisited twice counts twice.
- Repeat rate: complaints received in the period marked as repeats of a known case, over all
  complaints received in the period.
- Closure rate (办结率): cases closed (销号) in the period over those closed in it plus those still open
  at the cut-off (办结 ÷ (办结 + 在办)): of the work the period had to deal with, the share finished.
- Rework rate (返工率), per closing: of the closings (``close`` events) in the period, the share a repeat
  complaint undid (a ``reopen`` event after that closing, at or before the cut-off; ``states.reopen_on_repeat``).
  A case closed, reopened and closed again counts twice. A reopened case is no longer closed, so its
  closing counts in ``closed`` only when it closes again.
- Extension rate (延期率): of the cases closed in the period, the share whose time limit was extended.
- Mean days to close (平均办结天数): over the cases closed in the period, the mean of closed_at -
  opened_at in days (2 places), a reworked case's whole life included.
- Revisit coverage (回访率): of the cases replied to (办结) in the period, the share revisited after
  their last reply in the period, by the cut-off.

- Cross-district (跨区): the case lies in one district and its confirmed source (``cases.confirmed_source_id``)
  in another. A zone's district is the nearest zone of level ``district`` up its tree, itself included (under
  a city-level top zone, the district it lies in; with one district on top, every case lies in it); a
  zone with none above it, or a case or source outside every zone, has no district and is never
  cross-district. Only a confirmed source counts: the suspects ranking is a guess recomputed as sources
  and readings change, and access and escalation must not follow a guess. A cross-district case is
  within reach of the chiefs of both districts (the chiefs whose zones hold the case, or hold its source:
  ``states.within_zones``), carries ``cross_district`` in every answer and is listed for the city level
  under ``cross_district=1``. ``cross_district_sql`` is the one definition;
  ``authorization.cross_district_source_zone`` reads it for one case.

Python predicates and SQL expressions are built from the same constants below.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from ecogrid.cases import colours
from ecogrid.cases.states import REOPEN_EVENT, Action, Satisfaction, Status
from ecogrid.core.models import Case, CaseEvent, Revisit, Source, Zone
from ecogrid.core.vocabulary import ZoneLevel

LEFT: tuple[str, ...] = (Status.returned.value, Status.transferred.value)
FINISHED: tuple[str, ...] = (Status.closed.value, Status.rejected.value, *LEFT)
OPEN: tuple[str, ...] = tuple(s.value for s in Status if s.value not in FINISHED)
CONCLUDED: tuple[str, ...] = (Status.replied.value, Status.revisited.value)
HANDLING: tuple[str, ...] = tuple(s for s in OPEN if s not in CONCLUDED)
SATISFIED: tuple[str, ...] = (Satisfaction.satisfied.value, Satisfaction.basically_satisfied.value)
CONCLUDING_ACTIONS: tuple[str, ...] = (Action.reply.value, Action.answer.value)
CLOSING_ACTION = Action.close.value
REWORK_ACTION = REOPEN_EVENT
REPLY_ACTION = Action.reply.value
SECONDS_PER_DAY = 86_400.0
RETURNING_ACTIONS: tuple[str, ...] = (Action.return_.value,)
TRANSFERRING_ACTIONS: tuple[str, ...] = (Action.transfer.value, Action.handover.value)
DISTRICT_LEVEL = ZoneLevel.district.value


# ---------------------------------------------------------------- Python predicates


def is_open(status: str) -> bool:
    return status in OPEN


def is_finished(status: str) -> bool:
    return status in FINISHED


def has_left(status: str) -> bool:
    """Returned or transferred: the work went elsewhere."""
    return status in LEFT


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Overdue now: still being handled and past its deadline."""
    return status in HANDLING and due_at is not None and due_at < now


def closed_on_time(status: str, due_at: datetime | None, concluded_at: datetime | None,
                   closed_at: datetime | None) -> bool | None:
    """On time (True/False) for a closed case, None for any other."""
    if status != Status.closed.value or closed_at is None:
        return None
    return True if due_at is None else colours.closed_on_time(due_at, concluded_at or closed_at)


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 places, None when there is nothing to divide by."""
    return None if denominator == 0 else round(numerator / denominator, 4)


def acceptance_rate(accepted: int, rejected: int, returned: int) -> float | None:
    """Accepted over every decision at the door (accepted, rejected, returned to the platform)."""
    return rate(accepted, accepted + rejected + returned)


def satisfaction_rate(satisfied_revisits: int, revisits: int) -> float | None:
    return rate(satisfied_revisits, revisits)


def repeat_rate(repeat_complaints: int, complaints: int) -> float | None:
    return rate(repeat_complaints, complaints)


def on_time_rate(closed_on_time_count: int, closed: int) -> float | None:
    return rate(closed_on_time_count, closed)


def closure_rate(closed: int, open_: int) -> float | None:
    """办结率: closed in the period ÷ (closed in the period + open at the cut-off)."""
    return rate(closed, closed + open_)


def rework_rate(reworked_closings: int, closings: int) -> float | None:
    """返工率: closings of the period undone by a reopening ÷ closings of the period."""
    return rate(reworked_closings, closings)


def extension_rate(extended_closed: int, closed: int) -> float | None:
    """延期率: cases closed in the period that had been extended ÷ cases closed in the period."""
    return rate(extended_closed, closed)


def mean_days(total_seconds: float, count: int) -> float | None:
    """平均办结天数: the mean of ``count`` spans adding up to ``total_seconds``, in days (2 places)."""
    return None if count == 0 else round(total_seconds / count / SECONDS_PER_DAY, 2)


def revisit_coverage(revisited: int, replied: int) -> float | None:
    """回访率: cases replied to in the period and revisited after that reply ÷ cases replied to in the period."""
    return rate(revisited, replied)


def cut_off(period_end: datetime, now: datetime) -> datetime:
    """The moment a period's stock (open, overdue) is counted at: its end, or now if it has not ended."""
    return min(period_end, now)


# ---------------------------------------------------------------- SQL expressions


def overdue_sql(now: datetime) -> ColumnElement[bool]:
    """Overdue now, on the cases table (the same rule as ``is_overdue``)."""
    return and_(Case.status.in_(HANDLING), Case.due_at.is_not(None), Case.due_at < now)


def status_at_sql(moment: datetime) -> ColumnElement[str]:
    """The status of each case at ``moment`` ('' before it was registered), as a correlated subquery.

    Every workflow step appends an event carrying the status it leaves; the last one at or before
    ``moment`` is the status then (closed and rejected are read off the row's own times).
    """
    last = (select(CaseEvent.to_status).where(CaseEvent.case_id == Case.id, CaseEvent.at <= moment)
            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1).correlate(Case).scalar_subquery())
    # A case brought in without its history (an import from another system) is taken to have been
    # in its present status all along.
    untracked = ~select(CaseEvent.id).where(CaseEvent.case_id == Case.id).correlate(Case).exists()
    rejected_at = (select(func.min(CaseEvent.at)).where(CaseEvent.case_id == Case.id,
                                                          CaseEvent.action == Action.reject.value)
                   .correlate(Case).scalar_subquery())
    # The end of a case is also kept on the row (closed_at, the reject event), so it holds even
    # where the history between is incomplete.
    return case(
        (and_(Case.status == Status.closed.value, func.coalesce(Case.closed_at, Case.opened_at) <= moment),
         literal(Status.closed.value)),
        (and_(Case.status == Status.rejected.value, func.coalesce(rejected_at, Case.opened_at) <= moment),
         literal(Status.rejected.value)),
        else_=func.coalesce(last, case((untracked, Case.status), else_=literal(""))))


def open_at_sql(moment: datetime) -> ColumnElement[bool]:
    """Cases open at ``moment``."""
    return and_(Case.opened_at <= moment, status_at_sql(moment).in_(OPEN))


def overdue_at_sql(moment: datetime) -> ColumnElement[bool]:
    """Cases overdue at the cut-off ``moment``."""
    return and_(Case.due_at.is_not(None), Case.due_at < moment, Case.opened_at <= moment,
                status_at_sql(moment).in_(HANDLING))


def concluded_at(history: Iterable[CaseEvent]) -> datetime | None:
    """When a case was last concluded, read off its loaded history: ``concluded_at_sql`` for one case."""
    return max((e.at for e in history if e.action in CONCLUDING_ACTIONS), default=None)


def concluded_at_sql() -> ColumnElement[datetime]:
    """When each case was last concluded (its last reply or answer), correlated on ``cases``."""
    return (select(func.max(CaseEvent.at))
            .where(CaseEvent.case_id == Case.id, CaseEvent.action.in_(CONCLUDING_ACTIONS))
            .correlate(Case).scalar_subquery())


def left_at_sql(actions: tuple[str, ...]) -> ColumnElement[datetime]:
    """When each case left the bureau by one of ``actions`` (RETURNING_ACTIONS, TRANSFERRING_ACTIONS),
    correlated on ``cases``; null for a case that did not."""
    return (select(func.min(CaseEvent.at))
            .where(CaseEvent.case_id == Case.id, CaseEvent.action.in_(actions))
            .correlate(Case).scalar_subquery())


def closed_before_sql(moment: datetime) -> ColumnElement[bool]:
    """Closed before ``moment`` and closed still: nothing that is counted at or after ``moment`` (new, open,
    overdue, closed, left) can be true of such a case, so a period's figures may pass it by."""
    return and_(Case.status == Status.closed.value, Case.closed_at.is_not(None), Case.closed_at < moment)


def closed_sql() -> ColumnElement[bool]:
    return and_(Case.status == Status.closed.value, Case.closed_at.is_not(None))


def closed_on_time_sql() -> ColumnElement[bool]:
    """Closed and on time (the same rule as ``closed_on_time``)."""
    return and_(closed_sql(), or_(Case.due_at.is_(None),
                                  func.coalesce(concluded_at_sql(), Case.closed_at) <= Case.due_at))


def extended_sql() -> ColumnElement[bool]:
    """The case's time limit was extended (the extension rate's numerator, with ``closed_sql``)."""
    return Case.extended.is_(True)


def days_open_seconds_sql() -> ColumnElement[Any]:
    """From opening to closing in seconds (mean days to close)."""
    return func.extract("epoch", Case.closed_at - Case.opened_at)


def reworked_after_sql(closing: Any, cut: datetime) -> ColumnElement[bool]:
    """A ``reopen`` event of the same case after the closing event ``closing``, at or before ``cut``."""
    later = aliased(CaseEvent)
    return exists().where(later.case_id == closing.case_id, later.action == REWORK_ACTION, later.at > closing.at,
                          later.at <= cut)


def revisited_after_sql(case_id: Any, replied_at: Any, cut: datetime) -> ColumnElement[bool]:
    """A revisit of the case at or after ``replied_at`` and at or before ``cut`` (revisit coverage)."""
    return exists().where(Revisit.case_id == case_id, Revisit.at >= replied_at, Revisit.at <= cut)


# ---------------------------------------------------------------- the backlog ledger (信访积案)
# A case is on the backlog ledger when a chief put it there (a recorded decision with a reason), or,
# without any decision, when it is a chronic repeat: CHRONIC_COMPLAINTS or more complaints (the first
# and its repeats). It leaves only by a recorded decision (``backlog == "left"``), whatever its status.
# A later decision to list it again puts it back.

CHRONIC_COMPLAINTS = 5
# The summary's own list of cases singled out (``cases_with_5_plus_repeats``) counts repeat complaints received
# up to the period's end, not complaints: a case with REPEATS_SINGLED_OUT repeats holds one complaint more than
# a chronic case needs. Two thresholds on purpose (the list is the assessment's, the ledger the bureau's), kept
# here side by side so that changing one is seen next to the other.
REPEATS_SINGLED_OUT = 5
BACKLOG_LISTED = "listed"
BACKLOG_LEFT = "left"


def complaints_on_case(repeat_count: int) -> int:
    """The complaints a case holds: the first and its repeats."""
    return repeat_count + 1


def is_chronic(repeat_count: int) -> bool:
    return complaints_on_case(repeat_count) >= CHRONIC_COMPLAINTS


def on_backlog(backlog: str | None, repeat_count: int) -> bool:
    """On the backlog ledger (the same rule as ``on_backlog_sql``)."""
    return backlog == BACKLOG_LISTED or (backlog is None and is_chronic(repeat_count))


def chronic_sql() -> ColumnElement[bool]:
    return Case.repeat_count + 1 >= CHRONIC_COMPLAINTS


def on_backlog_sql() -> ColumnElement[bool]:
    """On the backlog ledger, on the cases table (the same rule as ``on_backlog``)."""
    return or_(Case.backlog == BACKLOG_LISTED, and_(Case.backlog.is_(None), chronic_sql()))


# ---------------------------------------------------------------- cross-district (跨区)


def zone_districts_cte() -> Any:
    """Each zone's district (``id``, ``district_id``): the nearest zone of level district up its tree, itself
    included. Zones without one are not listed."""
    base = (select(Zone.id.label("id"), Zone.id.label("district_id")).where(Zone.level == DISTRICT_LEVEL)
            .cte("zone_districts", recursive=True))
    child = aliased(Zone)
    return base.union_all(select(child.id, base.c.district_id)
                          .where(child.parent_id == base.c.id, child.level != DISTRICT_LEVEL))


def cross_district_sql() -> ColumnElement[bool]:
    """The case's zone and its confirmed source's zone lie in different districts (both known), on ``cases``."""
    districts = zone_districts_cte()
    mine, theirs = districts.alias("case_district"), districts.alias("source_district")
    return (exists().where(Source.id == Case.confirmed_source_id, mine.c.id == Case.zone_id,
                           theirs.c.id == Source.zone_id, mine.c.district_id != theirs.c.district_id)
            .correlate(Case))
