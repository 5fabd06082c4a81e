import math

import numpy as np
import pytest

from geo import coords

CITIES = {
    "beijing": (116.397428, 39.90923),
    "qingdao": (120.3826, 36.0671),
    "urumqi": (87.6168, 43.8256),
    "sanya": (109.5119, 18.2528),
    "harbin": (126.5350, 45.8038),
}
ABROAD = {"paris": (2.3522, 48.8566), "tokyo": (139.6917, 35.6895)}


def _china_grid() -> list[tuple[float, float]]:
    # Every 2 degrees inside the rough China box, plus the named cities.
    points = [
        (float(lon), float(lat)) for lon in np.arange(73.0, 137.0, 2.0) for lat in np.arange(1.0, 55.0, 2.0)
    ]
    return points + list(CITIES.values())


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_through_chinese_crs_returns_within_a_metre(crs: str) -> None:
    worst = 0.0
    for lon, lat in _china_grid():
        shifted = coords.from_wgs84(lon, lat, crs)
        back = coords.to_wgs84(*shifted, crs)
        worst = max(worst, coords.haversine_m(lon, lat, *back))
    assert worst < 0.01  # well under the 1 m requirement


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_from_the_chinese_side_returns_the_same_point(crs: str) -> None:
    for lon, lat in _china_grid():
        wgs = coords.to_wgs84(lon, lat, crs)
        again = coords.from_wgs84(*wgs, crs)
        assert coords.haversine_m(lon, lat, *again) < 0.01


@pytest.mark.parametrize("name", sorted(CITIES))
def test_chinese_cities_are_offset_by_one_to_seven_hundred_metres(name: str) -> None:
    lon, lat = CITIES[name]
    offset = coords.haversine_m(lon, lat, *coords.from_wgs84(lon, lat, "gcj02"))
    assert 100 < offset < 700


def test_forward_transforms_match_published_reference_values() -> None:
    # Values published with the widely used coordTransform implementations for (116.404, 39.915).
    assert coords.from_wgs84(116.404, 39.915, "gcj02") == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-9
    )
    assert coords.from_wgs84(116.404, 39.915, "bd09") == pytest.approx(
        (116.41662724378733, 39.922699552216216), abs=1e-9
    )


def test_inverse_transforms_agree_with_published_one_step_approximations() -> None:
    # Published inverses are single-step approximations; ours iterates, so they agree to centimetres.
    gcj_published = (116.39775550083061, 39.91359571849836)
    bd_published = (116.3913836995125, 39.907253214522164)
    assert coords.haversine_m(*coords.to_wgs84(116.404, 39.915, "gcj02"), *gcj_published) < 0.5
    assert coords.haversine_m(*coords.to_wgs84(116.404, 39.915, "bd09"), *bd_published) < 1.0


def test_tiananmen_gcj02_is_close_to_the_commonly_quoted_pair() -> None:
    gcj = coords.from_wgs84(116.397428, 39.90923, "gcj02")
    assert coords.haversine_m(*gcj, 116.403668, 39.910633) < 1.0


@pytest.mark.parametrize("name", sorted(ABROAD))
@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_points_abroad_are_never_shifted(name: str, crs: str) -> None:
    lon, lat = ABROAD[name]
    assert coords.to_wgs84(lon, lat, crs) == (lon, lat)
    assert coords.from_wgs84(lon, lat, crs) == (lon, lat)


def test_cgcs2000_and_wgs84_are_unchanged_inside_china() -> None:
    for crs in ("wgs84", "cgcs2000"):
        assert coords.to_wgs84(116.4, 39.9, crs) == (116.4, 39.9)
        assert coords.from_wgs84(116.4, 39.9, crs) == (116.4, 39.9)


def test_crs_name_is_case_and_space_tolerant() -> None:
    assert coords.to_wgs84(116.4, 39.9, " GCJ02 ") == coords.to_wgs84(116.4, 39.9, "gcj02")


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_vectorised_conversion_equals_scalar(crs: str) -> None:
    points = _china_grid() + list(ABROAD.values())
    lons = np.array([p[0] for p in points])
    lats = np.array([p[1] for p in points])
    to_lon, to_lat = coords.to_wgs84_many(lons, lats, crs)
    from_lon, from_lat = coords.from_wgs84_many(lons, lats, crs)
    for i, (lon, lat) in enumerate(points):
        assert (to_lon[i], to_lat[i]) == pytest.approx(coords.to_wgs84(lon, lat, crs), abs=1e-12)
        assert (from_lon[i], from_lat[i]) == pytest.approx(coords.from_wgs84(lon, lat, crs), abs=1e-12)


def test_vectorised_conversion_leaves_input_arrays_untouched() -> None:
    lons = np.array([116.4, 2.35])
    lats = np.array([39.9, 48.86])
    coords.to_wgs84_many(lons, lats, "wgs84")[0][:] = 0.0
    coords.to_wgs84_many(lons, lats, "gcj02")
    assert lons.tolist() == [116.4, 2.35]
    assert lats.tolist() == [39.9, 48.86]


@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [
        (math.nan, 39.9, "lon"),
        (math.inf, 39.9, "lon"),
        (180.5, 39.9, "lon"),
        (-181.0, 39.9, "lon"),
        (116.4, math.nan, "lat"),
        (116.4, -math.inf, "lat"),
        (116.4, 90.01, "lat"),
        ("east", 39.9, "lon"),
    ],
)
def test_invalid_coordinates_are_rejected_naming_the_field(lon: float, lat: float, field: str) -> None:
    with pytest.raises(coords.CoordinateError) as caught:
        coords.validate_lon_lat(lon, lat)
    assert caught.value.field == field
    with pytest.raises(ValueError, match=field):
        coords.to_wgs84(lon, lat, "gcj02")


def test_boundary_values_are_accepted() -> None:
    coords.validate_lon_lat(-180.0, -90.0)
    coords.validate_lon_lat(180.0, 90.0)


def test_unknown_crs_is_rejected_naming_crs() -> None:
    with pytest.raises(coords.CoordinateError) as caught:
        coords.to_wgs84(116.4, 39.9, "epsg:3857")
    assert caught.value.field == "crs"
    with pytest.raises(coords.CoordinateError) as caught:
        coords.from_wgs84_many([116.4], [39.9], "mars")
    assert caught.value.field == "crs"


def test_vectorised_validation_names_the_first_bad_row() -> None:
    with pytest.raises(coords.CoordinateError) as caught:
        coords.to_wgs84_many([116.4, 116.5, 116.6], [39.9, 95.0, math.nan], "bd09")
    assert caught.value.field == "lat"
    assert caught.value.index == 1


def test_invalid_mask_marks_only_bad_rows() -> None:
    mask = coords.invalid_lon_lat_mask([116.4, math.nan, 200.0, 10.0], [39.9, 39.9, 10.0, -91.0])
    assert mask.tolist() == [False, True, True, True]


def test_haversine_of_one_degree_of_latitude() -> None:
    expected = 6371008.8 * math.pi / 180.0
    assert coords.haversine_m(116.0, 39.0, 116.0, 40.0) == pytest.approx(expected, rel=1e-12)
    assert coords.haversine_m(116.0, 39.0, 116.0, 39.0) == 0.0


def test_haversine_beijing_to_shanghai_is_about_1070_km() -> None:
    distance = coords.haversine_m(116.4074, 39.9042, 121.4737, 31.2304)
    assert 1_060_000 < distance < 1_075_000


def test_vectorised_haversine_equals_scalar() -> None:
    lons = np.array([116.4, 87.6, 2.35])
    lats = np.array([39.9, 43.8, 48.86])
    many = coords.haversine_m_many(lons, lats, 121.47, 31.23)
    for i in range(3):
        assert many[i] == pytest.approx(coords.haversine_m(lons[i], lats[i], 121.47, 31.23), rel=1e-12)


def test_utm_zone_of_a_point_is_the_six_degree_zone_north_or_south():
    assert coords.utm_srid(120.38, 36.07) == 32651  # Qingdao: zone 51 north
    assert coords.utm_srid(116.4, 39.9) == 32650  # Beijing: zone 50 north
    assert coords.utm_srid(-58.4, -34.6) == 32721  # Buenos Aires: zone 21 south
    assert coords.utm_srid(-180.0, 0.0) == 32601 and coords.utm_srid(180.0, 0.0) == 32660
