"""Coordinate reference systems met in China, and conversion to and from WGS-84.

GPS and browsers give WGS-84; Amap/Gaode, Tencent and most Chinese map SDKs give GCJ-02;
Baidu gives BD-09; CGCS2000 (EPSG:4490) equals WGS-84 at the accuracy this work needs.
ecogrid stores WGS-84 only, so every incoming point passes through `to_wgs84`.

The WGS-84 -> GCJ-02 offset is the public Krasovsky-ellipsoid polynomial. It has no closed
inverse, so GCJ-02 -> WGS-84 is solved by fixed-point iteration to far below a millimetre.
Points outside China's rough bounding box are not offset by GCJ-02 or BD-09. That box is the
customary rough one: it also covers Korea, western Japan, Mongolia and northern Vietnam, where
real map providers do not offset; callers handling those areas should pass "wgs84".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

Crs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]
CRS_NAMES: Final[tuple[str, ...]] = ("wgs84", "gcj02", "bd09", "cgcs2000")

# Constants of the published GCJ-02 / BD-09 algorithms (not bureau settings).
_KRASOVSKY_A: Final = 6378245.0
_KRASOVSKY_EE: Final = 0.00669342162296594323
_X_PI: Final = math.pi * 3000.0 / 180.0
_CHINA_LON: Final = (72.004, 137.8347)
_CHINA_LAT: Final = (0.8293, 55.8271)

# 1e-10 degrees is about 1 cm; the iteration contracts by ~1e-3 per step, so 3-4 steps suffice.
_INVERSE_TOLERANCE_DEG: Final = 1e-10
_INVERSE_MAX_STEPS: Final = 30

_EARTH_MEAN_RADIUS_M: Final = 6371008.8
EARTH_MEAN_RADIUS_M: Final = _EARTH_MEAN_RADIUS_M  # of the sphere haversine_m uses

FloatArray = npt.NDArray[np.float64]
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


class CoordinateError(ValueError):
    """A longitude, latitude or coordinate system name that cannot be used."""

    def __init__(self, field: str, message: str, *, index: int | None = None) -> None:
        where = f" (row {index})" if index is not None else ""
        super().__init__(f"{field}: {message}{where}")
        self.field = field
        self.index = index


# --------------------------------------------------------------------------- validation


def normalise_crs(crs: str) -> Crs:
    """Return the canonical crs name, or raise CoordinateError(field="crs")."""
    name = crs.strip().lower() if isinstance(crs, str) else crs
    if name not in CRS_NAMES:
        raise CoordinateError("crs", f"unknown coordinate system {crs!r}; expected one of {CRS_NAMES}")
    return name  # type: ignore[return-value]


def validate_lon_lat(lon: float, lat: float) -> None:
    """Raise CoordinateError naming "lon" or "lat" if either is not a finite, in-range number."""
    for field, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CoordinateError(field, f"not a number: {value!r}") from None
        if not math.isfinite(number):
            raise CoordinateError(field, f"not a finite number: {value!r}")
        if not -limit <= number <= limit:
            raise CoordinateError(field, f"{number} is outside [-{limit:g}, {limit:g}]")


def invalid_lon_lat_mask(lons: npt.ArrayLike, lats: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a row has a non-finite or out-of-range lon or lat (for dropping bad import rows)."""
    lon_arr, lat_arr = _as_float_pair(lons, lats)
    with np.errstate(invalid="ignore"):
        bad_lon = ~np.isfinite(lon_arr) | (np.abs(lon_arr) > 180.0)
        bad_lat = ~np.isfinite(lat_arr) | (np.abs(lat_arr) > 90.0)
    return bad_lon | bad_lat


def _validate_many(lon_arr: FloatArray, lat_arr: FloatArray) -> None:
    with np.errstate(invalid="ignore"):
        bad_lon = ~np.isfinite(lon_arr) | (np.abs(lon_arr) > 180.0)
        bad_lat = ~np.isfinite(lat_arr) | (np.abs(lat_arr) > 90.0)
    for field, bad, values in (("lon", bad_lon, lon_arr), ("lat", bad_lat, lat_arr)):
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise CoordinateError(field, f"invalid value {values[index]!r}", index=index)


def _as_float_pair(lons: npt.ArrayLike, lats: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    if lon_arr.shape != lat_arr.shape:
        raise CoordinateError("lat", f"shape {lat_arr.shape} differs from lon shape {lon_arr.shape}")
    return lon_arr, lat_arr


# --------------------------------------------------------------------------- the transforms
# Written once over numpy arrays; the scalar functions call them with 0-d arrays so both
# paths give bit-identical results.


def _outside_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (lon < _CHINA_LON[0]) | (lon > _CHINA_LON[1]) | (lat < _CHINA_LAT[0]) | (lat > _CHINA_LAT[1])


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    pi = math.pi
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret = ret + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret = ret + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret = ret + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    pi = math.pi
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret = ret + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret = ret + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret = ret + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + d_lon), np.where(outside, lat, lat + d_lat)


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    bd_lon = z * np.cos(theta) + 0.0065
    bd_lat = z * np.sin(theta) + 0.006
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, bd_lon), np.where(outside, lat, bd_lat)


def _bd09_to_gcj02_closed_form(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _Forward, lon: FloatArray, lat: FloatArray, start: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(w) = target by w <- w - (forward(w) - target).

    The offsets vary slowly with position, so this contracts fast. Because `forward` applies
    the outside-China rule itself, a target outside the box converges to itself in one step.
    """
    w_lon, w_lat = start
    w_lon = np.array(w_lon, dtype=np.float64, copy=True)
    w_lat = np.array(w_lat, dtype=np.float64, copy=True)
    active = np.ones(w_lon.shape, dtype=bool)
    for _ in range(_INVERSE_MAX_STEPS):
        f_lon, f_lat = forward(w_lon[active], w_lat[active])
        step_lon = f_lon - lon[active]
        step_lat = f_lat - lat[active]
        w_lon[active] -= step_lon
        w_lat[active] -= step_lat
        still = (np.abs(step_lon) > _INVERSE_TOLERANCE_DEG) | (np.abs(step_lat) > _INVERSE_TOLERANCE_DEG)
        active[active] = still
        if not active.any():
            break
    return w_lon, w_lat


def _gcj02_to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_wgs84_to_gcj02, lon, lat, (lon, lat))


def _bd09_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # The published closed form is only an approximate inverse (errors up to ~20 cm);
    # start from it and polish so that GCJ-02 -> BD-09 -> GCJ-02 returns the same point.
    start_lon, start_lat = _bd09_to_gcj02_closed_form(lon, lat)
    outside = _outside_china(lon, lat)
    start = (np.where(outside, lon, start_lon), np.where(outside, lat, start_lat))
    return _invert(_gcj02_to_bd09, lon, lat, start)


def _bd09_to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _gcj02_to_wgs84(*_bd09_to_gcj02(lon, lat))


def _wgs84_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))


def _identity(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return lon.copy(), lat.copy()


_TO_WGS84 = {"wgs84": _identity, "cgcs2000": _identity, "gcj02": _gcj02_to_wgs84, "bd09": _bd09_to_wgs84}
_FROM_WGS84 = {"wgs84": _identity, "cgcs2000": _identity, "gcj02": _wgs84_to_gcj02, "bd09": _wgs84_to_bd09}


# --------------------------------------------------------------------------- public API


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert one point given in `crs` to WGS-84 (lon, lat), after validating it."""
    name = normalise_crs(crs)
    validate_lon_lat(lon, lat)
    out_lon, out_lat = _TO_WGS84[name](np.array([float(lon)]), np.array([float(lat)]))
    return float(out_lon[0]), float(out_lat[0])


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert one WGS-84 point to `crs` (e.g. to draw it over GCJ-02 map tiles)."""
    name = normalise_crs(crs)
    validate_lon_lat(lon, lat)
    out_lon, out_lat = _FROM_WGS84[name](np.array([float(lon)]), np.array([float(lat)]))
    return float(out_lon[0]), float(out_lat[0])


def to_wgs84_many(lons: npt.ArrayLike, lats: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Vectorised `to_wgs84` for bulk import.

    Raises CoordinateError with `index` set to the first bad row; use `invalid_lon_lat_mask`
    first to drop bad rows instead of failing the whole batch.
    """
    name = normalise_crs(crs)
    lon_arr, lat_arr = _as_float_pair(lons, lats)
    _validate_many(lon_arr, lat_arr)
    return _TO_WGS84[name](lon_arr, lat_arr)


def from_wgs84_many(lons: npt.ArrayLike, lats: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Vectorised `from_wgs84`."""
    name = normalise_crs(crs)
    lon_arr, lat_arr = _as_float_pair(lons, lats)
    _validate_many(lon_arr, lat_arr)
    return _FROM_WGS84[name](lon_arr, lat_arr)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (spherical earth, mean radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2.0) ** 2
    return 2.0 * _EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_m_many(
    lons1: npt.ArrayLike, lats1: npt.ArrayLike, lons2: npt.ArrayLike, lats2: npt.ArrayLike
) -> FloatArray:
    """Vectorised `haversine_m` (arrays broadcast against each other)."""
    phi1 = np.radians(np.asarray(lats1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lats2, dtype=np.float64))
    d_lambda = np.radians(np.asarray(lons2, dtype=np.float64) - np.asarray(lons1, dtype=np.float64))
    h = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2.0) ** 2
    distance: FloatArray = 2.0 * _EARTH_MEAN_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return distance


def utm_srid(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone holding (lon, lat) (326NN north, 327NN south): the metric
    projection of grids and cells. Inside one 6-degree zone the scale error is at most about 0.1 %."""
    zone = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    return (32600 if lat >= 0 else 32700) + zone
