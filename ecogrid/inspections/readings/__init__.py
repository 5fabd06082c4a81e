"""Monitoring readings: parameters, units, and verdicts against the national limits named below.

Parameters and units (``ecogrid.readings.parameters``, data in ``data/parameters.json``):

- ``normalise_reading(parameter, value, unit) -> float``: the value in the parameter's canonical
  unit (dB(A); ug/m3 for PM/SO2/NO2/O3; mg/m3 for CO, NH3, H2S; mg/L for water; cm; mV;
  degrees; m/s; "1" for dimensionless). Raises ``ReadingError`` (a ValueError) whose ``field``
  is "parameter", "unit" or "value".
- ``load_catalogue(path=None)``, ``get_parameter(parameter)``: the catalogue itself.

Verdicts (``ecogrid.readings.judge``, limits in ``data/standards.json``):

- ``judge_reading(*, parameter, value, unit, measured_at, context=JudgeContext()) -> Verdict | None``:
  noise (GB 3096-2008 / GB 12348-2008 / GB 22337-2008, day/night in Asia/Shanghai time,
  background correction, night Lmax allowance), odour (GB 14554-93), air (IAQI per HJ 633,
  exceeded when IAQI > 100, table chosen by date), surface water (GB 3838-2002 class reached
  against a target class) and black-odorous water (2015 guideline). None where no standard
  applies (background noise, wind, daytime Lmax). Context errors are ``ReadingError`` with
  ``field`` naming the context attribute (e.g. "noise_class").
- ``iaqi(pollutant, concentration, averaging, on_date) -> int`` and
  ``aqi(*measurements, on_date) -> AqiResult`` (AQI, band, primary pollutants).
- ``grade_black_odorous(measurements) -> BlackOdorousResult``: overall grade of a point;
  ``black_odorous_level(parameter, value)`` and ``water_class(parameter, value)`` for one value.
- ``load_standards(path=None)``: the limits; every judging function takes ``standards=`` to
  use a bureau's own file.
"""

from ecogrid.inspections.readings.judge import (
    AqiResult,
    BlackOdorousResult,
    JudgeContext,
    Measurement,
    SubIndex,
    Verdict,
    aqi,
    aqi_band,
    aqi_table_version,
    black_odorous_level,
    grade_black_odorous,
    iaqi,
    judge_reading,
    load_standards,
    noise_period,
    water_class,
)
from ecogrid.inspections.readings.parameters import (
    Catalogue,
    Parameter,
    ReadingError,
    get_parameter,
    load_catalogue,
    normalise_reading,
)

__all__ = [
    "AqiResult",
    "BlackOdorousResult",
    "Catalogue",
    "JudgeContext",
    "Measurement",
    "Parameter",
    "ReadingError",
    "SubIndex",
    "Verdict",
    "aqi",
    "aqi_band",
    "aqi_table_version",
    "black_odorous_level",
    "get_parameter",
    "grade_black_odorous",
    "iaqi",
    "judge_reading",
    "load_catalogue",
    "load_standards",
    "noise_period",
    "normalise_reading",
    "water_class",
]
