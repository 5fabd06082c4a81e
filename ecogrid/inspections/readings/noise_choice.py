"""Which noise standard a reading is judged against, and why, from the case's category and where it was taken.

The emission standards apply at the emitter's boundary (厂界 / 场界 / 边界): construction sites
GB 12523-2011 (one limit whatever the zone class), industrial enterprises GB 12348-2008,
social-life sources GB 22337-2008. A reading taken in the receiving environment (at a
noise-sensitive building, or for traffic, which has no emission boundary standard) is judged
against the zone's class in GB 3096-2008. The reading says where it was taken; without that the
category's usual point is assumed, and the verdict says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

NoisePoint = Literal["boundary", "environment"]
NOISE_POINTS: Final[tuple[str, ...]] = ("boundary", "environment")

# category -> (setting, the emitter's boundary in Chinese and English)
_BOUNDARY_BY_CATEGORY: Final[dict[str, tuple[str, str, str]]] = {
    "noise_construction": ("construction_boundary", "施工场界", "construction site boundary"),
    "noise_industrial": ("industrial_boundary", "厂界", "enterprise boundary"),
    "noise_social": ("social_boundary", "边界", "source boundary"),
}
_STANDARD_OF: Final[dict[str, str]] = {
    "construction_boundary": "GB 12523-2011",
    "industrial_boundary": "GB 12348-2008",
    "social_boundary": "GB 22337-2008",
    "environment": "GB 3096-2008",
}
_CATEGORY_LABEL: Final[dict[str, tuple[str, str]]] = {
    "noise_construction": ("建筑施工噪声", "construction noise"),
    "noise_industrial": ("工业噪声", "industrial noise"),
    "noise_social": ("社会生活噪声", "social-life noise"),
    "noise_traffic": ("交通噪声", "traffic noise"),
}


@dataclass(frozen=True)
class NoiseChoice:
    setting: str
    standard: str
    point: NoisePoint
    reason_zh: str
    reason_en: str


def choose_noise_setting(category: str | None, point: str | None = None) -> NoiseChoice:
    """The setting of :data:`ecogrid.inspections.readings.judge.NOISE_SETTINGS` to judge with, and why."""
    if point is not None and point not in NOISE_POINTS:
        raise ValueError(f"point must be one of {', '.join(NOISE_POINTS)}, not {point!r}")
    zh, en = _CATEGORY_LABEL.get(category or "", ("噪声", "noise"))
    boundary = _BOUNDARY_BY_CATEGORY.get(category or "")
    if point == "environment":
        return NoiseChoice(
            "environment", _STANDARD_OF["environment"], "environment",
            f"{zh}，在声环境敏感点测量：按声环境功能区执行 GB 3096-2008",
            f"{en} measured in the receiving environment: the zone class limits of GB 3096-2008")
    if boundary is None:
        asked = "，无适用的边界排放标准" if point == "boundary" else ""
        asked_en = "; no boundary emission standard applies" if point == "boundary" else ""
        return NoiseChoice(
            "environment", _STANDARD_OF["environment"], "environment",
            f"{zh}{asked}：按声环境功能区执行 GB 3096-2008",
            f"{en}{asked_en}: the zone class limits of GB 3096-2008")
    setting, place_zh, place_en = boundary
    standard = _STANDARD_OF[setting]
    assumed_zh = "" if point == "boundary" else "（未注明测点，按边界测量）"
    assumed_en = "" if point == "boundary" else " (point not given: taken as the boundary)"
    return NoiseChoice(
        setting, standard, "boundary",
        f"{zh}，在{place_zh}测量{assumed_zh}：执行 {standard}",
        f"{en} measured at the {place_en}{assumed_en}: {standard}")
