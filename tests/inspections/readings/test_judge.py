import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ecogrid.inspections.readings import (
    JudgeContext,
    Measurement,
    ReadingError,
    aqi,
    aqi_band,
    aqi_table_version,
    black_odorous_level,
    grade_black_odorous,
    iaqi,
    judge_reading,
    load_standards,
    water_class,
)
from ecogrid.inspections.readings.judge import DEFAULT_STANDARDS_PATH

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0, second: int = 0, *, day: date = date(2024, 5, 15)) -> datetime:
    """A UTC datetime that is the given wall-clock time in Shanghai."""
    wall = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)
    return wall.astimezone(UTC)


DAY = local(10)
NIGHT = local(23)


def judge(parameter, value, unit=None, *, when=DAY, **context):
    return judge_reading(
        parameter=parameter, value=value, unit=unit, measured_at=when, context=JudgeContext(**context)
    )


# --- noise: limits by setting, class and period ---------------------------------------------

NOISE_LIMITS = [
    ("environment", "0", 50, 40),
    ("environment", "1", 55, 45),
    ("environment", "2", 60, 50),
    ("environment", "3", 65, 55),
    ("environment", "4a", 70, 55),
    ("environment", "4b", 70, 60),
    *[
        (setting, cls, day, night)
        for setting in ("industrial_boundary", "social_boundary")
        for cls, day, night in (("0", 50, 40), ("1", 55, 45), ("2", 60, 50), ("3", 65, 55), ("4", 70, 55))
    ],
]
STANDARD_OF_SETTING = {
    "environment": "GB 3096-2008",
    "industrial_boundary": "GB 12348-2008",
    "social_boundary": "GB 22337-2008",
}


@pytest.mark.parametrize(("setting", "cls", "day_limit", "night_limit"), NOISE_LIMITS)
@pytest.mark.parametrize("period", ["day", "night"])
def test_noise_at_the_limit_passes_and_just_above_exceeds(setting, cls, day_limit, night_limit, period):
    limit = day_limit if period == "day" else night_limit
    when = DAY if period == "day" else NIGHT
    at_limit = judge("noise_laeq", limit, "dB(A)", when=when, noise_class=cls, noise_setting=setting)
    above = judge("noise_laeq", limit + 0.1, "dB(A)", when=when, noise_class=cls, noise_setting=setting)
    assert at_limit.period == period
    assert at_limit.limit == limit
    assert at_limit.standard == STANDARD_OF_SETTING[setting]
    assert not at_limit.exceeded and at_limit.excess == 0
    assert above.exceeded
    assert above.excess == pytest.approx(0.1)


@pytest.mark.parametrize("setting", ["industrial_boundary", "social_boundary"])
@pytest.mark.parametrize("cls", ["4a", "4b"])
def test_boundary_standards_judge_4a_and_4b_as_class_4(setting, cls):
    verdict = judge("noise_laeq", 56, when=NIGHT, noise_class=cls, noise_setting=setting)
    assert verdict.limit == 55 and verdict.exceeded
    assert any("class 4" in note for note in verdict.notes)


def test_environment_standard_refuses_undivided_class_4():
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 60, noise_class="4")
    assert caught.value.field == "noise_class"


def test_noise_without_class_or_with_unknown_setting_is_refused():
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 60)
    assert caught.value.field == "noise_class"
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 60, noise_class="2", noise_setting="construction")
    assert caught.value.field == "noise_setting"


# --- noise: day and night in Shanghai time from UTC datetimes ----------------------------------


@pytest.mark.parametrize(
    ("utc", "period"),
    [
        (datetime(2024, 5, 14, 22, 0, tzinfo=UTC), "day"),  # 06:00 local
        (datetime(2024, 5, 14, 21, 59, 59, tzinfo=UTC), "night"),  # 05:59:59 local
        (datetime(2024, 5, 15, 14, 0, tzinfo=UTC), "night"),  # 22:00 local
        (datetime(2024, 5, 15, 13, 59, 59, tzinfo=UTC), "day"),  # 21:59:59 local
        (datetime(2024, 5, 15, 16, 0, tzinfo=UTC), "night"),  # midnight local
    ],
)
def test_day_and_night_follow_shanghai_time(utc, period):
    verdict = judge("noise_laeq", 55, when=utc, noise_class="2")
    assert verdict.period == period
    # 55 dB(A) in class 2 passes by day (60) and exceeds at night (50).
    assert verdict.exceeded is (period == "night")


def test_other_time_zones_are_converted_before_deciding_the_period():
    tokyo = timezone(timedelta(hours=9))
    # 07:00 in Tokyo is 06:00 in Shanghai.
    six_local = datetime(2024, 5, 15, 7, 0, tzinfo=tokyo)
    assert judge("noise_laeq", 55, when=six_local, noise_class="2").period == "day"
    just_before = datetime(2024, 5, 15, 6, 59, tzinfo=tokyo)
    assert judge("noise_laeq", 55, when=just_before, noise_class="2").period == "night"


def test_local_government_may_shift_day_and_night():
    shifted = {"noise_class": "2", "day_start": 7, "night_start": 23}
    assert judge("noise_laeq", 55, when=local(6, 30), **shifted).period == "night"
    assert judge("noise_laeq", 55, when=local(22, 30), **shifted).period == "day"
    assert judge("noise_laeq", 55, when=local(23), **shifted).period == "night"


def test_naive_time_is_refused():
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 55, when=datetime(2024, 5, 15, 10, 0), noise_class="2")
    assert caught.value.field == "measured_at"


@pytest.mark.parametrize(
    ("day_start", "night_start", "field"),
    [(24, 22, "day_start"), (6, 24, "night_start"), (22, 6, "night_start")],
)
def test_bad_day_night_hours_are_refused(day_start, night_start, field):
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 55, noise_class="2", day_start=day_start, night_start=night_start)
    assert caught.value.field == field


# --- noise: background correction --------------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "judged"),
    [
        (40, 60),  # difference 20: no correction
        (49, 60),  # 11: none
        (50, 59),  # 10: subtract 1
        (54, 59),  # 6: subtract 1
        (55, 58),  # 5: subtract 2
        (56, 58),  # 4: subtract 2
        (57, 57),  # 3: subtract 3
        (57.5, 57),  # 2.5 rounds to 3: subtract 3
    ],
)
def test_background_correction_bands(background, judged):
    verdict = judge("noise_laeq", 60, when=NIGHT, noise_class="2", background_laeq=background)
    assert verdict.judged_value == judged
    assert verdict.measured_value == 60
    assert not verdict.remeasure


def test_background_difference_is_rounded_to_whole_decibels():
    assert judge("noise_laeq", 60, noise_class="2", background_laeq=49.6).judged_value == 59  # 10.4 -> 10
    assert judge("noise_laeq", 60, noise_class="2", background_laeq=49.5).judged_value == 60  # 10.5 -> 11


@pytest.mark.parametrize("background", [57.6, 58, 60, 65])
def test_background_within_3_db_means_remeasure_and_no_exceedance(background):
    verdict = judge("noise_laeq", 60, when=NIGHT, noise_class="0", background_laeq=background)
    assert verdict.remeasure
    assert not verdict.exceeded
    assert verdict.judged_value is None and verdict.excess is None
    assert verdict.limit == 40


def test_background_correction_can_turn_an_exceedance_into_a_pass():
    assert judge("noise_laeq", 61.5, noise_class="2").exceeded
    corrected = judge("noise_laeq", 61.5, noise_class="2", background_laeq=56)  # 5.5 -> 6: subtract 1
    assert corrected.judged_value == 60.5 and corrected.exceeded
    corrected = judge("noise_laeq", 61.5, noise_class="2", background_laeq=56.6)  # 4.9 -> 5: subtract 2
    assert corrected.judged_value == 59.5 and not corrected.exceeded


def test_bad_background_names_its_field():
    with pytest.raises(ReadingError) as caught:
        judge("noise_laeq", 60, noise_class="2", background_laeq=float("nan"))
    assert caught.value.field == "background_laeq"


# --- noise: night maximum level ---------------------------------------------------------------


def test_night_lmax_may_exceed_the_night_limit_by_10_db_when_frequent():
    assert not judge("noise_lmax", 60, when=NIGHT, noise_class="2").exceeded  # night limit 50 + 10
    verdict = judge("noise_lmax", 60.5, when=NIGHT, noise_class="2")
    assert verdict.exceeded and verdict.limit == 60 and verdict.excess == 0.5


def test_night_lmax_may_exceed_by_15_db_when_sudden_and_occasional():
    assert not judge("noise_lmax", 65, when=NIGHT, noise_class="2", sudden_occasional=True).exceeded
    verdict = judge("noise_lmax", 65.1, when=NIGHT, noise_class="2", sudden_occasional=True)
    assert verdict.exceeded and verdict.limit == 65


def test_lmax_allowance_applies_to_boundary_standards():
    verdict = judge("noise_lmax", 66, when=NIGHT, noise_class="4", noise_setting="industrial_boundary")
    assert verdict.limit == 65 and verdict.exceeded and verdict.standard == "GB 12348-2008"


@pytest.mark.parametrize("parameter", ["noise_background", "wind_direction", "wind_speed"])
def test_readings_without_a_standard_get_no_verdict(parameter):
    assert judge(parameter, 5, noise_class="2") is None


def test_daytime_lmax_gets_no_verdict():
    assert judge("noise_lmax", 90, when=DAY, noise_class="2") is None


# --- odour -----------------------------------------------------------------------------------

ODOUR_LIMITS = [
    ("odour_concentration", 1, True, 10),
    ("odour_concentration", 1, False, 10),
    ("odour_concentration", 2, True, 20),
    ("odour_concentration", 2, False, 30),
    ("odour_concentration", 3, True, 60),
    ("odour_concentration", 3, False, 70),
    ("nh3", 1, True, 1.0),
    ("nh3", 1, False, 1.0),
    ("nh3", 2, True, 1.5),
    ("nh3", 2, False, 2.0),
    ("nh3", 3, True, 4.0),
    ("nh3", 3, False, 5.0),
    ("h2s", 1, True, 0.03),
    ("h2s", 1, False, 0.03),
    ("h2s", 2, True, 0.06),
    ("h2s", 2, False, 0.10),
    ("h2s", 3, True, 0.32),
    ("h2s", 3, False, 0.60),
]


@pytest.mark.parametrize(("parameter", "grade", "new_source", "limit"), ODOUR_LIMITS)
def test_odour_limits_by_grade_and_column(parameter, grade, new_source, limit):
    context = {"odour_grade": grade, "odour_new_source": new_source}
    at_limit = judge(parameter, limit, **context)
    above = judge(parameter, limit * 1.01, **context)
    assert at_limit.limit == limit and not at_limit.exceeded
    assert above.exceeded
    assert at_limit.standard == "GB 14554-93"


def test_odour_default_is_grade_2_new_source_and_marked_unconfirmed():
    verdict = judge("odour_concentration", 25)
    assert verdict.limit == 20 and verdict.exceeded
    assert any("unconfirmed" in note for note in verdict.notes)


def test_odour_gas_given_in_micrograms_is_judged_in_milligrams():
    verdict = judge("nh3", 1600, "ug/m3", odour_grade=2, odour_new_source=True)
    assert verdict.measured_value == 1.6 and verdict.unit == "mg/m3"
    assert verdict.exceeded and verdict.excess == pytest.approx(0.1)
    assert any("1600 ug/m3" in note for note in verdict.notes)


@pytest.mark.parametrize("grade", [0, 4, "two"])
def test_unknown_odour_grade_is_refused(grade):
    with pytest.raises(ReadingError) as caught:
        judge("h2s", 0.01, odour_grade=grade)
    assert caught.value.field == "odour_grade"


# --- air: IAQI at every breakpoint of the HJ 633-2012 table -------------------------------------

IAQI_LEVELS = [50, 100, 150, 200, 300, 400, 500]
HJ633_2012 = {
    ("so2", "24h"): [50, 150, 475, 800, 1600, 2100, 2620],
    ("so2", "1h"): [150, 500, 650, 800],
    ("no2", "24h"): [40, 80, 180, 280, 565, 750, 940],
    ("no2", "1h"): [100, 200, 700, 1200, 2340, 3090, 3840],
    ("pm10", "24h"): [50, 150, 250, 350, 420, 500, 600],
    ("co", "24h"): [2, 4, 14, 24, 36, 48, 60],
    ("co", "1h"): [5, 10, 35, 60, 90, 120, 150],
    ("o3", "1h"): [160, 200, 300, 400, 800, 1000, 1200],
    ("o3", "8h"): [100, 160, 215, 265, 800],
    ("pm25", "24h"): [35, 75, 115, 150, 250, 350, 500],
}
BREAKPOINTS = [
    (pollutant, averaging, concentration, level)
    for (pollutant, averaging), column in HJ633_2012.items()
    for concentration, level in zip(column, IAQI_LEVELS, strict=False)
]
ON_2024 = date(2024, 5, 15)


@pytest.mark.parametrize(("pollutant", "averaging", "concentration", "level"), BREAKPOINTS)
def test_iaqi_is_exact_at_every_breakpoint(pollutant, averaging, concentration, level):
    assert iaqi(pollutant, concentration, averaging, ON_2024) == level


@pytest.mark.parametrize(("pollutant", "averaging"), sorted(HJ633_2012))
def test_iaqi_of_zero_is_zero(pollutant, averaging):
    assert iaqi(pollutant, 0, averaging, ON_2024) == 0


@pytest.mark.parametrize(
    ("pollutant", "averaging", "concentration", "expected"),
    [
        ("pm25", "24h", 55, 75),  # midway 35..75
        ("pm25", "24h", 35.1, 51),  # 50.125 rounds up
        ("pm25", "24h", 17.5, 25),
        ("pm25", "24h", 200, 250),  # midway 150..250 -> 200..300
        ("pm10", "24h", 100, 75),
        ("so2", "1h", 300, 72),  # 71.43 rounds up
        ("co", "24h", 3, 75),
        ("co", "1h", 7.5, 75),
        ("o3", "8h", 180, 119),  # 118.18 rounds up
        ("no2", "1h", 450, 125),
        ("no2", "24h", 60, 75),
        ("o3", "1h", 600, 250),
    ],
)
def test_iaqi_interpolates_between_breakpoints(pollutant, averaging, concentration, expected):
    assert iaqi(pollutant, concentration, averaging, ON_2024) == expected


def test_iaqi_is_held_at_500_above_the_table():
    assert iaqi("pm25", 700, "24h", ON_2024) == 500


@pytest.mark.parametrize(("pollutant", "averaging", "concentration"), [("so2", "1h", 801), ("o3", "8h", 801)])
def test_columns_that_stop_early_refuse_values_beyond_them(pollutant, averaging, concentration):
    with pytest.raises(ReadingError) as caught:
        iaqi(pollutant, concentration, averaging, ON_2024)
    assert caught.value.field == "value"


@pytest.mark.parametrize(("pollutant", "averaging"), [("pm25", "1h"), ("pm10", "8h"), ("so2", "2h")])
def test_averaging_without_breakpoints_is_refused(pollutant, averaging):
    with pytest.raises(ReadingError) as caught:
        iaqi(pollutant, 10, averaging, ON_2024)
    assert caught.value.field == "averaging"


def test_default_averaging_is_24h_except_ozone_1h():
    assert iaqi("pm25", 75, None, ON_2024) == 100
    assert iaqi("o3", 200, None, ON_2024) == 100  # 1h column; in the 8h column 200 is above 100


def test_iaqi_refuses_non_air_parameters():
    with pytest.raises(ReadingError) as caught:
        iaqi("cod", 10, None, ON_2024)
    assert caught.value.field == "parameter"


@pytest.mark.parametrize(
    ("index", "band", "band_zh"),
    [
        (0, "excellent", "优"),
        (50, "excellent", "优"),
        (51, "good", "良"),
        (100, "good", "良"),
        (101, "light", "轻度污染"),
        (150, "light", "轻度污染"),
        (151, "moderate", "中度污染"),
        (200, "moderate", "中度污染"),
        (201, "heavy", "重度污染"),
        (300, "heavy", "重度污染"),
        (301, "severe", "严重污染"),
        (500, "severe", "严重污染"),
    ],
)
def test_aqi_bands(index, band, band_zh):
    assert aqi_band(index) == (band, band_zh)


def test_air_verdict_exceeds_only_above_iaqi_100():
    at_limit = judge("pm25", 75)
    above = judge("pm25", 75.1)
    assert at_limit.index == 100 and at_limit.grade == "good" and not at_limit.exceeded
    assert above.index == 101 and above.grade == "light" and above.grade_zh == "轻度污染" and above.exceeded
    assert above.limit == 75 and above.excess == pytest.approx(0.1)
    assert above.standard == "HJ 633-2012"


def test_air_verdict_uses_context_averaging():
    assert not judge("o3", 200).exceeded
    verdict = judge("o3", 200, averaging="8h")
    assert verdict.exceeded and verdict.limit == 160 and verdict.index == 137  # 136.4 rounds up


def test_air_verdict_converts_units():
    verdict = judge("co", 4100, "ug/m3")
    assert verdict.measured_value == 4.1 and verdict.unit == "mg/m3" and verdict.exceeded


# --- air: the table version follows the observation date ---------------------------------------


def test_2026_revision_changes_only_the_pm_good_light_breakpoints():
    versions = {v["id"]: v for v in load_standards()["air"]["versions"]}
    old, new = versions["2012"]["breakpoints"], versions["2026"]["breakpoints"]
    changed = {
        (column, i, old[column][i], new[column][i])
        for column in old
        for i in range(len(old[column]))
        if old[column][i] != new[column][i]
    }
    assert changed == {("pm25_24h", 2, 75, 60), ("pm10_24h", 2, 150, 120)}
    assert versions["2026"]["status"] == "unconfirmed"
    assert "revised in 2026" in versions["2026"]["source"]
    assert versions["2026"]["valid_from"] == "2026-06-01"


def test_version_switches_on_2026_06_01():
    assert iaqi("pm25", 75, "24h", date(2026, 5, 31)) == 100
    assert iaqi("pm25", 75, "24h", date(2026, 6, 1)) == 114
    assert iaqi("pm25", 60, "24h", date(2026, 6, 1)) == 100
    assert iaqi("pm10", 120, "24h", date(2026, 5, 31)) == 85
    assert iaqi("pm10", 120, "24h", date(2026, 6, 1)) == 100
    assert aqi_table_version(date(2026, 6, 1))["standard"] != aqi_table_version(date(2026, 5, 31))["standard"]


def test_version_is_chosen_by_the_shanghai_date_of_the_reading():
    before = judge("pm25", 70, when=datetime(2026, 5, 31, 15, 59, 59, tzinfo=UTC))  # 23:59:59 local
    after = judge("pm25", 70, when=datetime(2026, 5, 31, 16, 0, tzinfo=UTC))  # 00:00 local, June 1
    assert before.standard == "HJ 633-2012" and not before.exceeded and before.limit == 75
    assert after.exceeded and after.limit == 60 and after.excess == 10
    assert any("unconfirmed" in note for note in after.notes)


def test_no_table_before_hj_633_was_issued():
    with pytest.raises(ReadingError) as caught:
        iaqi("pm25", 50, "24h", date(2011, 1, 1))
    assert caught.value.field == "measured_at"


# --- air: AQI of several pollutants --------------------------------------------------------------


def test_aqi_is_the_largest_iaqi_and_names_the_primary_pollutant():
    result = aqi(
        Measurement("pm25", 115),
        Measurement("pm10", 0.15, "mg/m3"),
        Measurement("o3", 160),
        Measurement("o3", 100, averaging="8h"),
        on_date=ON_2024,
    )
    assert result.aqi == 150 and result.band == "light" and result.band_zh == "轻度污染"
    assert result.primary_pollutants == ("pm25",)
    assert result.over_standard == ("pm25",)
    assert {(s.parameter, s.averaging): s.iaqi for s in result.sub_indices} == {
        ("pm25", "24h"): 150,
        ("pm10", "24h"): 100,
        ("o3", "1h"): 50,
        ("o3", "8h"): 50,
    }


def test_aqi_names_tied_primary_pollutants():
    result = aqi(Measurement("pm25", 75), Measurement("pm10", 150), Measurement("no2", 40), on_date=ON_2024)
    assert result.aqi == 100 and result.primary_pollutants == ("pm25", "pm10")
    assert result.over_standard == ()


def test_aqi_of_50_or_less_has_no_primary_pollutant():
    result = aqi(Measurement("pm25", 35), Measurement("so2", 10), on_date=ON_2024)
    assert result.aqi == 50 and result.band == "excellent" and result.primary_pollutants == ()


def test_aqi_reports_so2_24h_when_the_1h_value_is_beyond_its_column():
    result = aqi(Measurement("so2", 900, averaging="1h"), Measurement("so2", 400), on_date=ON_2024)
    assert [(s.averaging, s.iaqi) for s in result.sub_indices] == [("24h", 139)]
    with pytest.raises(ReadingError):
        aqi(Measurement("so2", 900, averaging="1h"), on_date=ON_2024)


def test_aqi_refuses_duplicates_and_empty_input():
    with pytest.raises(ReadingError) as caught:
        aqi(Measurement("pm25", 10), Measurement("pm25", 20), on_date=ON_2024)
    assert caught.value.field == "parameter"
    with pytest.raises(ReadingError) as caught:
        aqi(on_date=ON_2024)
    assert caught.value.field == "parameter"


# --- surface water (GB 3838-2002) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value", "cls"),
    [
        ("do", 7.5, "I"),
        ("do", 7.49, "II"),
        ("do", 6, "II"),
        ("do", 5.99, "III"),
        ("do", 5, "III"),
        ("do", 4.99, "IV"),
        ("do", 3, "IV"),
        ("do", 2, "V"),
        ("do", 1.99, "worse than V"),
        ("cod", 15, "I"),
        ("cod", 15.1, "III"),
        ("cod", 20, "III"),
        ("cod", 30, "IV"),
        ("cod", 40, "V"),
        ("cod", 40.1, "worse than V"),
        ("nh3n", 0.15, "I"),
        ("nh3n", 0.16, "II"),
        ("nh3n", 0.5, "II"),
        ("nh3n", 1.0, "III"),
        ("nh3n", 1.5, "IV"),
        ("nh3n", 2.0, "V"),
        ("nh3n", 2.01, "worse than V"),
        ("tp", 0.02, "I"),
        ("tp", 0.1, "II"),
        ("tp", 0.2, "III"),
        ("tp", 0.3, "IV"),
        ("tp", 0.4, "V"),
        ("tp", 0.41, "worse than V"),
        ("ph", 6, "I"),
        ("ph", 9, "I"),
        ("ph", 5.9, "worse than V"),
        ("ph", 9.1, "worse than V"),
    ],
)
def test_water_class_reached_at_the_edges(parameter, value, cls):
    assert water_class(parameter, value) == cls
    assert judge(parameter, value).grade == cls


def test_dissolved_oxygen_is_a_minimum():
    passing = judge("do", 5)
    failing = judge("do", 4.9)
    assert passing.limit_kind == "min" and passing.limit == 5 and not passing.exceeded
    assert failing.exceeded and failing.excess == pytest.approx(0.1) and failing.grade == "IV"


def test_water_exceeds_only_when_worse_than_the_target_class():
    assert not judge("cod", 20).exceeded  # class III meets the default target III
    assert judge("cod", 20.5).exceeded
    assert judge("cod", 20, water_target_class="II").exceeded
    verdict = judge("nh3n", 1.2, water_target_class="IV")
    assert not verdict.exceeded and verdict.limit == 1.5
    assert verdict.grade == "IV" and verdict.grade_zh == "IV类"


def test_ph_limit_is_a_range():
    verdict = judge("ph", 5.5)
    assert verdict.limit == (6, 9) and verdict.limit_kind == "range"
    assert verdict.exceeded and verdict.excess == 0.5 and verdict.grade_zh == "劣V类"


def test_unknown_target_class_is_refused():
    with pytest.raises(ReadingError) as caught:
        judge("cod", 10, water_target_class="VI")
    assert caught.value.field == "water_target_class"


# --- black-odorous water ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value", "level"),
    [
        ("transparency", 25.1, "none"),
        ("transparency", 25, "light"),
        ("transparency", 10, "light"),
        ("transparency", 9.9, "heavy"),
        ("do", 2.01, "none"),
        ("do", 2.0, "light"),
        ("do", 0.2, "light"),
        ("do", 0.19, "heavy"),
        ("orp", 50.1, "none"),
        ("orp", 50, "light"),
        ("orp", -200, "light"),
        ("orp", -200.1, "heavy"),
        ("nh3n", 7.9, "none"),
        ("nh3n", 8, "light"),
        ("nh3n", 15, "light"),
        ("nh3n", 15.1, "heavy"),
    ],
)
def test_black_odorous_levels_at_the_edges(parameter, value, level):
    assert black_odorous_level(parameter, value) == level
    verdict = judge(parameter, value, water_setting="black_odorous")
    assert verdict.grade == level and verdict.exceeded is (level != "none")


def test_transparency_and_orp_are_judged_as_black_odorous_water():
    verdict = judge("transparency", 0.08, "m")
    assert verdict.measured_value == 8 and verdict.grade == "heavy" and verdict.grade_zh == "重度黑臭"
    assert judge("orp", 100).grade == "none"


def test_do_is_judged_by_the_context_water_setting():
    assert judge("do", 1.0).standard == "GB 3838-2002"
    assert judge("do", 1.0, water_setting="black_odorous").grade == "light"
    with pytest.raises(ReadingError) as caught:
        judge("do", 1.0, water_setting="sea")
    assert caught.value.field == "water_setting"


@pytest.mark.parametrize(
    ("readings", "grade"),
    [
        ([("transparency", 40), ("do", 5), ("orp", 100), ("nh3n", 1)], "none"),
        ([("transparency", 40), ("do", 1.5), ("orp", 100), ("nh3n", 1)], "light"),
        ([("transparency", 40), ("do", 5), ("orp", -250), ("nh3n", 1)], "heavy"),
        # one heavy in three transparency readings (33%) alone stays light
        ([("transparency", 5), ("transparency", 20), ("transparency", 20)], "light"),
        # ...but with a second parameter 30%+ heavy the point is heavy
        (
            [
                ("transparency", 5),
                ("transparency", 20),
                ("transparency", 20),
                ("nh3n", 16),
                ("nh3n", 9),
                ("nh3n", 9),
            ],
            "heavy",
        ),
        # three heavy in five (60%) of one parameter is heavy
        ([("do", 0.1)] * 3 + [("do", 1)] * 2, "heavy"),
        ([("do", 0.1)] * 2 + [("do", 1)] * 3, "light"),
    ],
)
def test_overall_black_odorous_grade(readings, grade):
    result = grade_black_odorous([Measurement(p, v) for p, v in readings])
    assert result.grade == grade
    assert result.grade_zh == {"none": "不黑臭", "light": "轻度黑臭", "heavy": "重度黑臭"}[grade]


def test_overall_black_odorous_grade_reports_each_parameter():
    result = grade_black_odorous(
        [Measurement("transparency", 0.3, "m"), Measurement("orp", -0.25, "V"), Measurement("nh3n", 9)]
    )
    assert result.by_parameter == {"transparency": "none", "orp": "heavy", "nh3n": "light"}
    assert result.grade == "heavy"


def test_overall_black_odorous_grade_refuses_other_parameters_and_nothing():
    with pytest.raises(ReadingError) as caught:
        grade_black_odorous([Measurement("cod", 50)])
    assert caught.value.field == "parameter"
    with pytest.raises(ReadingError) as caught:
        grade_black_odorous([])
    assert caught.value.field == "parameter"


# --- the verdict keeps the limit it was judged against ----------------------------------------


def test_a_bureau_file_changes_new_verdicts_but_not_stored_ones(tmp_path):
    stored = judge("noise_laeq", 58, noise_class="2")
    raw = json.loads(DEFAULT_STANDARDS_PATH.read_text(encoding="utf-8"))
    raw["noise"]["settings"]["environment"]["limits"]["2"]["day"] = 55
    path = tmp_path / "standards.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    revised = judge_reading(
        parameter="noise_laeq",
        value=58,
        unit="dB(A)",
        measured_at=DAY,
        context=JudgeContext(noise_class="2"),
        standards=load_standards(path),
    )
    assert revised.limit == 55 and revised.exceeded
    assert stored.limit == 60 and not stored.exceeded


@pytest.mark.parametrize(
    ("parameter", "value", "unit", "field"),
    [("noise", 50, None, "parameter"), ("pm25", 50, "mg/L", "unit"), ("pm25", float("inf"), None, "value")],
)
def test_judge_reports_reading_errors_by_field(parameter, value, unit, field):
    with pytest.raises(ReadingError) as caught:
        judge(parameter, value, unit)
    assert caught.value.field == field
