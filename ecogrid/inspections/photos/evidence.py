"""Flags on inspection photos whose camera time or place does not fit the visit.

Photos are legal evidence: one taken far from the site, or long before or after the visit,
is flagged for a person to judge, never refused and never silently accepted. The camera's
EXIF GPS is WGS-84, so the site must be given in WGS-84 too (as ecogrid stores it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# Mean Earth radius (IUGG), metres.
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Flag:
    code: str
    message_en: str
    message_zh: str


def evidence_flags(
    *,
    photo_lon: float | None,
    photo_lat: float | None,
    photo_taken_at: datetime | None,
    site_lon: float | None,
    site_lat: float | None,
    visit_start: datetime,
    visit_end: datetime,
    max_distance_m: float = 500,
    max_time_skew: timedelta = timedelta(hours=2),
) -> list[Flag]:
    """Flags for one photo against its inspection: location first, then time.

    A photo exactly `max_distance_m` from the site, or exactly `max_time_skew` outside the
    visit, is not flagged. With no site location there is nothing to compare the place with.
    """
    _require_aware(visit_start, "visit_start")
    _require_aware(visit_end, "visit_end")
    if visit_end < visit_start:
        raise ValueError("visit_end: the visit ends before it starts")
    if photo_taken_at is not None:
        _require_aware(photo_taken_at, "photo_taken_at")

    flags: list[Flag] = []
    if photo_lon is None or photo_lat is None:
        flags.append(
            Flag(
                code="exif_location_missing",
                message_en="The photo carries no camera GPS position.",
                message_zh="照片未记录拍摄位置（无 GPS 信息）。",
            )
        )
    elif site_lon is not None and site_lat is not None:
        distance = distance_m(lon1=photo_lon, lat1=photo_lat, lon2=site_lon, lat2=site_lat)
        if distance > max_distance_m:
            flags.append(
                Flag(
                    code="far_from_site",
                    message_en=(
                        f"The photo was taken {_metres_en(distance)} from the site "
                        f"(allowed: {_metres_en(max_distance_m)})."
                    ),
                    message_zh=(
                        f"照片拍摄位置距现场 {_metres_zh(distance)}"
                        f"（允许范围 {_metres_zh(max_distance_m)}）。"
                    ),
                )
            )

    if photo_taken_at is None:
        flags.append(
            Flag(
                code="exif_time_missing",
                message_en="The photo carries no camera time.",
                message_zh="照片未记录拍摄时间。",
            )
        )
    elif photo_taken_at < visit_start - max_time_skew:
        gap = visit_start - photo_taken_at
        flags.append(
            Flag(
                code="taken_outside_visit",
                message_en=f"The photo was taken {_duration_en(gap)} before the visit started.",
                message_zh=f"照片拍摄时间早于现场检查开始 {_duration_zh(gap)}。",
            )
        )
    elif photo_taken_at > visit_end + max_time_skew:
        gap = photo_taken_at - visit_end
        flags.append(
            Flag(
                code="taken_outside_visit",
                message_en=f"The photo was taken {_duration_en(gap)} after the visit ended.",
                message_zh=f"照片拍摄时间晚于现场检查结束 {_duration_zh(gap)}。",
            )
        )
    return flags


def distance_m(*, lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres on a sphere of the Earth's mean radius (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _require_aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field}: a time zone is required to compare times")


def _metres_en(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def _metres_zh(metres: float) -> str:
    return f"{metres / 1000:.1f} 公里" if metres >= 1000 else f"{metres:.0f} 米"


def _split_duration(delta: timedelta) -> tuple[int, int, int]:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes


def _duration_en(delta: timedelta) -> str:
    days, hours, minutes = _split_duration(delta)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    if not days:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _duration_zh(delta: timedelta) -> str:
    days, hours, minutes = _split_duration(delta)
    text = f"{days}天" if days else ""
    if hours or days:
        text += f"{hours}小时"
    if not days:
        text += f"{minutes}分钟"
    return text
