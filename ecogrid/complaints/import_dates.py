"""The ``received_at`` column of an export, read a column at a time.

With a configured format (a ``strptime`` format, or ``excel`` for serial day numbers) every value must
match it. Without one, the common forms are recognised: ISO 8601 (``2024-07-19 10:23[:45][+08:00]``),
``YYYY/M/D H:MM[:SS]``, ``YYYY年M月D日 H时M分[S秒]`` (or ``H:MM``), ``M/D/YYYY h:MM:SS AM`` or
``D/M/YYYY H:MM`` and Excel serial dates (``45492.4347``). The order of day and month in the last form
is never guessed: it is taken from the file, when some value has a number above 12 in one of the two
places and none in the other; a value such as ``03/04/2024`` in a file that does not settle the order
is refused, and so is every such value when the file shows both orders.

Each distinct text is parsed once (exports repeat times, and a day's file has at most 86,400 distinct
seconds), and the form that read the previous value is tried first, so a file in one form pays for one
attempt per distinct value. Times without an offset are wall-clock time in the mapping's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ecogrid.complaints import intake
from ecogrid.core.errors import InvalidInput

EXCEL = "excel"
_EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (its leap-year bug included)
# Serial days from 1954 to 2119: wide enough for any complaint, and never a bare four-digit year.
_EXCEL_MIN, _EXCEL_MAX = 20_000.0, 80_000.0

_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?")
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*"
                      r"(?:(\d{1,2})\s*[时點点:：]\s*(\d{1,2})\s*分?\s*(?:[:：]?\s*(\d{1,2})\s*秒?)?)?")
_DAY_MONTH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"
                        r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")

NOT_A_DATE = "not a date and time in a recognised form (set received_at_format)"
AMBIGUOUS = ("day and month order is ambiguous and the file does not settle it (set received_at_format, "
             "e.g. %m/%d/%Y %H:%M or %d/%m/%Y %H:%M)")
CONFLICTING = "the file has dates with the day first and others with the month first (set received_at_format)"


class _Refused(ValueError):
    pass


def _build(year: str, month: str, day: str, hour: str | None, minute: str | None, second: str | None,
           fraction: str | None = None) -> datetime:
    micro = int((fraction or "0").ljust(6, "0")) if fraction else 0
    return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro)


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


class _YearMonthDay:
    """``YYYY/M/D H:MM[:SS]``: the date part is matched once per distinct day (a day's export has one
    or two) and the time of day split on colons, which costs half the regular expression's time."""

    def __init__(self) -> None:
        self._days: dict[str, tuple[int, int, int]] = {}

    def __call__(self, text: str) -> datetime:
        day_text, _, clock = text.partition(" ")
        day = self._days.get(day_text)
        if day is None:
            m = _YMD.fullmatch(day_text)
            if m is None or m.group(4) is not None:
                return self._slow(text)
            day = self._days[day_text] = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if not clock:
            return datetime(*day)
        parts = clock.split(":")
        if not 2 <= len(parts) <= 3 or not clock.replace(":", "").isdigit() or max(map(len, parts)) > 2:
            return self._slow(text)
        hour, minute, *second = (int(p) for p in parts)
        return datetime(*day, hour, minute, second[0] if second else 0)

    @staticmethod
    def _slow(text: str) -> datetime:
        m = _YMD.fullmatch(text)
        if m is None:
            raise ValueError(text)
        return _build(*m.groups())


def _chinese(text: str) -> datetime:
    m = _CHINESE.fullmatch(text)
    if m is None:
        raise ValueError(text)
    return _build(*m.groups())


def _serial(text: str) -> datetime:
    if _SERIAL.fullmatch(text) is None:
        raise ValueError(text)
    days = float(text)
    if not _EXCEL_MIN <= days <= _EXCEL_MAX:
        raise ValueError(text)
    # Serial times are fractions of a day: rounded to the second, as Excel shows them.
    return _EXCEL_EPOCH + timedelta(seconds=round(days * 86_400))


def _day_month_order(texts: set[str]) -> str | None:
    """``dmy``, ``mdy``, None (not settled) or ``both`` (conflicting), from every value of that form."""
    day_first = month_first = False
    for text in texts:
        m = _DAY_MONTH.fullmatch(text)
        if m is not None:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
    if day_first and month_first:
        return "both"
    return "dmy" if day_first else "mdy" if month_first else None


class _DayMonth:
    """``D/M/YYYY`` or ``M/D/YYYY``, in the order the whole file settles (worked out on first use)."""

    def __init__(self, distinct: set[str]) -> None:
        self._distinct = distinct
        self._order: str | None = None
        self._settled = False

    def __call__(self, text: str) -> datetime:
        m = _DAY_MONTH.fullmatch(text)
        if m is None:
            raise ValueError(text)
        if not self._settled:
            self._order, self._settled = _day_month_order(self._distinct), True
        a, b, year, hour, minute, second, fraction, half = m.groups()
        first, second_number = int(a), int(b)
        if first > 12 or first == second_number:
            day, month = a, b
        elif second_number > 12:
            day, month = b, a
        elif self._order == "dmy":
            day, month = a, b
        elif self._order == "mdy":
            day, month = b, a
        else:
            raise _Refused(CONFLICTING if self._order == "both" else AMBIGUOUS)
        h = int(hour or 0)
        if half:
            if not 1 <= h <= 12:
                raise ValueError(text)
            h = h % 12 + (12 if half in "Pp" else 0)
        return _build(year, month, day, str(h), minute, second, fraction)


class DateColumn:
    """Parses the received_at texts of one file; ``parse`` returns the UTC times (None where refused)
    and the reason of each refused value by place."""

    def __init__(self, *, received_at_format: str | None, zone: ZoneInfo, now: datetime | None = None) -> None:
        self.format = received_at_format
        self.zone = zone
        self.now = now
        # Per local hour: the zone's offset through it, or False when it changes within the hour.
        self._offsets: dict[tuple[int, int, int, int], timedelta | Literal[False]] = {}

    def _to_utc(self, naive: datetime) -> datetime:
        """Wall-clock time in the zone as UTC. The offset is looked up once per local hour when the zone
        keeps one offset through that hour (all but the hours of a clock change, which are looked up
        value by value): the zone's rules cost more than the parsing."""
        key = (naive.year, naive.month, naive.day, naive.hour)
        offset = self._offsets.get(key)
        if offset is None:
            hour = datetime(*key)
            start = self.zone.utcoffset(hour)
            end = self.zone.utcoffset(hour + timedelta(minutes=59, seconds=59, microseconds=999_999))
            offset = self._offsets[key] = start if start is not None and start == end else False
        if offset is False:
            return naive.replace(tzinfo=self.zone)
        return (naive - offset).replace(tzinfo=UTC)

    def parse(self, texts: list[str]) -> tuple[list[datetime | None], dict[int, str]]:
        distinct = set(texts)
        distinct.discard("")
        parsers = self._parsers(distinct)
        cache: dict[str, datetime | str] = {}
        values: list[datetime | None] = [None] * len(texts)
        refused: dict[int, str] = {}
        last = 0
        now = self.now or datetime.now(UTC)  # one "now" for the whole file, as for one request
        for i, text in enumerate(texts):
            if not text:
                continue
            hit = cache.get(text)
            if hit is None:
                hit, last = self._one(text, parsers, last, now)
                cache[text] = hit
            if isinstance(hit, str):
                refused[i] = hit
            else:
                values[i] = hit
        return values, refused

    def _parsers(self, distinct: set[str]) -> list[Callable[[str], datetime]]:
        if self.format == EXCEL:
            return [_serial]
        if self.format:
            fmt = self.format
            return [lambda text: datetime.strptime(text, fmt)]
        return [_iso, _YearMonthDay(), _chinese, _serial, _DayMonth(distinct)]

    def _one(self, text: str, parsers: list[Callable[[str], datetime]], last: int,
             now: datetime) -> tuple[datetime | str, int]:
        """The time of one distinct text (or the reason it is refused) and the parser that read it."""
        order = range(len(parsers))
        try:
            moment, k = parsers[last](text), last
        except _Refused as exc:
            return str(exc), last
        except (ValueError, OverflowError):
            for k in order:
                if k == last:
                    continue
                try:
                    moment = parsers[k](text)
                    break
                except _Refused as exc:
                    return str(exc), last
                except (ValueError, OverflowError):
                    continue
            else:
                if self.format:
                    return f"does not match the received_at_format {self.format!r}", last
                return NOT_A_DATE, last
        if moment.tzinfo is None:
            moment = self._to_utc(moment)
        try:
            return intake.normalise_received_at(moment, now=now), k
        except InvalidInput as exc:
            return exc.message, k
