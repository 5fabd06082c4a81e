"""How long a complaint's text fields may be, in characters: one definition read by the API schema
(``schemas.ComplaintCreate``), intake (the API, Open311) and the bulk import, so every surface refuses
the same value and names the same field.

The columns are at least this wide (``ecogrid.core.models.Complaint``); the limits are what a bureau
accepts, not what the database could hold.
"""

from __future__ import annotations

from typing import Final

DESCRIPTION: Final = 4000
ADDRESS: Final = 500
COMPLAINANT_NAME: Final = 100
COMPLAINANT_PHONE: Final = 32
EXTERNAL_REF: Final = 128

MAX_LENGTHS: Final[dict[str, int]] = {
    "description": DESCRIPTION, "address": ADDRESS, "complainant_name": COMPLAINANT_NAME,
    "complainant_phone": COMPLAINANT_PHONE, "external_ref": EXTERNAL_REF,
}
