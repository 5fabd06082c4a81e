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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ecogrid import intake
from ecogrid.errors import InvalidInput

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


def _ymd(text: str) -> datetime:
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


def _day_month(order: str | None) -> Callable[[str], datetime]:
    def parse(text: str) -> datetime:
        m = _DAY_MONTH.fullmatch(text)
        if m is None:
            raise ValueError(text)
        a, b, year, hour, minute, second, fraction, half = m.groups()
        first, second_number = int(a), int(b)
        if first > 12 or first == second_number:
            day, month = a, b
        elif second_number > 12:
            day, month = b, a
        elif order == "dmy":
            day, month = a, b
        elif order == "mdy":
            day, month = b, a
        else:
            raise _Refused(CONFLICTING if order == "both" else AMBIGUOUS)
        h = int(hour or 0)
        if half:
            if not 1 <= h <= 12:
                raise ValueError(text)
            h = h % 12 + (12 if half in "Pp" else 0)
        return _build(year, month, day, str(h), minute, second, fraction)
    return parse


class DateColumn:
    """Parses the received_at texts of one file; ``parse`` returns the UTC times (None where refused)
    and the reason of each refused value by place."""

    def __init__(self, *, received_at_format: str | None, zone: ZoneInfo, now: datetime | None = None) -> None:
        self.format = received_at_format
        self.zone = zone
        self.now = now

    def parse(self, texts: list[str]) -> tuple[list[datetime | None], dict[int, str]]:
        distinct = set(texts)
        distinct.discard("")
        parsers = self._parsers(distinct)
        cache: dict[str, datetime | str] = {}
        values: list[datetime | None] = [None] * len(texts)
        refused: dict[int, str] = {}
        last = 0
        for i, text in enumerate(texts):
            if not text:
                continue
            hit = cache.get(text)
            if hit is None:
                hit, last = self._one(text, parsers, last)
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
        parsers: list[Callable[[str], datetime]] = [_iso, _ymd, _chinese, _serial]
        if any(_DAY_MONTH.fullmatch(t) for t in distinct):
            parsers.append(_day_month(_day_month_order(distinct)))
        return parsers

    def _one(self, text: str, parsers: list[Callable[[str], datetime]], last: int) -> tuple[datetime | str, int]:
        for k in (last, *(k for k in range(len(parsers)) if k != last)):
            try:
                moment = parsers[k](text)
            except _Refused as exc:
                return str(exc), last
            except (ValueError, OverflowError):
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.zone)
            try:
                return intake.normalise_received_at(moment, now=self.now), k
            except InvalidInput as exc:
                return exc.message, k
        if self.format:
            return f"does not match the received_at_format {self.format!r}", last
        return NOT_A_DATE, last
