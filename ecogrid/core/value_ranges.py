"""Ranges of accepted values, one definition for the API's parameter types and for values parsed from text.

- Ids: serial keys are PostgreSQL ``integer`` (int4) unless the model says ``BigInteger``; a value
  outside the column's range is refused, never sent to the database (which would fail the statement).
- Dates: periods are compared with the one before them (a year earlier, the same length earlier) and
  day ends are the next midnight; near year 1 or 9999 that arithmetic leaves what Python can hold.
  No complaint is dated outside these years, so such a date is an input error.
"""

from __future__ import annotations

from datetime import date, datetime

from ecogrid.core.errors import InvalidInput

INT4_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_id(value: int | str, *, field: str, maximum: int = INT4_MAX) -> int:
    """``value`` as an id between 1 and ``maximum``; InvalidInput naming ``field`` otherwise."""
    try:
        ident = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be an id", field=field) from None
    if not 1 <= ident <= maximum:
        raise InvalidInput(f"{field} must be an id between 1 and {maximum}", field=field)
    return ident


def date_in_range(value: date | datetime) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


def check_date(value: date | datetime | None, *, field: str) -> None:
    if value is not None and not date_in_range(value):
        raise InvalidInput(f"{field} must lie between the years {FIRST_YEAR} and {LAST_YEAR}", field=field)
