import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecogrid.inspections.photos.evidence import distance_m, evidence_flags

SITE_LON, SITE_LAT = 121.4737, 31.2304
CST = timezone(timedelta(hours=8))
START = datetime(2024, 5, 1, 9, 0, tzinfo=CST)
END = datetime(2024, 5, 1, 11, 0, tzinfo=CST)


def north_of_site(metres: float) -> tuple[float, float]:
    return SITE_LON, SITE_LAT + math.degrees(metres / 6_371_008.8)


def flags_for(
    *,
    lon: float | None = SITE_LON,
    lat: float | None = SITE_LAT,
    taken: datetime | None = START + timedelta(minutes=30),
    **kwargs: object,
) -> list:
    return evidence_flags(
        photo_lon=lon,
        photo_lat=lat,
        photo_taken_at=taken,
        site_lon=kwargs.pop("site_lon", SITE_LON),
        site_lat=kwargs.pop("site_lat", SITE_LAT),
        visit_start=START,
        visit_end=END,
        **kwargs,
    )


def codes(flags: list) -> list[str]:
    return [flag.code for flag in flags]


def test_photo_on_site_during_the_visit_has_no_flags() -> None:
    assert flags_for() == []


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert distance_m(lon1=120, lat1=30, lon2=120, lat2=31) == pytest.approx(111_195, abs=5)


def test_photo_just_inside_the_distance_limit_is_not_flagged() -> None:
    lon, lat = north_of_site(499)

    assert flags_for(lon=lon, lat=lat) == []


def test_photo_just_beyond_the_distance_limit_is_flagged_with_the_distance() -> None:
    lon, lat = north_of_site(502)

    [flag] = flags_for(lon=lon, lat=lat)

    assert flag.code == "far_from_site"
    assert "502 m" in flag.message_en and "500 m" in flag.message_en
    assert "502 米" in flag.message_zh


def test_distance_in_kilometres_reads_as_kilometres() -> None:
    lon, lat = north_of_site(12_345)

    [flag] = flags_for(lon=lon, lat=lat)

    assert "12.3 km" in flag.message_en and "12.3 公里" in flag.message_zh


def test_distance_limit_is_the_callers_choice() -> None:
    lon, lat = north_of_site(300)

    assert codes(flags_for(lon=lon, lat=lat, max_distance_m=200)) == ["far_from_site"]


def test_photo_without_gps_is_flagged_as_missing_location() -> None:
    assert codes(flags_for(lon=None, lat=None)) == ["exif_location_missing"]
    assert codes(flags_for(lat=None)) == ["exif_location_missing"]


def test_unknown_site_location_gives_no_distance_flag() -> None:
    lon, lat = north_of_site(50_000)

    assert flags_for(lon=lon, lat=lat, site_lon=None, site_lat=None) == []


def test_photo_without_time_is_flagged_as_missing_time() -> None:
    [flag] = flags_for(taken=None)

    assert flag.code == "exif_time_missing"
    assert flag.message_zh and flag.message_en


def test_time_skew_edges_before_the_visit() -> None:
    assert flags_for(taken=START - timedelta(hours=2)) == []

    [flag] = flags_for(taken=START - timedelta(hours=2, minutes=1))

    assert flag.code == "taken_outside_visit"
    assert "2 h 1 min before the visit started" in flag.message_en
    assert "早于" in flag.message_zh and "2小时1分钟" in flag.message_zh


def test_time_skew_edges_after_the_visit() -> None:
    assert flags_for(taken=END + timedelta(hours=2)) == []

    [flag] = flags_for(taken=END + timedelta(hours=2, seconds=1))

    assert flag.code == "taken_outside_visit"
    assert "after the visit ended" in flag.message_en and "晚于" in flag.message_zh


def test_photo_days_old_says_days() -> None:
    [flag] = flags_for(taken=START - timedelta(days=3, hours=4))

    assert "3 d 4 h before" in flag.message_en and "3天4小时" in flag.message_zh


def test_times_in_different_zones_are_compared_as_instants() -> None:
    # 09:00 +08:00 is 01:00 UTC; a camera in UTC at 23:00 the day before is exactly 2 h early.
    on_edge = datetime(2024, 4, 30, 23, 0, tzinfo=UTC)

    assert flags_for(taken=on_edge) == []
    assert codes(flags_for(taken=on_edge - timedelta(seconds=1))) == ["taken_outside_visit"]


def test_both_place_and_time_can_be_flagged_together() -> None:
    lon, lat = north_of_site(5_000)

    assert codes(flags_for(lon=lon, lat=lat, taken=None)) == ["far_from_site", "exif_time_missing"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="photo_taken_at"):
        flags_for(taken=datetime(2024, 5, 1, 10, 0))


def test_visit_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="visit_end"):
        evidence_flags(
            photo_lon=None,
            photo_lat=None,
            photo_taken_at=None,
            site_lon=None,
            site_lat=None,
            visit_start=END,
            visit_end=START,
        )
