"""Typed request parameters shared by every router: ids within their column's range, bounded offsets,
dates within the years the service handles (``ecogrid.core.value_ranges``), moments with their offset.

The bounds are in the types, so they show in the OpenAPI document and a value out of range is a 422
naming the parameter (FastAPI's validation shape) before anything reaches PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar

from annotated_types import Interval
from fastapi import Query
from pydantic import AfterValidator

from ecogrid.core.time import as_aware
from ecogrid.core.value_ranges import BIGINT_MAX, FIRST_YEAR, INT4_MAX, LAST_YEAR, date_in_range

# An id of an ``integer`` (int4) key: users, zones, sources, cases, inspections, photos, patrol plans.
Id = Annotated[int, Interval(ge=1, le=INT4_MAX)]
# An id of a ``BigInteger`` key: complaints.
BigId = Annotated[int, Interval(ge=1, le=BIGINT_MAX)]
# Paging further than this is never a person reading a list; it is refused rather than counted through.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

When = TypeVar("When", date, datetime)


def _in_years(value: When) -> When:
    if not date_in_range(value):
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Day = Annotated[date, AfterValidator(_in_years)]
# A moment as the API reads it: a bare time is Beijing time (``ecogrid.core.time``), so nothing past the
# boundary sees a time without its offset.
Moment = Annotated[datetime, AfterValidator(_in_years), AfterValidator(as_aware)]
