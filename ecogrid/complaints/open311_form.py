"""Reading a POST requests body: raw UTF-8 as well as percent-encoded, into :class:`ServiceRequestForm`.

GeoReport v2 sends ``application/x-www-form-urlencoded; charset=utf-8`` and says text from clients is
UTF-8. Some hotline systems write the text as raw bytes instead of percent-encoding them; a form
parser that reads the body as Latin-1 (as Starlette's does) then stores 广场舞 as mojibake. So the body
is rewritten first: each name and value is unquoted to bytes, decoded strictly in the declared charset
(UTF-8 when none is named), and percent-encoded again as UTF-8. Bytes that are not valid text are
refused naming the field, never replaced.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from urllib.parse import quote_plus, unquote_to_bytes

from ecogrid.complaints.open311_schemas import ServiceRequestForm
from ecogrid.core.errors import InvalidInput

FORM_TYPE = "application/x-www-form-urlencoded"
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def is_form(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == FORM_TYPE


def charset_of(content_type: str) -> str:
    match = _CHARSET.search(content_type)
    name = match.group(1) if match else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(f"unknown charset {name!r} in Content-Type", field="Content-Type") from None


def _unquote(part: bytes, charset: str, *, field: str) -> str:
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode(charset)
    except UnicodeDecodeError:
        raise InvalidInput(f"{field} is not valid {charset} text", field=field) from None


def normalise(body: bytes, content_type: str) -> bytes:
    """The same form, percent-encoded UTF-8 throughout, so that any form parser reads it right."""
    charset = charset_of(content_type)
    pairs = []
    for pair in body.split(b"&"):
        if not pair:
            continue
        raw_name, sep, raw_value = pair.partition(b"=")
        name = _unquote(raw_name, charset, field="a field name")
        value = _unquote(raw_value, charset, field=name)
        pairs.append(quote_plus(name) + ("=" + quote_plus(value) if sep else ""))
    return "&".join(pairs).encode("ascii")


def read(items: Iterable[tuple[str, str]]) -> ServiceRequestForm:
    """The spec's fields from a parsed form; ``attribute[code]`` and ``attribute[code][]`` gathered by code."""
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in items:
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            if value != "":
                attributes.setdefault(match.group(1), []).append(value)
        elif value != "" and name in ServiceRequestForm.model_fields and name != "attributes":
            if name in fields and fields[name] != value:
                raise InvalidInput(f"{name} is given twice with different values", field=name)
            fields[name] = value
    return ServiceRequestForm(**fields, attributes=attributes)
