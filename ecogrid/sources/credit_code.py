"""Unified social credit codes (统一社会信用代码, GB 32100-2015), with the embedded organisation
code (GB 11714-1997) check.

Layout: 1 registration authority, 1 entity type, 6 administrative division code, 9 organisation
code (8 + its own check character), 1 check character over the first 17.
"""

from __future__ import annotations

from ecogrid.core.errors import InvalidInput

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    # GB 11714 values: digits as themselves, letters A=10 .. Z=35.
    total = sum(int(ch, 36) * w for ch, w in zip(first8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate(code: str, *, field: str = "credit_code") -> str:
    """The code, upper-cased and stripped, or InvalidInput saying what is wrong with it."""
    normalised = (code or "").strip().upper()
    if len(normalised) != 18:
        raise InvalidInput(f"credit code must have 18 characters, got {len(normalised)}", field=field)
    bad = sorted({ch for ch in normalised if ch not in CHARSET})
    if bad:
        raise InvalidInput(f"credit code has characters not allowed: {''.join(bad)}", field=field)
    expected = check_character(normalised[:17])
    if normalised[17] != expected:
        raise InvalidInput(f"credit code check character is {normalised[17]}, expected {expected}", field=field)
    return normalised


def make(*, authority: str = "9", entity_type: str = "1", division: str = "370200", org8: str) -> str:
    """Build a valid code from its parts (used by the demo generator and tests)."""
    org = org8 + org_check_character(org8)
    first17 = authority + entity_type + division + org
    return first17 + check_character(first17)
