"""The bureau's clock: one time zone, one day, one reading of a bare time, one way to write a time.

- The zone is Asia/Shanghai (Beijing time, UTC+08:00 all year; China has no daylight saving).
- A day (a bulletin's, a heatmap's, a report period's) runs from 00:00 to 24:00 Beijing time.
- A time given without an offset (a hotline export, a form field, a CSV cell, a query parameter)
  is Beijing wall-clock time, everywhere: intake, imports, patrols, inspections and aggregates.
  Bureau staff and hotline systems write local time; reading it as UTC shifts it by eight hours.
- Every time leaving the API is RFC 3339 with the +08:00 offset (``2026-05-01T09:30:00+08:00``),
  so a clerk reads the same wall-clock time the complainant gave, and a machine still has the offset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import overload
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class TimeFormatError(ValueError):
    """A text is not an ISO 8601 / RFC 3339 date-time."""


@overload
def as_aware(moment: datetime) -> datetime: ...


@overload
def as_aware(moment: None) -> None: ...


def as_aware(moment: datetime | None) -> datetime | None:
    """``moment`` with its offset; a naive one is read as Beijing time (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=BEIJING)
    return moment


def read_time(value: str) -> datetime:
    """An ISO 8601 / RFC 3339 date-time (``Z`` allowed); without an offset it is Beijing time."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeFormatError(f"{value!r} is not an ISO 8601 date-time") from None
    return as_aware(moment)


def beijing_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in Beijing time: 00:00 that day to 00:00 the next."""
    start = datetime.combine(day, time(0), BEIJING)
    return start, datetime.combine(day + timedelta(days=1), time(0), BEIJING)


def day_start(day: date) -> datetime:
    """00:00 Beijing time of ``day``."""
    return beijing_day_bounds(day)[0]


def day_of(moment: datetime) -> date:
    """The Beijing calendar day ``moment`` falls on (a naive moment is Beijing time)."""
    return as_aware(moment).astimezone(BEIJING).date()


def now() -> datetime:
    """The current moment, in Beijing time."""
    return datetime.now(BEIJING)


def today() -> date:
    """The current Beijing calendar day."""
    return now().date()


def rfc3339(moment: datetime | None) -> str | None:
    """``moment`` as RFC 3339 with +08:00 (None stays None): how every time leaves the API."""
    if moment is None:
        return None
    return as_aware(moment).astimezone(BEIJING).isoformat()
