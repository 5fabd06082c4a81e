"""What user text may contain: one rule for every way text comes in (API, Open311, CSV import).

Refused: C0 control characters other than tab, line feed and carriage return (U+0000 among them:
PostgreSQL text cannot hold it), DEL and the C1 controls (U+007F-U+009F; no hotline, form or
spreadsheet writes them on purpose), and lone UTF-16 surrogates (U+D800-U+DFFF, which cannot be
encoded as UTF-8 and so could be neither stored nor sent back). Everything else, Chinese included,
is plain text.
"""

from __future__ import annotations

import re

from ecogrid.core.errors import InvalidInput

UNSAFE_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unsafe_character(value: str) -> str | None:
    """The first refused character of ``value`` as ``U+XXXX``, or None when the text is clean."""
    found = UNSAFE_CHARACTER.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(value: str | None, *, field: str) -> None:
    """Raise InvalidInput naming ``field`` when ``value`` holds a refused character."""
    if value is None:
        return
    bad = unsafe_character(value)
    if bad:
        raise InvalidInput(f"{field} contains a control character ({bad})", field=field)
