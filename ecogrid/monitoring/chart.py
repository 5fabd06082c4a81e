"""A small line chart of one series as plain SVG numbers (the template draws it; no script, nothing fetched).

Coordinates are computed here, so the page holds only numbers and escaped labels: the value axis
starts at 0 and reaches a little above the larger of the highest value and the limit (so the limit line
is always in view), the time axis spans the requested window, and complaint times are vertical marks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from ecogrid.core.time import BEIJING

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass
class Chart:
    title: str
    unit: str
    points: str  # "x,y x,y ..." for <polyline>
    count: int
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # x, label, text-anchor (the ends align inside the frame)
    limit_y: float | None = None
    limit_label: str = ""
    markers: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    top: int = TOP
    bottom_y: int = HEIGHT - BOTTOM
    peak: float | None = None


def _nice(top: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``top``: a round top for the value axis."""
    if top <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(top))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top <= m * magnitude * (1 + 1e-9))


def build(*, title: str, unit: str, points: list[tuple[datetime, float]], start: datetime, end: datetime,
          limit: float | None = None, limit_label: str = "", markers: list[tuple[datetime, str]] | None = None,
          ) -> Chart:
    span = max((end - start).total_seconds(), 1.0)
    peak = max((v for _, v in points), default=None)
    top = _nice(max(peak or 0.0, limit or 0.0) * 1.1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return round(LEFT + inner_w * min(max((at - start).total_seconds() / span, 0.0), 1.0), 1)

    def y_of(value: float) -> float:
        return round(TOP + inner_h * (1 - min(max(value / top, 0.0), 1.0)), 1)

    local_fmt = "%m-%d %H:%M" if span > 86_400 else "%H:%M"
    x_ticks = []
    for i in range(5):
        at = start + (end - start) * (i / 4)
        anchor = "start" if i == 0 else ("end" if i == 4 else "middle")
        x_ticks.append((x_of(at), at.astimezone(BEIJING).strftime(local_fmt), anchor))
    y_ticks = [(y_of(top * i / 4), f"{top * i / 4:g}") for i in range(5)]
    return Chart(title=title, unit=unit, points=" ".join(f"{x_of(at)},{y_of(v)}" for at, v in points),
                 count=len(points), y_ticks=y_ticks, x_ticks=x_ticks,
                 limit_y=y_of(limit) if limit is not None else None, limit_label=limit_label,
                 markers=[(x_of(at), text) for at, text in markers or [] if start <= at <= end], peak=peak)
