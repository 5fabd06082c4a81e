import json
import math

import pytest

from ecogrid.inspections.readings import ReadingError, get_parameter, load_catalogue, normalise_reading
from ecogrid.inspections.readings.parameters import DEFAULT_PARAMETERS_PATH

CANONICAL_UNITS = {
    "noise_laeq": "dB(A)",
    "noise_lmax": "dB(A)",
    "noise_background": "dB(A)",
    "odour_concentration": "1",
    "h2s": "mg/m3",
    "nh3": "mg/m3",
    "pm25": "ug/m3",
    "pm10": "ug/m3",
    "so2": "ug/m3",
    "no2": "ug/m3",
    "o3": "ug/m3",
    "co": "mg/m3",
    "ph": "1",
    "do": "mg/L",
    "cod": "mg/L",
    "nh3n": "mg/L",
    "tp": "mg/L",
    "transparency": "cm",
    "orp": "mV",
    "wind_direction": "degrees",
    "wind_speed": "m/s",
}


@pytest.mark.parametrize(("parameter", "unit"), sorted(CANONICAL_UNITS.items()))
def test_catalogue_has_every_parameter_with_its_canonical_unit(parameter, unit):
    assert get_parameter(parameter).unit == unit


@pytest.mark.parametrize(("parameter", "unit"), sorted(CANONICAL_UNITS.items()))
def test_value_in_canonical_unit_passes_unchanged(parameter, unit):
    assert normalise_reading(parameter, 1.5, unit) == 1.5
    assert normalise_reading(parameter, 1.5, None) == 1.5


@pytest.mark.parametrize(
    ("parameter", "value", "unit", "expected"),
    [
        ("pm25", 0.075, "mg/m3", 75.0),
        ("pm10", 0.15, "mg/m³", 150.0),
        ("so2", 0.5, "mg/m3", 500.0),
        ("pm25", 75, "µg/m3", 75.0),
        ("pm25", 75, "μg/m³", 75.0),
        ("co", 4000, "ug/m3", 4.0),
        ("h2s", 60, "ug/m3", 0.06),
        ("nh3", 1500, "ug/m3", 1.5),
        ("transparency", 0.25, "m", 25.0),
        ("transparency", 100, "mm", 10.0),
        ("wind_speed", 36, "km/h", 10.0),
        ("wind_speed", 10, "knots", 5.144444444),
        ("orp", -0.2, "V", -200.0),
        ("nh3n", 500, "ug/L", 0.5),
        ("cod", 20, "mg/l", 20.0),
        ("noise_laeq", 55, "dBA", 55.0),
        ("ph", 7.2, "", 7.2),
        ("ph", 7.2, "pH", 7.2),
        ("odour_concentration", 20, "dimensionless", 20.0),
        ("odour_concentration", 20, "无量纲", 20.0),
    ],
)
def test_alternative_units_convert_to_canonical(parameter, value, unit, expected):
    assert normalise_reading(parameter, value, unit) == pytest.approx(expected, abs=1e-9)


def test_conversion_gives_exact_breakpoint_values():
    # A value on a limit must stay on it after conversion, or a pass would turn into an exceedance.
    assert normalise_reading("pm25", 0.075, "mg/m3") == 75
    assert normalise_reading("h2s", 60, "ug/m3") == 0.06


def test_accepted_units_are_listed_canonical_first():
    assert load_catalogue().accepted_units("pm25") == ("ug/m3", "mg/m3")
    assert load_catalogue().accepted_units("wind_speed")[0] == "m/s"


@pytest.mark.parametrize("parameter", ["pm2.5", "noise", "", "PM25"])
def test_unknown_parameter_names_the_parameter_field(parameter):
    with pytest.raises(ReadingError) as caught:
        normalise_reading(parameter, 10, None)
    assert caught.value.field == "parameter"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("parameter", "unit"),
    [
        ("pm25", "furlongs"),  # unknown unit
        ("pm25", "mg/L"),  # a water concentration is not an air concentration
        ("transparency", "m/s"),
        ("noise_laeq", "dB"),  # not A-weighted
        ("noise_laeq", "mg/m3"),
        ("wind_speed", "cm"),
    ],
)
def test_unit_that_cannot_be_converted_names_the_unit_field(parameter, unit):
    with pytest.raises(ReadingError) as caught:
        normalise_reading(parameter, 10, unit)
    assert caught.value.field == "unit"
    assert "accepted" in str(caught.value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "abc", None, True])
def test_non_finite_or_non_numeric_value_names_the_value_field(value):
    with pytest.raises(ReadingError) as caught:
        normalise_reading("pm25", value, "ug/m3")
    assert caught.value.field == "value"


@pytest.mark.parametrize(
    ("parameter", "value", "unit"),
    [
        ("pm25", -1, "ug/m3"),
        ("ph", 14.5, None),
        ("wind_direction", 361, "degrees"),
        ("wind_direction", -1, "degrees"),
        ("noise_laeq", 200, "dB(A)"),
        ("pm25", 5, "mg/m3"),  # 5000 ug/m3 after conversion: a unit mistake, not a reading
        ("do", 30, "mg/L"),
    ],
)
def test_implausible_value_names_the_value_field(parameter, value, unit):
    with pytest.raises(ReadingError) as caught:
        normalise_reading(parameter, value, unit)
    assert caught.value.field == "value"
    assert "plausible" in str(caught.value)


def test_wind_direction_accepts_the_whole_compass():
    assert normalise_reading("wind_direction", 0, "deg") == 0
    assert normalise_reading("wind_direction", 360, "°") == 360


def test_orp_may_be_negative():
    assert normalise_reading("orp", -250, "mV") == -250


def test_catalogue_path_can_be_overridden(tmp_path):
    raw = json.loads(DEFAULT_PARAMETERS_PATH.read_text(encoding="utf-8"))
    raw["parameters"]["pm25"]["max"] = 500
    path = tmp_path / "parameters.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    catalogue = load_catalogue(path)
    with pytest.raises(ReadingError) as caught:
        normalise_reading("pm25", 600, None, catalogue=catalogue)
    assert caught.value.field == "value"
    assert normalise_reading("pm25", 600, None) == 600
