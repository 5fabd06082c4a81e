"""What needs a person today, per role: each item is a ledger filter and how many cases it holds now.

A count is the total of the ledger under the same filter (``service.list_cases``), so clicking it opens
exactly the cases it counted; overdue, colours and the supervision ledger come from their one rule.
The open and overdue stock of today is the bulletin's own figure (``figures.city``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.cases import figures, reports, revisit_tasks
from ecogrid.cases import service as casework
from ecogrid.cases.states import Status
from ecogrid.core.settings import Settings
from ecogrid.core.time import day_of


@dataclass(frozen=True)
class Item:
    key: str
    zh: str
    en: str
    filters: dict[str, str] = field(default_factory=dict)  # the ledger's query: /cases?...
    path: str = "/cases"


# Revisit tasks due today or earlier: the total of /revisit-tasks?due_by=<today> (``revisit_tasks.list_tasks``).
REVISITS_DUE = Item("revisits_due", "回访任务（已到期）", "Revisit tasks due", path="/revisit-tasks")

_ITEMS: dict[str, tuple[Item, ...]] = {
    "clerk": (
        Item("to_accept", "待受理", "To accept", {"status": Status.registered.value}),
        Item("to_revisit", "待回访", "To revisit", {"status": Status.replied.value}),
        Item("to_close", "待销号", "To close", {"status": Status.revisited.value}),
        Item("due_soon", "即将到期（黄灯）", "Due soon (yellow)", {"colour": "yellow"}),
        Item("overdue", "已超期", "Overdue", {"overdue": "true"}),
        REVISITS_DUE,
    ),
    "chief": (
        Item("to_dispatch", "待派单", "To dispatch", {"status": Status.accepted.value}),
        Item("due_soon", "即将到期（黄灯）", "Due soon (yellow)", {"colour": "yellow"}),
        Item("overdue", "已超期", "Overdue", {"overdue": "true"}),
        Item("red", "红灯", "Red", {"colour": "red"}),
        Item("unsatisfied", "多次不满意（督办）", "Unsatisfied again (supervision)", {"ledger": "supervision"}),
    ),
    "inspector": (
        Item("to_start", "待办理", "To start", {"status": Status.dispatched.value}),
        Item("in_progress", "办理中", "In progress", {"status": Status.in_progress.value}),
        Item("rectification", "整改中", "Under rectification", {"status": Status.rectification.value}),
        Item("overdue", "已超期", "Overdue", {"overdue": "true"}),
    ),
    "planner": (
        Item("red", "红灯", "Red", {"colour": "red"}),
        Item("overdue", "已超期", "Overdue", {"overdue": "true"}),
    ),
}
_ITEMS["admin"] = _ITEMS["clerk"] + _ITEMS["chief"][:1] + _ITEMS["chief"][3:]


def items_for(role: str) -> tuple[Item, ...]:
    return _ITEMS.get(role, ())


def _filters(values: dict[str, str]) -> casework.CaseFilters:
    overdue = values.get("overdue")
    return casework.CaseFilters(status=values.get("status"), colour=values.get("colour"),
                                overdue=None if overdue is None else overdue == "true")


def needs_today(session: Session, *, viewer: casework.Actor, settings: Settings,
                now: datetime | None = None) -> list[dict[str, Any]]:
    """The role's items with their counts now (what the viewer may see, as in their ledger or list)."""
    moment = now or datetime.now(UTC)
    yellow_fraction = settings.deadline_yellow_fraction
    out = []
    for item in items_for(viewer.role):
        if item is REVISITS_DUE:
            today = day_of(moment)
            _, count = revisit_tasks.list_tasks(session, settings=settings, user_id=viewer.user_id, role=viewer.role,
                                                due_by=today, limit=1, now=moment)
            out.append({"item": item, "count": count, "filters": {"due_by": today.isoformat()}})
            continue
        if item.filters.get("ledger") == "supervision":
            _, count = casework.supervision_ledger(session, limit=1, now=moment, yellow_fraction=yellow_fraction)
        else:
            _, count = casework.list_cases(session, filters=_filters(item.filters), limit=1, now=moment,
                                           yellow_fraction=yellow_fraction, viewer=viewer)
        out.append({"item": item, "count": count, "filters": item.filters})
    return out


def today_stock(session: Session, *, now: datetime | None = None) -> figures.Figures:
    """Today's city figures so far, as the bulletin counts them (open and overdue at now)."""
    moment = now or datetime.now(UTC)
    window = reports.Window(day_of(moment), day_of(moment))
    return figures.city(session, start=window.start, end=window.end, now=moment)
