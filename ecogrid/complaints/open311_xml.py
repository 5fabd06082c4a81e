"""Open311's XML, built with ElementTree from the same data as its JSON (the spec's Spark convention).

A list becomes an element holding one child per item, named by the list's singular
(``services``/``service``, ``attributes``/``attribute``, and ``service_requests``/``request`` as the
spec has it); ``None`` becomes an empty element, booleans ``true``/``false``. Every text goes in as
element text, escaped by ElementTree; characters XML 1.0 cannot carry at all (C0 controls, lone
surrogates, U+FFFE/U+FFFF) become U+FFFD, so no stored text can make the document unreadable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

CONTENT_TYPE = "text/xml; charset=utf-8"
_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
_SINGULAR = {"service_requests": "request"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def singular(name: str) -> str:
    return _SINGULAR.get(name, name.removesuffix("s"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, singular(element.tag)), item)
    else:
        element.text = _text(value)


def document(root: str, data: dict[str, Any] | list[Any]) -> bytes:
    """The XML document of ``data`` under the root element ``root``, with the declaration the spec asks for."""
    element = ET.Element(root)
    _fill(element, data)
    return _DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)
