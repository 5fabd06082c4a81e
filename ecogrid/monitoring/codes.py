"""The HJ 212-2017 pollutant codes and data flags ecogrid reads (``data/hj212_codes.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CODES_PATH = Path(__file__).parent / "data" / "hj212_codes.json"


@dataclass(frozen=True)
class Code:
    code: str
    name_zh: str
    name: str
    parameter: str | None
    unit: str
    category: str | None


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    return json.loads(CODES_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def all_codes() -> dict[str, Code]:
    return {c: Code(code=c, name_zh=v["name_zh"], name=v["name"], parameter=v["parameter"], unit=v["unit"],
                    category=v["category"]) for c, v in _raw()["codes"].items()}


def get(code: str) -> Code | None:
    return all_codes().get(code)


def parameter_of(code: str) -> str | None:
    known = get(code)
    return known.parameter if known else None


def code_for_parameter(parameter: str) -> str | None:
    """The HJ 212 code of an ecogrid parameter (the first listed, e.g. noise_laeq -> LA)."""
    return next((c.code for c in all_codes().values() if c.parameter == parameter), None)


def flags() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in _raw()["flags"].items() if k != "about"}


def flag_is_judged(flag: str) -> bool:
    """Whether a value with this HJ 212 data flag is a measurement to judge (N normal, T above range)."""
    return bool(flags().get(flag, {}).get("judged", False))


def label(code: str, lang: str = "zh") -> str:
    known = get(code)
    if known is None:
        return code
    return known.name_zh if lang.startswith("zh") else known.name
