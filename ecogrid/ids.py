"""The range of row ids, one definition for the API's parameter types and for ids parsed from text.

Serial keys are PostgreSQL ``integer`` (int4) unless the model says ``BigInteger``: a value outside
the column's range is refused here, never sent to the database (which would fail the statement).
"""

from __future__ import annotations

from ecogrid.errors import InvalidInput

INT4_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def parse_id(value: int | str, *, field: str, maximum: int = INT4_MAX) -> int:
    """``value`` as an id between 1 and ``maximum``; InvalidInput naming ``field`` otherwise."""
    try:
        ident = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be an id", field=field) from None
    if not 1 <= ident <= maximum:
        raise InvalidInput(f"{field} must be an id between 1 and {maximum}", field=field)
    return ident
