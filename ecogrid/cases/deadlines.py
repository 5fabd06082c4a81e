"""Deadlines of a case: time limits from data, counted in calendar days or Chinese working days.

All counting happens in Asia/Shanghai local time. Working days follow the Chinese calendar with
its public holidays and make-up working days (调休上班). Which days those are is taken, for each
year, from the first of these that knows the year:

1. the official schedule the bureau loaded (``WorkCalendar``: the State Council's notice for the
   year, loaded with ``ecogrid calendar load``; the days it lists are holidays or make-up working
   days, every other day is Monday to Friday);
2. the ``chinesecalendar`` package (the published schedules up to the year it was released);
3. the rule-based festival dates of the ``holidays`` package (``holidays.China``: it knows the
   festivals of years not yet published, but not their make-up working days);
4. Monday to Friday.

Only 1 and 2 are the official schedule; a count that used 3 or 4 for any day says so
(``calendar_fallback``), so a deadline can always be computed but is flagged as an estimate
(``due_estimated`` in the case API).

The working-day rule (``add_working_days``):

- Time runs only on working days. The deadline is the earliest moment at which N whole working
  days have passed since the start.
- A start during a working day gives a deadline at the same local time of day on the Nth
  working day after the start's day (Friday 10:00 + 1 -> Monday 10:00).
- A start on a non-working day counts from 00:00 of the next working day, so the deadline is
  the end of the Nth working day counting that day as the first (received Saturday, 5 working
  days -> Monday is day 1, due at the end of Friday, i.e. 00:00 on Saturday).
- A start at exactly 00:00 of a working day is treated the same way: that day is day 1.

Calendar days (``add_calendar_days``) keep the local time of day: received 10:00 on 1 March,
15 days -> due 10:00 on 16 March.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self

import chinese_calendar

from ecogrid.core.time import BEIJING

DEFAULT_TIME_LIMITS_PATH = Path(__file__).parent / "data" / "time_limits.json"

# A search for the next working day never needs more than this; the longest run of
# non-working days in the Chinese calendar is 9 (Spring Festival / National Day with weekends).
_MAX_DAYS_TO_NEXT_WORKING_DAY = 31


class DeadlineError(ValueError):
    """A deadline cannot be computed from the values given; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TimeLimitsError(ValueError):
    """The time-limits data file is malformed; the message names the entry."""


class Unit(StrEnum):
    working_days = "working_days"
    calendar_days = "calendar_days"


class Urgency(StrEnum):
    urgent = "urgent"
    ordinary = "ordinary"
    complex = "complex"


class Deadline(datetime):
    """A datetime (Asia/Shanghai) that also says whether the Chinese calendar was known.

    ``calendar_fallback`` is True when at least one day counted lay in a year the Chinese
    calendar data does not cover, so that day was taken as a working day if Monday-Friday.
    Arithmetic on a Deadline gives a plain datetime (the flag belongs to the computed moment).
    """

    calendar_fallback: bool

    def __new__(cls, *args: Any, calendar_fallback: bool = False, **kwargs: Any) -> Self:
        moment = super().__new__(cls, *args, **kwargs)
        moment.calendar_fallback = calendar_fallback
        return moment

    @classmethod
    def at(cls, moment: datetime, *, calendar_fallback: bool) -> Deadline:
        return cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            tzinfo=moment.tzinfo,
            fold=moment.fold,
            calendar_fallback=calendar_fallback,
        )


class WorkingDayCount(int):
    """A number of working days that also says whether the Chinese calendar was known (see Deadline)."""

    calendar_fallback: bool

    def __new__(cls, value: int, *, calendar_fallback: bool = False) -> Self:
        count = super().__new__(cls, value)
        count.calendar_fallback = calendar_fallback
        return count


@dataclass(frozen=True)
class TimeLimit:
    """One time limit as configured: how long a stage may take and where its clock starts."""

    limit_set: str
    stage: str
    days: int
    unit: Unit
    clock_starts: str
    confirmed: bool
    source: str
    urgency: Urgency | None = None
    allowed_range: tuple[int, int] | None = None


@dataclass(frozen=True)
class StageRule:
    clock_starts: str
    days: int | Mapping[Urgency, int]
    ranges: Mapping[Urgency, tuple[int, int]]


@dataclass(frozen=True)
class LimitSet:
    name: str
    unit: Unit
    confirmed: bool
    source: str
    default_urgency: Urgency
    stages: Mapping[str, StageRule]


@dataclass(frozen=True)
class TimeLimits:
    """The whole time-limits file, checked."""

    limit_sets: Mapping[str, LimitSet]
    channels: Mapping[str, str]
    extension_max_days: int
    extension_max_count: int
    extension_source: str
    yellow_fraction: float


# ---------------------------------------------------------------- loading the data


def load_time_limits(path: Path | str | None = None) -> TimeLimits:
    """Read and check the time-limits JSON (the packaged default unless a path is given)."""
    return _load_time_limits(Path(path) if path is not None else DEFAULT_TIME_LIMITS_PATH)


@lru_cache(maxsize=8)
def _load_time_limits(path: Path) -> TimeLimits:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TimeLimitsError(f"cannot read time limits from {path}: {exc}") from exc
    return _parse_time_limits(raw)


def _parse_time_limits(raw: Mapping[str, Any]) -> TimeLimits:
    sets = {name: _parse_limit_set(name, body) for name, body in _mapping(raw, "limit_sets").items()}
    channels = dict(_mapping(raw, "channels"))
    for channel, set_name in channels.items():
        if set_name not in sets:
            raise TimeLimitsError(f"channels.{channel}: unknown limit set {set_name!r}")
    extension = _mapping(raw, "extension")
    colour = _mapping(raw, "progress_colour")
    yellow = colour.get("yellow_fraction")
    if not isinstance(yellow, int | float) or isinstance(yellow, bool) or not 0 < yellow <= 1:
        raise TimeLimitsError("progress_colour.yellow_fraction: must be a number in (0, 1]")
    return TimeLimits(
        limit_sets=sets,
        channels=channels,
        extension_max_days=_positive_int(extension.get("max_days"), "extension.max_days"),
        extension_max_count=_positive_int(extension.get("max_count"), "extension.max_count"),
        extension_source=str(extension.get("source", "")),
        yellow_fraction=float(yellow),
    )


def _parse_limit_set(name: str, body: Mapping[str, Any]) -> LimitSet:
    where = f"limit_sets.{name}"
    try:
        unit = Unit(str(body.get("unit")))
        default_urgency = Urgency(body.get("default_urgency", Urgency.ordinary))
    except ValueError as exc:
        raise TimeLimitsError(f"{where}: {exc}") from exc
    stages: dict[str, StageRule] = {}
    for stage, rule in _mapping(body, "stages", where).items():
        at = f"{where}.stages.{stage}"
        days_raw = rule.get("days")
        days: int | dict[Urgency, int]
        if isinstance(days_raw, Mapping):
            try:
                days = {Urgency(k): _positive_int(v, f"{at}.days.{k}") for k, v in days_raw.items()}
            except ValueError as exc:
                raise TimeLimitsError(f"{at}.days: {exc}") from exc
        else:
            days = _positive_int(days_raw, f"{at}.days")
        ranges = {
            Urgency(k): (_positive_int(lo, f"{at}.range.{k}"), _positive_int(hi, f"{at}.range.{k}"))
            for k, (lo, hi) in rule.get("range", {}).items()
        }
        if not isinstance(rule.get("from"), str):
            raise TimeLimitsError(f"{at}.from: must name the event that starts the clock")
        stages[stage] = StageRule(clock_starts=rule["from"], days=days, ranges=ranges)
    return LimitSet(
        name=name,
        unit=unit,
        confirmed=bool(body.get("confirmed", False)),
        source=str(body.get("source", "")),
        default_urgency=default_urgency,
        stages=stages,
    )


def _mapping(raw: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise TimeLimitsError(f"{where + '.' if where else ''}{key}: missing or not an object")
    return value


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TimeLimitsError(f"{where}: must be a whole number of days, at least 1")
    return value


# ---------------------------------------------------------------- the calendar


class CalendarSource(StrEnum):
    """Where the working days of a year come from, in the order they are tried."""

    official = "official"  # the schedule the bureau loaded
    chinesecalendar = "chinesecalendar"  # the published schedules the chinesecalendar package holds
    holidays = "holidays"  # holidays.China: festival dates by rule, no make-up working days (an estimate)
    weekdays = "weekdays"  # Monday to Friday (an estimate)


OFFICIAL_SOURCES = frozenset({CalendarSource.official, CalendarSource.chinesecalendar})


@dataclass(frozen=True)
class WorkCalendar:
    """The official schedules loaded by the bureau: for each loaded year, the days it lists
    (True: a make-up working day, False: a holiday). A year not in ``years`` is not loaded.
    ``version`` identifies the loaded data (a cache compares it); the empty calendar has none."""

    days: Mapping[int, Mapping[date, bool]] = field(default_factory=lambda: MappingProxyType({}))
    version: Any = None

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self.days)


NO_OFFICIAL_SCHEDULE = WorkCalendar()


def calendar_source(year: int, calendar: WorkCalendar | None = None) -> CalendarSource:
    """Which source decides the working days of ``year`` (see the module docstring)."""
    if calendar is not None and year in calendar.days:
        return CalendarSource.official
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return CalendarSource.chinesecalendar
    except NotImplementedError:
        pass
    return CalendarSource.holidays if _rule_based_holidays(year) is not None else CalendarSource.weekdays


@lru_cache(maxsize=64)
def _rule_based_holidays(year: int) -> frozenset[date] | None:
    """The festival days of ``holidays.China`` for ``year`` (None when the package is not installed)."""
    try:
        import holidays
    except ImportError:
        return None
    return frozenset(holidays.country_holidays("CN", years=year))


def is_working_day(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Whether ``day`` is a working day (see the module docstring for which calendar decides)."""
    return _day_kind(day, calendar)[0]


def calendar_known(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Whether ``day``'s year has an official schedule (loaded, or in the chinesecalendar package)."""
    return _day_kind(day, calendar)[1]


def _day_kind(day: date, calendar: WorkCalendar | None) -> tuple[bool, bool]:
    """(is a working day, the year's official schedule was known)."""
    if calendar is not None:
        listed = calendar.days.get(day.year)
        if listed is not None:
            return listed.get(day, day.weekday() < 5), True
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        pass
    festivals = _rule_based_holidays(day.year)
    return day.weekday() < 5 and (festivals is None or day not in festivals), False


def _next_working_day(day: date, calendar: WorkCalendar | None) -> tuple[date, bool]:
    """The first working day after ``day``, and whether any day looked at was a fallback guess."""
    fallback = False
    candidate = day
    for _ in range(_MAX_DAYS_TO_NEXT_WORKING_DAY):
        candidate += timedelta(days=1)
        working, known = _day_kind(candidate, calendar)
        fallback = fallback or not known
        if working:
            return candidate, fallback
    raise DeadlineError("calendar", f"no working day within a month after {day.isoformat()}")


def to_local(moment: datetime, *, field: str = "moment") -> datetime:
    """``moment`` in Asia/Shanghai time; naive datetimes are refused because their zone is a guess."""
    if not isinstance(moment, datetime):
        raise DeadlineError(field, f"must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DeadlineError(field, "must carry a time zone (a naive datetime is ambiguous)")
    return moment.astimezone(BEIJING)


# ---------------------------------------------------------------- counting


def add_working_days(start: datetime, days: int, *, calendar: WorkCalendar | None = None) -> Deadline:
    """The moment ``days`` Chinese working days after ``start`` (see the module docstring for the rule);
    ``calendar`` holds the official schedules loaded (none: the packages' calendars only)."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise DeadlineError("days", "must be a whole number, zero or more")
    local = to_local(start, field="start")
    day = local.date()
    working, known = _day_kind(day, calendar)
    fallback = not known
    if not working:
        day, guessed = _next_working_day(day, calendar)
        fallback = fallback or guessed
        local = datetime.combine(day, time(0), BEIJING)
    if days == 0:
        return Deadline.at(local, calendar_fallback=fallback)

    if local.time() == time(0):
        # Starting at midnight, the start's own day is day 1: due at the end of the Nth day.
        for _ in range(days - 1):
            day, guessed = _next_working_day(day, calendar)
            fallback = fallback or guessed
        end = datetime.combine(day + timedelta(days=1), time(0), BEIJING)
    else:
        for _ in range(days):
            day, guessed = _next_working_day(day, calendar)
            fallback = fallback or guessed
        end = datetime.combine(day, local.time(), BEIJING)
    return Deadline.at(end, calendar_fallback=fallback)


def add_calendar_days(start: datetime, days: int) -> Deadline:
    """The moment ``days`` calendar days after ``start``, at the same Asia/Shanghai time of day."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise DeadlineError("days", "must be a whole number, zero or more")
    local = to_local(start, field="start")
    return Deadline.at(local + timedelta(days=days), calendar_fallback=False)


def working_days_between(start: datetime, end: datetime, *,
                         calendar: WorkCalendar | None = None) -> WorkingDayCount:
    """Whole working days elapsed from ``start`` to ``end`` (negative when ``end`` is earlier).

    Time on non-working days does not count, so
    ``working_days_between(s, add_working_days(s, n)) == n`` for every start ``s``.
    """
    first = to_local(start, field="start")
    last = to_local(end, field="end")
    if last < first:
        count = working_days_between(last, first, calendar=calendar)
        return WorkingDayCount(-int(count), calendar_fallback=count.calendar_fallback)
    elapsed = timedelta(0)
    fallback = False
    day = first.date()
    while day <= last.date():
        working, known = _day_kind(day, calendar)
        fallback = fallback or not known
        if working:
            day_start = datetime.combine(day, time(0), BEIJING)
            day_end = day_start + timedelta(days=1)
            overlap = min(last, day_end) - max(first, day_start)
            if overlap > timedelta(0):
                elapsed += overlap
        day += timedelta(days=1)
    return WorkingDayCount(elapsed // timedelta(days=1), calendar_fallback=fallback)


# ---------------------------------------------------------------- time limits per channel


def time_limit(
    *, channel: str, stage: str, urgency: str | None = None, limits: TimeLimits | None = None
) -> TimeLimit:
    """The configured limit for one stage of a case that came in through ``channel``.

    ``urgency`` (urgent, ordinary, complex) matters where the channel's limits depend on it
    (12345 work orders); when not given, the limit set's default urgency applies.
    """
    limits = limits or load_time_limits()
    set_name = limits.channels.get(channel)
    if set_name is None:
        raise DeadlineError("channel", f"no time limits configured for channel {channel!r}")
    limit_set = limits.limit_sets[set_name]
    rule = limit_set.stages.get(stage)
    if rule is None:
        known = ", ".join(limit_set.stages)
        raise DeadlineError(
            "stage", f"no time limit for stage {stage!r} on channel {channel!r} (configured: {known})"
        )
    try:
        level = Urgency(urgency) if urgency is not None else limit_set.default_urgency
    except ValueError:
        choices = ", ".join(u.value for u in Urgency)
        raise DeadlineError("urgency", f"unknown urgency {urgency!r}; one of {choices}") from None
    if isinstance(rule.days, Mapping):
        if level not in rule.days:
            message = f"no {stage} limit for urgency {level.value!r} on channel {channel!r}"
            raise DeadlineError("urgency", message)
        days = rule.days[level]
        used_urgency: Urgency | None = level
    else:
        days = rule.days
        used_urgency = None
    return TimeLimit(
        limit_set=set_name,
        stage=stage,
        days=days,
        unit=limit_set.unit,
        clock_starts=rule.clock_starts,
        confirmed=limit_set.confirmed,
        source=limit_set.source,
        urgency=used_urgency,
        allowed_range=rule.ranges.get(level) if used_urgency is not None else None,
    )


def due_at(
    *,
    channel: str,
    urgency: str | None,
    received_at: datetime,
    stage: str,
    stage_started_at: datetime | None = None,
    extension_days: int = 0,
    limits: TimeLimits | None = None,
    calendar: WorkCalendar | None = None,
) -> Deadline:
    """When ``stage`` of a case from ``channel`` is due.

    Stages: ``acceptance`` and ``conclusion`` (and, for 信访 channels, ``review_request``,
    ``review_answer``, ``re_review_request``, ``re_review_answer``). The clock of a stage starts
    at receipt (``received_at``) or at another event named in the data (acceptance for the 信访
    conclusion stage, the reply for a review request, ...); for the latter ``stage_started_at``
    must be given. ``extension_days`` (the case's one granted extension) are added as calendar
    days after the limit itself has been counted.
    """
    limit = time_limit(channel=channel, stage=stage, urgency=urgency, limits=limits)
    if limit.clock_starts == "received":
        clock_start = received_at
        clock_field = "received_at"
    elif stage_started_at is None:
        raise DeadlineError(
            "stage_started_at",
            f"required for stage {stage!r} on channel {channel!r}: its clock starts at {limit.clock_starts}",
        )
    else:
        clock_start = stage_started_at
        clock_field = "stage_started_at"
    to_local(received_at, field="received_at")
    to_local(clock_start, field=clock_field)

    limits = limits or load_time_limits()
    if not isinstance(extension_days, int) or isinstance(extension_days, bool) or extension_days < 0:
        raise DeadlineError("extension_days", "must be a whole number, zero or more")
    if extension_days > limits.extension_max_days:
        raise DeadlineError("extension_days", f"at most {limits.extension_max_days} days may be added")

    if limit.unit is Unit.working_days:
        due = add_working_days(clock_start, limit.days, calendar=calendar)
    else:
        due = add_calendar_days(clock_start, limit.days)
    if extension_days:
        due = Deadline.at(due + timedelta(days=extension_days), calendar_fallback=due.calendar_fallback)
    return due


def first_due_at(*, channel: str, urgency: str | None, received_at: datetime,
                 calendar: WorkCalendar | None = None) -> Deadline:
    """The first deadline of a new case: acceptance where the channel has one, else conclusion."""
    try:
        return due_at(channel=channel, urgency=urgency, received_at=received_at, stage="acceptance",
                      calendar=calendar)
    except DeadlineError:
        return due_at(channel=channel, urgency=urgency, received_at=received_at, stage="conclusion",
                      stage_started_at=received_at, calendar=calendar)


def is_estimate(start: datetime | None, due: datetime | None, *, calendar: WorkCalendar | None = None,
                channel: str | None = None, limits: TimeLimits | None = None) -> bool:
    """Whether a deadline counted from ``start`` to ``due`` ran through a year with no official
    schedule (none loaded, none in the chinesecalendar package), so its working days were estimated
    from the rule-based festival dates or Monday to Friday (``calendar_fallback``). A deadline of a
    ``channel`` whose limits are calendar days depends on no holiday schedule and is never an estimate."""
    if start is None or due is None:
        return False
    if channel is not None:
        limits = limits or load_time_limits()
        set_name = limits.channels.get(channel)
        if set_name is not None and limits.limit_sets[set_name].unit is Unit.calendar_days:
            return False
    first, last = to_local(start).year, to_local(due).year
    return any(calendar_source(year, calendar) not in OFFICIAL_SOURCES
               for year in range(first, max(first, last) + 1))
