"""Typed request parameters shared by every router: ids within their column's range, bounded offsets.

The bounds are in the types, so they show in the OpenAPI document and a value out of range is a 422
naming the parameter (FastAPI's validation shape) before anything reaches PostgreSQL.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from fastapi import Query

from ecogrid.ids import BIGINT_MAX, INT4_MAX

# An id of an ``integer`` (int4) key: users, zones, sources, cases, inspections, photos, patrol plans.
Id = Annotated[int, Interval(ge=1, le=INT4_MAX)]
# An id of a ``BigInteger`` key: complaints.
BigId = Annotated[int, Interval(ge=1, le=BIGINT_MAX)]
# Paging further than this is never a person reading a list; it is refused rather than counted through.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
