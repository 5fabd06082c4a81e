"""What a campaign may be, and which case may join it. Nothing here touches a database.

A campaign's period is a run of Beijing days, ``start_date`` to ``end_date``, both inclusive, at most
``MAX_PERIOD_DAYS`` long (the longest period the figures count). Its categories are codes of
``ecogrid.core.vocabulary.Category``; an empty list means every category, no zones mean the whole city.

A case may join a campaign when its category is one of the campaign's (if it lists any) and its zone lies
in one of the campaign's zones or below (if it lists any); a case outside every zone then cannot join.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from ecogrid.cases.reports import MAX_PERIOD_DAYS
from ecogrid.core.errors import InvalidInput
from ecogrid.core.value_ranges import check_date
from ecogrid.core.vocabulary import Category

MAX_NAME = 128
MAX_DESCRIPTION = 4000
MAX_TARGETS = 5000
CATEGORIES = frozenset(c.value for c in Category)

T = TypeVar("T")


@dataclass(frozen=True)
class Draft:
    """A campaign as asked for (new, or after a change is applied)."""

    name: str
    start_date: date
    end_date: date
    categories: tuple[str, ...] = ()
    zone_ids: tuple[int, ...] = ()
    source_ids: tuple[int, ...] = ()
    description: str | None = None


def check_draft(draft: Draft) -> Draft:
    """The draft cleaned (name trimmed, lists without repeats), or InvalidInput naming the field."""
    name = draft.name.strip()
    if not name:
        raise InvalidInput("a campaign needs a name", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a name is at most {MAX_NAME} characters", field="name")
    check_date(draft.start_date, field="start_date")
    check_date(draft.end_date, field="end_date")
    if draft.end_date < draft.start_date:
        raise InvalidInput(f"the campaign ends ({draft.end_date.isoformat()}) before it starts "
                           f"({draft.start_date.isoformat()})", field="end_date")
    if (draft.end_date - draft.start_date).days > MAX_PERIOD_DAYS:
        raise InvalidInput(f"a campaign runs at most {MAX_PERIOD_DAYS} days", field="end_date")
    unknown = [c for c in draft.categories if c not in CATEGORIES]
    if unknown:
        raise InvalidInput(f"unknown category {', '.join(unknown)}", field="categories")
    if len(set(draft.source_ids)) > MAX_TARGETS:
        raise InvalidInput(f"a campaign has at most {MAX_TARGETS} target units", field="source_ids")
    description = (draft.description or "").strip() or None
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description is at most {MAX_DESCRIPTION} characters", field="description")
    return Draft(name=name, start_date=draft.start_date, end_date=draft.end_date,
                 categories=_unique(draft.categories), zone_ids=_unique(draft.zone_ids),
                 source_ids=_unique(draft.source_ids), description=description)


def check_known(asked: Sequence[int], found: Collection[int], *, what: str, field: str) -> None:
    """Refuse ids that name no row: InvalidInput naming ``field`` and the first unknown ids."""
    missing = [i for i in asked if i not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InvalidInput(f"unknown {what} {shown}", field=field)


def refusal_to_join(*, categories: Collection[str], zone_tree: Collection[int] | None,
                    case_category: str, case_zone_id: int | None) -> str | None:
    """Why a case may not join the campaign, or None when it may. ``zone_tree`` is the campaign's zones with
    everything below them, None when the campaign lists no zone (the whole city)."""
    if categories and case_category not in categories:
        return f"the case's category {case_category} is not one of the campaign's ({', '.join(sorted(categories))})"
    if zone_tree is not None and (case_zone_id is None or case_zone_id not in zone_tree):
        return "the case lies outside the campaign's zones"
    return None


def _unique(values: Sequence[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(values))
