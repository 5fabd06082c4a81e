"""Verdicts on readings against the national limits: noise GB 3096-2008, GB 12348-2008, GB 22337-2008 and
GB 12523-2011; odour GB 14554-93; air quality index HJ 633; surface water GB 3838-2002; black-odorous
water by the 2015 urban guideline (城市黑臭水体整治工作指南).

The limits live in ``data/standards.json``; every verdict copies the standard and limit it was
judged against, so a later edit of that file does not rewrite history.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ecogrid.inspections.readings.parameters import Catalogue, ReadingError, load_catalogue, normalise_reading

DEFAULT_STANDARDS_PATH = Path(__file__).parent / "data" / "standards.json"

NOISE_PARAMETERS = ("noise_laeq", "noise_lmax")
ODOUR_PARAMETERS = ("odour_concentration", "nh3", "h2s")
AIR_PARAMETERS = ("so2", "no2", "pm10", "pm25", "co", "o3")
SURFACE_WATER_ONLY = ("ph", "cod", "tp")
BLACK_ODOROUS_ONLY = ("transparency", "orp")
SHARED_WATER = ("do", "nh3n")
NO_STANDARD = ("noise_background", "wind_direction", "wind_speed")

NOISE_SETTINGS = ("environment", "industrial_boundary", "social_boundary", "construction_boundary")
WATER_SETTINGS = ("surface_water", "black_odorous")
AVERAGINGS = ("1h", "8h", "24h")

Standards = dict[str, Any]


def load_standards(path: Path | None = None) -> Standards:
    """Load the limits from ``path`` (default: the packaged ``data/standards.json``)."""
    if path is None:
        return _default_standards()
    return json.loads(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _default_standards() -> Standards:
    return json.loads(DEFAULT_STANDARDS_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class JudgeContext:
    """What a verdict depends on besides the reading itself.

    None means the default in the standards data (odour grade 2 / new source, water target
    class III, day 06:00-22:00). ``averaging`` None means 24h, except O3 which defaults to 1h.
    ``water_setting`` says whether DO and NH3-N are judged against GB 3838-2002
    ("surface_water") or the black-odorous guideline ("black_odorous").
    """

    noise_class: str | None = None
    noise_setting: str = "environment"
    background_laeq: float | None = None
    sudden_occasional: bool = False
    odour_grade: int | None = None
    odour_new_source: bool | None = None
    averaging: str | None = None
    water_target_class: str | None = None
    water_setting: str = "surface_water"
    day_start: int | None = None
    night_start: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of judging one reading, self-contained for the record.

    ``limit_kind`` says how ``limit`` applies: "max" (value <= limit passes), "min"
    (value >= limit passes, e.g. DO), "range" (limit is (low, high), e.g. pH), "above"
    (value > limit passes) or "below" (value < limit passes). ``excess`` is how far the judged
    value lies beyond the limit (0 when within; None when remeasuring). For air, ``index`` is the
    IAQI and ``limit`` is the concentration at IAQI 100.
    """

    parameter: str
    measured_value: float
    judged_value: float | None
    unit: str
    standard: str
    standard_name: str
    limit: float | tuple[float, float] | None
    limit_kind: str
    exceeded: bool
    excess: float | None
    period: str | None = None
    grade: str | None = None
    grade_zh: str | None = None
    index: int | None = None
    remeasure: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measurement:
    """One value for ``aqi`` or ``grade_black_odorous``; ``unit`` None means the canonical unit."""

    parameter: str
    value: float
    unit: str | None = None
    averaging: str | None = None


@dataclass(frozen=True)
class SubIndex:
    parameter: str
    averaging: str
    concentration: float
    iaqi: int


@dataclass(frozen=True)
class AqiResult:
    aqi: int
    band: str
    band_zh: str
    primary_pollutants: tuple[str, ...]
    over_standard: tuple[str, ...]
    sub_indices: tuple[SubIndex, ...]
    standard: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlackOdorousResult:
    grade: str
    grade_zh: str
    by_parameter: dict[str, str]
    heavy_share: dict[str, float]
    standard: str
    notes: tuple[str, ...] = ()


def judge_reading(
    *,
    parameter: str,
    value: float,
    unit: str | None,
    measured_at: datetime,
    context: JudgeContext | None = None,
    standards: Standards | None = None,
    catalogue: Catalogue | None = None,
) -> Verdict | None:
    """Judge one reading; None where no standard applies (background noise, wind, daytime Lmax)."""
    context = context or JudgeContext()
    standards = standards or load_standards()
    catalogue = catalogue or load_catalogue()
    local = _local_time(measured_at, standards)
    measured = normalise_reading(parameter, value, unit, catalogue=catalogue)
    canonical = catalogue.parameters[parameter].unit
    notes: list[str] = []
    if unit is not None and catalogue.unit_name(unit) != canonical:
        notes.append(f"given as {value} {unit}")
    if parameter in NOISE_PARAMETERS:
        return _judge_noise(parameter, measured, canonical, local, context, standards, notes, catalogue)
    if parameter in ODOUR_PARAMETERS:
        return _judge_odour(parameter, measured, canonical, context, standards, notes)
    if parameter in AIR_PARAMETERS:
        return _judge_air(parameter, measured, canonical, local.date(), context, standards, notes)
    if parameter in SHARED_WATER:
        if context.water_setting not in WATER_SETTINGS:
            raise ReadingError("water_setting", f"unknown water setting {context.water_setting!r}")
        if context.water_setting == "black_odorous":
            return _judge_black_odorous(parameter, measured, canonical, standards, notes)
        return _judge_surface_water(parameter, measured, canonical, context, standards, notes)
    if parameter in SURFACE_WATER_ONLY:
        return _judge_surface_water(parameter, measured, canonical, context, standards, notes)
    if parameter in BLACK_ODOROUS_ONLY:
        return _judge_black_odorous(parameter, measured, canonical, standards, notes)
    return None


def _local_time(measured_at: datetime, standards: Standards) -> datetime:
    if not isinstance(measured_at, datetime):
        raise ReadingError("measured_at", f"a datetime is needed, got {measured_at!r}")
    if measured_at.tzinfo is None or measured_at.utcoffset() is None:
        raise ReadingError("measured_at", "the time must carry its time zone (an aware datetime)")
    return measured_at.astimezone(ZoneInfo(standards["timezone"]))


def _standard_name(spec: dict[str, Any]) -> str:
    return f"{spec['name_zh']} ({spec['name']})"


def _clean(number: float) -> float:
    # Shed binary noise from subtractions such as 60.3 - 1 so stored figures read as measured.
    return round(number, 6)


# --- noise -------------------------------------------------------------------------------


def noise_period(
    measured_at: datetime, *, context: JudgeContext | None = None, standards: Standards | None = None
) -> str:
    """ "day" or "night" for ``measured_at`` in local (Asia/Shanghai) time."""
    context = context or JudgeContext()
    standards = standards or load_standards()
    local = _local_time(measured_at, standards)
    return _period(local, context, standards)


def _period(local: datetime, context: JudgeContext, standards: Standards) -> str:
    day_start = standards["noise"]["day_start"] if context.day_start is None else context.day_start
    night_start = standards["noise"]["night_start"] if context.night_start is None else context.night_start
    for name, hour in (("day_start", day_start), ("night_start", night_start)):
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ReadingError(name, f"{name} must be a whole hour 0..23, got {hour!r}")
    if day_start >= night_start:
        raise ReadingError("night_start", f"night must start after day starts ({day_start} >= {night_start})")
    return "day" if time(day_start) <= local.time() < time(night_start) else "night"


def _noise_limits(
    context: JudgeContext, standards: Standards
) -> tuple[dict[str, Any], dict[str, float], str]:
    if context.noise_setting not in NOISE_SETTINGS:
        raise ReadingError(
            "noise_setting",
            f"unknown noise setting {context.noise_setting!r}; one of {', '.join(NOISE_SETTINGS)}",
        )
    spec = standards["noise"]["settings"][context.noise_setting]
    if "any_class" in spec:
        # One limit for every zone class (GB 12523: the construction site boundary).
        return spec, spec["limits"][spec["any_class"]], spec["any_class"]
    if context.noise_class is None:
        raise ReadingError("noise_class", "the functional zone class is needed to judge noise")
    key = spec["class_aliases"].get(str(context.noise_class), str(context.noise_class))
    if key not in spec["limits"]:
        raise ReadingError(
            "noise_class",
            f"class {context.noise_class!r} has no limits in {spec['standard']}; "
            f"one of {', '.join(spec['limits'])}",
        )
    return spec, spec["limits"][key], key


def _judge_noise(
    parameter: str,
    measured: float,
    unit: str,
    local: datetime,
    context: JudgeContext,
    standards: Standards,
    notes: list[str],
    catalogue: Catalogue,
) -> Verdict | None:
    period = _period(local, context, standards)
    spec, limits, class_key = _noise_limits(context, standards)
    if class_key != str(context.noise_class) and "any_class" not in spec:
        notes.append(f"class {context.noise_class} judged as class {class_key} of {spec['standard']}")
    night_limit = float(limits["night"])
    base = {
        "parameter": parameter,
        "measured_value": measured,
        "unit": unit,
        "standard": spec["standard"],
        "standard_name": _standard_name(spec),
        "period": period,
    }
    if parameter == "noise_lmax":
        if period == "day":
            return None
        if "night_lmax_allowance" in spec:
            kind = f"any {spec['standard']}"
            allowance = float(spec["night_lmax_allowance"])
        else:
            kind = "occasional" if context.sudden_occasional else "frequent"
            allowance = float(standards["noise"]["night_lmax_allowance"][kind])
        limit = night_limit + allowance
        notes.append(f"night limit {night_limit:g} + {allowance:g} dB(A) allowed for {kind} noise")
        if context.background_laeq is not None:
            notes.append("no background correction for the maximum level")
        exceeded = measured > limit
        return Verdict(
            **base,
            judged_value=measured,
            limit=limit,
            limit_kind="max",
            exceeded=exceeded,
            excess=_clean(measured - limit) if exceeded else 0.0,
            notes=tuple(notes),
        )
    limit = float(limits[period])
    judged = measured
    if context.background_laeq is not None:
        try:
            background = normalise_reading(
                "noise_background", context.background_laeq, None, catalogue=catalogue
            )
        except ReadingError as error:
            raise ReadingError("background_laeq", error.message) from None
        correction = standards["noise"]["background_correction"]
        difference = math.floor(round(measured - background, 6) + 0.5)
        if difference < correction["remeasure_below"]:
            notes.append(
                f"measured {measured:g} - background {background:g} = {difference} dB(A), "
                f"under {correction['remeasure_below']} dB(A): reduce the background and measure again"
            )
            return Verdict(
                **base,
                judged_value=None,
                limit=limit,
                limit_kind="max",
                exceeded=False,
                excess=None,
                remeasure=True,
                notes=tuple(notes),
            )
        band = next(b for b in correction["bands"] if difference >= b["min_difference"])
        judged = _clean(measured - band["subtract"])
        notes.append(
            f"background {background:g} dB(A), difference {difference} dB(A): "
            f"subtract {band['subtract']} dB(A)"
        )
    exceeded = judged > limit
    return Verdict(
        **base,
        judged_value=judged,
        limit=limit,
        limit_kind="max",
        exceeded=exceeded,
        excess=_clean(judged - limit) if exceeded else 0.0,
        notes=tuple(notes),
    )


# --- odour -------------------------------------------------------------------------------


def _judge_odour(
    parameter: str, measured: float, unit: str, context: JudgeContext, standards: Standards, notes: list[str]
) -> Verdict:
    spec = standards["odour"]
    grade = spec["default_grade"] if context.odour_grade is None else context.odour_grade
    new_source = spec["default_new_source"] if context.odour_new_source is None else context.odour_new_source
    columns = spec["limits"][parameter].get(str(grade)) if not isinstance(grade, bool) else None
    if columns is None:
        raise ReadingError("odour_grade", f"odour grade must be 1, 2 or 3, got {grade!r}")
    if "any" in columns:
        column = "any"
    else:
        column = "new" if new_source else "existing"
    limit = float(columns[column])
    label = f"grade {grade}" if column == "any" else f"grade {grade}, {column} source"
    notes.append(f"{label} column")
    if spec.get("status") == "unconfirmed":
        notes.append(f"limits unconfirmed; source: {spec['source']}")
    exceeded = measured > limit
    return Verdict(
        parameter=parameter,
        measured_value=measured,
        judged_value=measured,
        unit=unit,
        standard=spec["standard"],
        standard_name=_standard_name(spec),
        limit=limit,
        limit_kind="max",
        exceeded=exceeded,
        excess=_clean(measured - limit) if exceeded else 0.0,
        notes=tuple(notes),
    )


# --- air -------------------------------------------------------------------------------


def _as_local_date(on_date: date, standards: Standards) -> date:
    if isinstance(on_date, datetime):
        if on_date.tzinfo is None or on_date.utcoffset() is None:
            return on_date.date()
        return on_date.astimezone(ZoneInfo(standards["timezone"])).date()
    if not isinstance(on_date, date):
        raise ReadingError("measured_at", f"a date is needed, got {on_date!r}")
    return on_date


def aqi_table_version(on_date: date, *, standards: Standards | None = None) -> dict[str, Any]:
    """The breakpoint table in force on ``on_date`` (the latest with valid_from <= on_date)."""
    standards = standards or load_standards()
    on_date = _as_local_date(on_date, standards)
    chosen = None
    for version in sorted(standards["air"]["versions"], key=lambda v: v["valid_from"]):
        if date.fromisoformat(version["valid_from"]) <= on_date:
            chosen = version
    if chosen is None:
        raise ReadingError("measured_at", f"no AQI breakpoint table is in force on {on_date.isoformat()}")
    return chosen


def _averaging_for(pollutant: str, averaging: str | None, standards: Standards) -> str:
    chosen = standards["air"]["default_averaging"][pollutant] if averaging is None else averaging
    if chosen not in AVERAGINGS:
        raise ReadingError("averaging", f"averaging must be one of {', '.join(AVERAGINGS)}, got {chosen!r}")
    return chosen


def _iaqi(
    pollutant: str, concentration: float, averaging: str, version: dict[str, Any], standards: Standards
) -> tuple[int, list[str]]:
    column_key = f"{pollutant}_{averaging}"
    column = version["breakpoints"].get(column_key)
    if column is None:
        raise ReadingError(
            "averaging", f"{version['standard']} has no {averaging} breakpoints for {pollutant}"
        )
    levels = version["iaqi"]
    notes: list[str] = []
    last = max(i for i, bp in enumerate(column) if bp is not None)
    if concentration > column[last]:
        beyond = standards["air"]["beyond_table"].get(column_key)
        if beyond is not None:
            raise ReadingError(
                "value",
                f"{pollutant} {averaging} {concentration:g} is above {column[last]:g}: "
                f"{beyond['note']} (averaging {beyond['use']})",
            )
        notes.append(f"{pollutant} above the top of the table; IAQI held at {levels[last]}")
        return int(levels[last]), notes
    for i in range(1, last + 1):
        low, high = column[i - 1], column[i]
        if concentration <= high:
            raw = (levels[i] - levels[i - 1]) / (high - low) * (concentration - low) + levels[i - 1]
            break
    else:
        raise AssertionError("a concentration within the table falls in one of its segments")
    # Rounded first so a value that is exactly a breakpoint does not round up past it.
    raw = round(raw, 6)
    if standards["air"]["iaqi_rounding"] == "ceil":
        return int(math.ceil(raw)), notes
    return int(math.floor(raw + 0.5)), notes


def iaqi(
    pollutant: str,
    concentration: float,
    averaging: str | None,
    on_date: date,
    *,
    standards: Standards | None = None,
) -> int:
    """IAQI (HJ 633) of ``concentration`` in the canonical unit (ug/m3; CO mg/m3).

    ``averaging`` None takes the default (24h; O3 1h). The table is the one in force on
    ``on_date``. Above the top breakpoint the IAQI is held at 500; an SO2 1h or O3 8h value
    beyond its column raises ReadingError (HJ 633 reports the other averaging instead).
    """
    standards = standards or load_standards()
    if pollutant not in AIR_PARAMETERS:
        raise ReadingError(
            "parameter", f"no AQI breakpoints for {pollutant!r}; one of {', '.join(AIR_PARAMETERS)}"
        )
    concentration = normalise_reading(pollutant, concentration, None)
    version = aqi_table_version(on_date, standards=standards)
    value, _ = _iaqi(
        pollutant, concentration, _averaging_for(pollutant, averaging, standards), version, standards
    )
    return value


def aqi_band(index: int, *, standards: Standards | None = None) -> tuple[str, str]:
    """(band, Chinese label) of an AQI or IAQI value: excellent/优 ... severe/严重污染."""
    standards = standards or load_standards()
    for band in standards["air"]["bands"]:
        if band["max"] is None or index <= band["max"]:
            return band["band"], band["band_zh"]
    raise AssertionError("the last AQI band must be open-ended")


def aqi(*readings: Measurement, on_date: date, standards: Standards | None = None) -> AqiResult:
    """AQI of several pollutant readings: the largest IAQI, its band and the primary pollutant(s).

    Primary pollutants are named only when the AQI is above 50; ties are all named. A pollutant
    may come with two averagings (e.g. O3 1h and 8h). An SO2 1h or O3 8h value beyond its
    column is skipped when the pollutant's other averaging is given too.
    """
    standards = standards or load_standards()
    if not readings:
        raise ReadingError("parameter", "no readings to compute an AQI from")
    version = aqi_table_version(on_date, standards=standards)
    keyed: dict[tuple[str, str], float] = {}
    for reading in readings:
        if reading.parameter not in AIR_PARAMETERS:
            raise ReadingError(
                "parameter",
                f"no AQI breakpoints for {reading.parameter!r}; one of {', '.join(AIR_PARAMETERS)}",
            )
        averaging = _averaging_for(reading.parameter, reading.averaging, standards)
        key = (reading.parameter, averaging)
        if key in keyed:
            raise ReadingError("parameter", f"{reading.parameter} {averaging} is given twice")
        keyed[key] = normalise_reading(reading.parameter, reading.value, reading.unit)
    subs: list[SubIndex] = []
    notes: list[str] = []
    for (pollutant, averaging), concentration in keyed.items():
        try:
            value, more = _iaqi(pollutant, concentration, averaging, version, standards)
        except ReadingError as error:
            beyond = standards["air"]["beyond_table"].get(f"{pollutant}_{averaging}")
            if error.field == "value" and beyond and (pollutant, beyond["use"]) in keyed:
                notes.append(error.message)
                continue
            raise
        notes.extend(more)
        subs.append(SubIndex(pollutant, averaging, concentration, value))
    top = max(s.iaqi for s in subs)
    band, band_zh = aqi_band(top, standards=standards)
    primary: tuple[str, ...] = ()
    if top > standards["air"]["primary_pollutant_above_aqi"]:
        primary = tuple(dict.fromkeys(s.parameter for s in subs if s.iaqi == top))
    over = tuple(
        dict.fromkeys(s.parameter for s in subs if s.iaqi > standards["air"]["exceedance_above_iaqi"])
    )
    if version.get("status") == "unconfirmed":
        notes.append(f"breakpoints unconfirmed; source: {version['source']}")
    return AqiResult(
        aqi=top,
        band=band,
        band_zh=band_zh,
        primary_pollutants=primary,
        over_standard=over,
        sub_indices=tuple(subs),
        standard=version["standard"],
        notes=tuple(notes),
    )


def _judge_air(
    parameter: str,
    measured: float,
    unit: str,
    on_date: date,
    context: JudgeContext,
    standards: Standards,
    notes: list[str],
) -> Verdict:
    version = aqi_table_version(on_date, standards=standards)
    averaging = _averaging_for(parameter, context.averaging, standards)
    index, more = _iaqi(parameter, measured, averaging, version, standards)
    notes.extend(more)
    notes.append(f"{averaging} average")
    if version.get("status") == "unconfirmed":
        notes.append(f"breakpoints unconfirmed; source: {version['source']}")
    threshold = standards["air"]["exceedance_above_iaqi"]
    limit = float(version["breakpoints"][f"{parameter}_{averaging}"][version["iaqi"].index(threshold)])
    band, band_zh = aqi_band(index, standards=standards)
    exceeded = index > threshold
    return Verdict(
        parameter=parameter,
        measured_value=measured,
        judged_value=measured,
        unit=unit,
        standard=version["standard"],
        standard_name=_standard_name(version),
        limit=limit,
        limit_kind="max",
        exceeded=exceeded,
        excess=_clean(measured - limit) if exceeded else 0.0,
        grade=band,
        grade_zh=band_zh,
        index=index,
        notes=tuple(notes),
    )


# --- surface water -------------------------------------------------------------------------


def _meets(kind: str, value: float, limit: Any) -> bool:
    if kind == "max":
        return value <= limit
    if kind == "min":
        return value >= limit
    low, high = limit
    return low <= value <= high


def _beyond(kind: str, value: float, limit: Any) -> float:
    if kind == "max":
        return value - limit
    if kind == "min":
        return limit - value
    low, high = limit
    return low - value if value < low else value - high


def water_class(parameter: str, value: float, *, standards: Standards | None = None) -> str:
    """The best GB 3838-2002 class (I..V) ``value`` meets, or "worse than V"."""
    standards = standards or load_standards()
    spec = standards["surface_water"]
    limits = spec["limits"].get(parameter)
    if limits is None:
        raise ReadingError("parameter", f"{parameter!r} has no class limits in {spec['standard']}")
    for cls in spec["classes"]:
        if _meets(limits["kind"], value, limits[cls]):
            return cls
    return spec["worse_than_last"]


def _judge_surface_water(
    parameter: str, measured: float, unit: str, context: JudgeContext, standards: Standards, notes: list[str]
) -> Verdict:
    spec = standards["surface_water"]
    classes = spec["classes"]
    target = (
        spec["default_target_class"] if context.water_target_class is None else context.water_target_class
    )
    if target not in classes:
        raise ReadingError(
            "water_target_class", f"target class must be one of {', '.join(classes)}, got {target!r}"
        )
    limits = spec["limits"][parameter]
    kind = limits["kind"]
    reached = water_class(parameter, measured, standards=standards)
    rank = classes.index(reached) if reached in classes else len(classes)
    exceeded = rank > classes.index(target)
    limit: float | tuple[float, float]
    if kind == "range":
        limit = (float(limits[target][0]), float(limits[target][1]))
    else:
        limit = float(limits[target])
    if "note" in limits:
        notes.append(limits["note"])
    notes.append(f"target class {target}")
    return Verdict(
        parameter=parameter,
        measured_value=measured,
        judged_value=measured,
        unit=unit,
        standard=spec["standard"],
        standard_name=_standard_name(spec),
        limit=limit,
        limit_kind=kind,
        exceeded=exceeded,
        excess=_clean(_beyond(kind, measured, limit)) if exceeded else 0.0,
        grade=reached,
        grade_zh=f"{reached}类" if reached in classes else spec["worse_than_last_zh"],
        notes=tuple(notes),
    )


# --- black-odorous water --------------------------------------------------------------------


def black_odorous_level(parameter: str, value: float, *, standards: Standards | None = None) -> str:
    """ "none", "light" or "heavy" for one transparency (cm), DO (mg/L), ORP (mV) or NH3-N (mg/L) value."""
    standards = standards or load_standards()
    spec = standards["black_odorous"]["limits"].get(parameter)
    if spec is None:
        known = ", ".join(standards["black_odorous"]["limits"])
        raise ReadingError("parameter", f"{parameter!r} is not a black-odorous parameter; one of {known}")
    if spec["worse"] == "lower":
        if value < spec["heavy_below"]:
            return "heavy"
        return "light" if value <= spec["light_at_or_below"] else "none"
    if value > spec["heavy_above"]:
        return "heavy"
    return "light" if value >= spec["light_at_or_above"] else "none"


def _judge_black_odorous(
    parameter: str, measured: float, unit: str, standards: Standards, notes: list[str]
) -> Verdict:
    spec = standards["black_odorous"]
    limits = spec["limits"][parameter]
    level = black_odorous_level(parameter, measured, standards=standards)
    if limits["worse"] == "lower":
        limit, kind, beyond = (
            float(limits["light_at_or_below"]),
            "above",
            limits["light_at_or_below"] - measured,
        )
    else:
        limit, kind, beyond = (
            float(limits["light_at_or_above"]),
            "below",
            measured - limits["light_at_or_above"],
        )
    if "note" in limits:
        notes.append(limits["note"])
    exceeded = level != "none"
    return Verdict(
        parameter=parameter,
        measured_value=measured,
        judged_value=measured,
        unit=unit,
        standard=spec["standard"],
        standard_name=_standard_name(spec),
        limit=limit,
        limit_kind=kind,
        exceeded=exceeded,
        excess=_clean(beyond) if exceeded else 0.0,
        grade=level,
        grade_zh=spec["grades"][level]["label_zh"],
        notes=tuple(notes),
    )


def grade_black_odorous(
    readings: Iterable[Measurement], *, standards: Standards | None = None
) -> BlackOdorousResult:
    """Overall black-odorous grade of one monitoring point from its readings (several per parameter allowed).

    Heavy if one parameter has at least 60% of its readings heavy, or two parameters at least
    30% each; otherwise light if any reading is light or heavy; otherwise none.
    """
    standards = standards or load_standards()
    spec = standards["black_odorous"]
    rule = spec["point_rule"]
    order = {"none": 0, "light": 1, "heavy": 2}
    levels: dict[str, list[str]] = {}
    for reading in readings:
        if reading.parameter not in spec["limits"]:
            known = ", ".join(spec["limits"])
            raise ReadingError(
                "parameter", f"{reading.parameter!r} is not a black-odorous parameter; one of {known}"
            )
        value = normalise_reading(reading.parameter, reading.value, reading.unit)
        levels.setdefault(reading.parameter, []).append(
            black_odorous_level(reading.parameter, value, standards=standards)
        )
    if not levels:
        raise ReadingError("parameter", "no black-odorous readings to grade")
    share = {p: sum(1 for lv in lvs if lv == "heavy") / len(lvs) for p, lvs in levels.items()}
    worst = {p: max(lvs, key=order.__getitem__) for p, lvs in levels.items()}
    heavy = any(s >= rule["heavy_if_one_parameter_share"] for s in share.values()) or (
        sum(1 for s in share.values() if s >= rule["heavy_if_two_parameters_share"]) >= 2
    )
    if heavy:
        grade = "heavy"
    elif any(lv != "none" for lv in worst.values()):
        grade = "light"
    else:
        grade = "none"
    notes = (
        (f"point rule unconfirmed; source: {rule['source']}",) if rule.get("status") == "unconfirmed" else ()
    )
    return BlackOdorousResult(
        grade=grade,
        grade_zh=spec["grades"][grade]["label_zh"],
        by_parameter=worst,
        heavy_share=share,
        standard=spec["standard"],
        notes=notes,
    )
