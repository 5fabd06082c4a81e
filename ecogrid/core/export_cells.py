"""One rule for every cell written to a CSV or XLSX export (ledger, patrol routes, import error reports).

- Formula injection: a spreadsheet reads a text cell starting with ``= + - @``, tab or carriage return
  as a formula (``=HYPERLINK(...)`` in a complainant's name would become a live link). Such text is
  prefixed with a single quote, as OWASP recommends, so it shows as the text it is. Numbers are left
  alone: a negative longitude is a number, not a formula.
- Characters XLSX cannot hold: XML 1.0 forbids most C0 control characters and openpyxl refuses them
  (``IllegalCharacterError``); lone surrogates cannot be encoded at all. Intake refuses both today,
  but rows stored earlier may still hold them, so they are replaced here and an export never fails.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def export_cell(value: Any) -> Any:
    """The value as it may be written to a CSV or XLSX cell; only text is changed."""
    if not isinstance(value, str):
        return value
    text = _LONE_SURROGATE.sub(REPLACEMENT, ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [export_cell(v) for v in values]
