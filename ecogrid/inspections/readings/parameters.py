"""The catalogue of monitoring parameters and the conversion of a reading to its canonical unit.

The catalogue (``data/parameters.json``) names each parameter's canonical unit and a plausible
range; units convert within one dimension (ug/m3 <-> mg/m3, m -> cm, km/h -> m/s, ...).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PARAMETERS_PATH = Path(__file__).parent / "data" / "parameters.json"


class ReadingError(ValueError):
    """A reading or its judging context cannot be used; ``field`` names what is wrong.

    ``field`` is "parameter", "unit" or "value" for the reading itself, or the name of the
    offending context attribute (e.g. "noise_class", "measured_at", "averaging").
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Unit:
    name: str
    dimension: str
    factor: float  # value_in_dimension_base = value * factor
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    code: str
    label: str
    label_zh: str
    unit: str
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Catalogue:
    units: dict[str, Unit]
    parameters: dict[str, Parameter]
    alias_index: dict[str, str]  # folded alias -> unit name

    def accepted_units(self, parameter: str) -> tuple[str, ...]:
        """Units a value of ``parameter`` may be given in (canonical first)."""
        canonical = self.units[self.parameters[parameter].unit]
        others = sorted(
            u.name for u in self.units.values() if u.dimension == canonical.dimension and u is not canonical
        )
        return (canonical.name, *others)

    def unit_name(self, unit: str) -> str | None:
        """The catalogue name of a unit spelled ``unit`` (any listed alias), or None."""
        return self.alias_index.get(_fold(unit))


def _fold(unit: str) -> str:
    # Field forms and spreadsheets spell units loosely: case, spaces, micro sign, superscript 3.
    return "".join(unit.split()).lower().replace("µ", "u").replace("μ", "u").replace("³", "3")


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load the parameter catalogue from ``path`` (default: the packaged data file)."""
    if path is None:
        return _default_catalogue()
    return _parse_catalogue(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    return _parse_catalogue(json.loads(DEFAULT_PARAMETERS_PATH.read_text(encoding="utf-8")))


def _parse_catalogue(raw: dict) -> Catalogue:
    units: dict[str, Unit] = {}
    alias_index: dict[str, str] = {}
    for name, spec in raw["units"].items():
        unit = Unit(name, spec["dimension"], float(spec["factor"]), tuple(spec["aliases"]))
        units[name] = unit
        for alias in (name, *unit.aliases):
            folded = _fold(alias)
            if alias_index.get(folded, name) != name:
                raise ValueError(f"unit alias {alias!r} is used by both {alias_index[folded]} and {name}")
            alias_index[folded] = name
    parameters: dict[str, Parameter] = {}
    for code, spec in raw["parameters"].items():
        if spec["unit"] not in units:
            raise ValueError(f"parameter {code} has unknown unit {spec['unit']!r}")
        parameters[code] = Parameter(
            code=code,
            label=spec["label"],
            label_zh=spec["label_zh"],
            unit=spec["unit"],
            minimum=float(spec["min"]),
            maximum=float(spec["max"]),
        )
    return Catalogue(units=units, parameters=parameters, alias_index=alias_index)


def get_parameter(parameter: str, *, catalogue: Catalogue | None = None) -> Parameter:
    """The catalogue entry of ``parameter``, or ReadingError(field="parameter")."""
    catalogue = catalogue or load_catalogue()
    try:
        return catalogue.parameters[parameter]
    except (KeyError, TypeError):
        known = ", ".join(sorted(catalogue.parameters))
        raise ReadingError("parameter", f"unknown parameter {parameter!r}; known: {known}") from None


def normalise_reading(
    parameter: str, value: float, unit: str | None, *, catalogue: Catalogue | None = None
) -> float:
    """Return ``value`` converted to the canonical unit of ``parameter``.

    ``unit`` None means the canonical unit. Raises ReadingError with ``field`` "parameter"
    (unknown parameter), "unit" (unknown or not convertible) or "value" (not a finite number,
    or outside the plausible range after conversion).
    """
    catalogue = catalogue or load_catalogue()
    entry = get_parameter(parameter, catalogue=catalogue)
    canonical = catalogue.units[entry.unit]
    if unit is None:
        given = canonical
    else:
        if not isinstance(unit, str):
            raise ReadingError("unit", f"unit must be text, got {unit!r}")
        name = catalogue.unit_name(unit)
        if name is None:
            accepted = ", ".join(catalogue.accepted_units(parameter))
            raise ReadingError("unit", f"unknown unit {unit!r} for {parameter}; accepted: {accepted}")
        given = catalogue.units[name]
        if given.dimension != canonical.dimension:
            accepted = ", ".join(catalogue.accepted_units(parameter))
            raise ReadingError(
                "unit",
                f"{unit!r} cannot be converted to {canonical.name} for {parameter}; accepted: {accepted}",
            )
    if isinstance(value, bool):
        raise ReadingError("value", f"{parameter} value must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ReadingError("value", f"{parameter} value must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ReadingError("value", f"{parameter} value must be a finite number, got {value!r}")
    if given is not canonical:
        # Rounded to shed binary noise from the factors (0.075 mg/m3 must give 75 ug/m3, not 74.99999).
        number = round(number * given.factor / canonical.factor, 9)
    if not entry.minimum <= number <= entry.maximum:
        raise ReadingError(
            "value",
            f"{parameter} = {number:g} {canonical.name} is outside the plausible range "
            f"{entry.minimum:g}..{entry.maximum:g} {canonical.name}",
        )
    return number
