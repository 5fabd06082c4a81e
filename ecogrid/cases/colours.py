"""Colour marks bureaus put on cases: progress (挂图督办) and satisfaction.

Progress, four colours: green = done; blue = on schedule; yellow = close to the deadline (the
share of the allowed time already used is at least the configured fraction, 80% by default,
including the very moment of the deadline); red = overdue (strictly after the deadline).

Satisfaction: green = satisfied at the first handling; yellow = closed once and unsatisfied;
red = unsatisfied after two or more handlings (red items go on the supervision ledger with a
named owner). "Basically satisfied" counts as satisfied. A case that was satisfied only at a
later handling is yellow: it was unsatisfied once, so it was not solved the first time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

from ecogrid.cases import deadlines
from ecogrid.cases.states import Satisfaction

ProgressColour = Literal["green", "blue", "yellow", "red"]
SatisfactionColour = Literal["green", "yellow", "red"]


class ColourError(ValueError):
    """A colour cannot be worked out from the values given; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def progress_colour(
    *,
    now: datetime,
    started_at: datetime,
    due_at: datetime,
    closed_at: datetime | None = None,
    yellow_fraction: float | None = None,
    limits: deadlines.TimeLimits | None = None,
) -> ProgressColour:
    """The 挂图督办 colour of a case at ``now``; ``yellow_fraction`` defaults to the data file's value."""
    _require_aware(now, "now")
    _require_aware(started_at, "started_at")
    _require_aware(due_at, "due_at")
    if closed_at is not None:
        _require_aware(closed_at, "closed_at")
        return "green"
    if due_at <= started_at:
        raise ColourError("due_at", "must be after started_at")
    fraction = (
        yellow_fraction
        if yellow_fraction is not None
        else ((limits or deadlines.load_time_limits()).yellow_fraction)
    )
    if not 0 < fraction <= 1:
        raise ColourError("yellow_fraction", f"must be in (0, 1], got {fraction!r}")
    if now > due_at:
        return "red"
    # Compare whole microseconds as integers so that exactly 80% used is yellow, not a rounding accident.
    # The fraction is read as the decimal the bureau wrote (0.8 is 4/5, not the nearest binary float).
    share = Fraction(str(fraction))
    used = _microseconds(now - started_at)
    allowed = _microseconds(due_at - started_at)
    if used * share.denominator >= share.numerator * allowed:
        return "yellow"
    return "blue"


def closed_on_time(due_at: datetime, closed_at: datetime) -> bool:
    """Whether a case closed at ``closed_at`` met ``due_at`` (closing at the deadline itself is on time)."""
    _require_aware(due_at, "due_at")
    _require_aware(closed_at, "closed_at")
    return closed_at <= due_at


def time_left(now: datetime, due_at: datetime) -> timedelta:
    """Time until ``due_at``; negative once the case is overdue."""
    _require_aware(now, "now")
    _require_aware(due_at, "due_at")
    return due_at - now


def satisfaction_colour(
    *, handlings: int, last_satisfaction: str | None, closed_once: bool
) -> SatisfactionColour | None:
    """The satisfaction colour of a case, or None while there is nothing to mark.

    ``handlings``: how many handlings the complainant has judged, up to and including the one
    ``last_satisfaction`` is about (``Transition.judged_handling`` of the last revisit).
    ``closed_once``: the case has been concluded (replied or closed) at least once, so the
    complainant's judgement is about a finished handling.
    """
    if last_satisfaction is None:
        return None
    try:
        judgement = Satisfaction(last_satisfaction)
    except ValueError:
        choices = ", ".join(s.value for s in Satisfaction)
        message = f"unknown value {last_satisfaction!r}; one of {choices}"
        raise ColourError("last_satisfaction", message) from None
    if isinstance(handlings, bool) or not isinstance(handlings, int) or handlings < 1:
        raise ColourError("handlings", "a judged case has been handled at least once")
    if judgement is not Satisfaction.unsatisfied:
        return "green" if handlings == 1 else "yellow"
    if handlings >= 2:
        return "red"
    return "yellow" if closed_once else None


def on_supervision_ledger(*, handlings: int, last_satisfaction: str | None, closed_once: bool) -> bool:
    """Whether the case belongs on the supervision ledger (its satisfaction colour is red)."""
    colour = satisfaction_colour(
        handlings=handlings, last_satisfaction=last_satisfaction, closed_once=closed_once
    )
    return colour == "red"


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _require_aware(moment: datetime, field: str) -> None:
    if not isinstance(moment, datetime):
        raise ColourError(field, f"must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ColourError(field, "must carry a time zone")
