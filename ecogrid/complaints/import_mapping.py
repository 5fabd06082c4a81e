"""What one hotline platform's export means: the mapping file a bureau keeps and reuses every day.

A mapping file (JSON, or YAML when the file ends in ``.yaml``/``.yml``) says everything about one
platform's export::

    {"fields":   {"external_ref": "Unique Key", "received_at": "Created Date",
                  "description": ["Complaint Type", "Descriptor"], ...},
     "values":   {"category": {"Noise - Residential": "noise_social", "噪声污染": "noise_social", "*": "other"},
                  "kind": {...}, "channel": {...}},
     "defaults": {"kind": "complaint", "channel": "hotline_12345", "crs": "gcj02"},
     "received_at_format": "%m/%d/%Y %I:%M:%S %p", "timezone": "Asia/Shanghai", "encoding": "gbk",
     "sheet": "工单"}

A value mapped to ``null`` marks rows that are not the bureau's business (a city 311 feed's parking
complaints): they are skipped and counted, not refused. A field read from several columns joins their
non-blank values with `` / ``. The older flat form ``{field: column}`` is still read as ``fields``.
Everything is checked when the file is loaded (unknown keys, fields, codes, time zones and encodings),
so a typo in the mapping is one clear error instead of thousands of refused rows. Nothing here touches a database.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ecogrid.complaints.intake import URGENCIES
from ecogrid.core.errors import InvalidInput
from ecogrid.core.time import BEIJING
from ecogrid.core.vocabulary import Category, Channel, Kind
from geo import coords

FIELDS = ("channel", "kind", "category", "description", "received_at", "external_ref", "address",
          "complainant_name", "complainant_phone", "lon", "lat", "crs", "urgency")
# The fields whose text must be one of ecogrid's codes, and so may be translated by a value map.
CODES: dict[str, frozenset[str]] = {
    "channel": frozenset(c.value for c in Channel),
    "kind": frozenset(k.value for k in Kind),
    "category": frozenset(c.value for c in Category),
    "urgency": frozenset(URGENCIES),
    "crs": frozenset(coords.CRS_NAMES),
}
FALLBACK = "*"  # the value-map key for "any value not listed"
JOINER = " / "
_KEYS = ("fields", "values", "defaults", "received_at_format", "timezone", "encoding", "sheet")


@dataclass(frozen=True)
class ImportMapping:
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> column(s)
    # field -> {export's value: code, or None for "not ours: skip the row"}
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)  # field -> value for blank cells
    received_at_format: str | None = None  # strptime format, or "excel" for serial day numbers
    timezone: str = BEIJING.key  # of times written without an offset
    encoding: str | None = None  # of a CSV file; detected when None
    sheet: str | None = None  # of an .xlsx file; the first sheet when None

    def columns(self, name: str) -> tuple[str, ...]:
        """The export's column(s) of a field: its own name when the mapping does not say."""
        return self.fields.get(name, (name,))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_file(path: Path) -> dict[str, Any]:
    """A JSON or YAML object from a file, with a clear error naming the file."""
    return parse_document(Path(path).read_bytes(), name=Path(path).name)


def parse_document(data: bytes, *, name: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name} is not UTF-8 text", field="mapping") from exc
    try:
        if name.lower().endswith((".yaml", ".yml")):
            import yaml

            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError: both mean "not readable"
        raise InvalidInput(f"{name} cannot be read: {exc}", field="mapping") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{name} must hold an object", field="mapping")
    return document


def from_document(document: Mapping[str, Any]) -> ImportMapping:
    """An ImportMapping from a parsed mapping file (the sectioned form or the older flat one)."""
    if document and not set(document) & set(_KEYS):
        document = {"fields": document}
    unknown = set(document) - set(_KEYS)
    if unknown:
        raise InvalidInput(f"unknown key(s) in mapping: {', '.join(sorted(unknown))}", field="mapping")
    fields = {name: _columns(name, columns) for name, columns in _object(document, "fields").items()}
    values = {name: _value_map(name, table) for name, table in _object(document, "values").items()}
    defaults = {name: _text(f"defaults.{name}", value) for name, value in _object(document, "defaults").items()}
    mapping = ImportMapping(fields=fields, values=values, defaults=defaults)
    return override(mapping, received_at_format=document.get("received_at_format"),
                    timezone=document.get("timezone"), encoding=document.get("encoding"),
                    sheet=document.get("sheet"))


def load(*, mapping_file: Path | None = None, pairs: Iterable[str] = (), value_maps: Iterable[str] = (),
         received_at_format: str | None = None, timezone: str | None = None, encoding: str | None = None,
         sheet: str | None = None, defaults: Mapping[str, str | None] | None = None) -> ImportMapping:
    """The mapping file (if any) with single parts overridden: ``field=column`` pairs, ``field=FILE``
    value maps (a JSON/YAML object), the date format, time zone, encoding, sheet and defaults."""
    mapping = from_document(load_file(mapping_file)) if mapping_file else ImportMapping()
    fields = dict(mapping.fields)
    for pair in pairs:
        name, column = _pair(pair, "map")
        fields[name] = _columns(name, column)
    values = dict(mapping.values)
    for pair in value_maps:
        name, path = _pair(pair, "value-map")
        values[name] = _value_map(name, load_file(Path(path)))
    mapping = with_defaults(replace(mapping, fields=fields, values=values), defaults or {})
    return override(mapping, received_at_format=received_at_format, timezone=timezone, encoding=encoding,
                    sheet=sheet)


def override(mapping: ImportMapping, *, received_at_format: Any = None, timezone: Any = None,
             encoding: Any = None, sheet: Any = None) -> ImportMapping:
    """The mapping with the given (non-empty) scalar parts replaced, each checked."""
    changes: dict[str, Any] = {}
    if received_at_format:
        changes["received_at_format"] = _text("received_at_format", received_at_format)
    if timezone:
        name = _text("timezone", timezone)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)",
                               field="timezone") from exc
        changes["timezone"] = name
    if encoding:
        name = _text("encoding", encoding)
        try:
            codecs.lookup(name)
        except LookupError as exc:
            raise InvalidInput(f"unknown encoding {name!r}", field="encoding") from exc
        changes["encoding"] = name
    if sheet:
        changes["sheet"] = _text("sheet", sheet)
    mapping = replace(mapping, **changes)
    _check_defaults(mapping.defaults)
    return mapping


def with_defaults(mapping: ImportMapping, defaults: Mapping[str, str | None]) -> ImportMapping:
    """The mapping with the given (non-empty) defaults for blank cells added or replaced."""
    unknown = set(defaults) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) in defaults: {', '.join(sorted(unknown))}", field="mapping")
    merged = dict(mapping.defaults)
    merged.update({name: _text(f"defaults.{name}", value) for name, value in defaults.items() if value})
    _check_defaults(merged)
    return replace(mapping, defaults=merged)


def from_pairs(mapping: Mapping[str, str]) -> ImportMapping:
    """The plain ``{field: column}`` form the import took before mapping files had sections."""
    return from_document({"fields": dict(mapping)} if mapping else {})


def _pair(pair: str, option: str) -> tuple[str, str]:
    name, sep, rest = pair.partition("=")
    if not sep or not name.strip():
        raise InvalidInput(f"{option} {pair!r} is not field=...", field=option)
    return name.strip(), rest.strip()


def _object(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{key} must be an object", field="mapping")
    unknown = set(value) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) in {key}: {', '.join(sorted(map(str, unknown)))}", field="mapping")
    return value


def _text(where: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{where} must be text", field="mapping")
    return str(value).strip()


def _columns(name: str, columns: Any) -> tuple[str, ...]:
    if isinstance(columns, list | tuple):
        out = tuple(_text(f"fields.{name}", c) for c in columns)
    else:
        out = (_text(f"fields.{name}", columns),)
    if not out or not all(out):
        raise InvalidInput(f"fields.{name} names no column", field="mapping")
    return out


def _value_map(name: str, table: Any) -> dict[str, str | None]:
    if name not in CODES:
        raise InvalidInput(f"values.{name}: only {', '.join(CODES)} take a value map", field="mapping")
    if not isinstance(table, dict):
        raise InvalidInput(f"values.{name} must be an object {{export's value: code}}", field="mapping")
    # None (JSON null): rows with that value are not the bureau's business and are skipped, not refused.
    out = {_text(f"values.{name}", k): None if v is None else _text(f"values.{name}", v) for k, v in table.items()}
    wrong = sorted({v for v in out.values() if v is not None and v not in CODES[name]})
    if wrong:
        raise InvalidInput(f"values.{name} maps to unknown {name} code(s): {', '.join(map(repr, wrong))}; "
                           f"expected one of {', '.join(sorted(CODES[name]))}", field="mapping")
    return out


def _check_defaults(defaults: Mapping[str, str]) -> None:
    for name, value in defaults.items():
        # A default coordinate system may be an alias (EPSG:4490); the import normalises it.
        if name in CODES and name != "crs" and value not in CODES[name]:
            raise InvalidInput(f"defaults.{name}: unknown {name} {value!r}", field="mapping")
