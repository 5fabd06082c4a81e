"""The noise standard follows the category and where the reading was taken, and the verdict says why."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ecogrid.inspections.readings import JudgeContext, judge_reading
from ecogrid.inspections.readings.noise_choice import choose_noise_setting

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 5, 15, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
NIGHT = datetime(2026, 5, 15, 23, 0, tzinfo=SHANGHAI).astimezone(UTC)


def judge(parameter, value, *, when, setting, noise_class="1"):
    return judge_reading(parameter=parameter, value=value, unit="dB(A)", measured_at=when,
                         context=JudgeContext(noise_class=noise_class, noise_setting=setting))


@pytest.mark.parametrize(("category", "point", "setting", "standard"), [
    ("noise_construction", None, "construction_boundary", "GB 12523-2011"),
    ("noise_construction", "boundary", "construction_boundary", "GB 12523-2011"),
    ("noise_construction", "environment", "environment", "GB 3096-2008"),
    ("noise_industrial", None, "industrial_boundary", "GB 12348-2008"),
    ("noise_social", "boundary", "social_boundary", "GB 22337-2008"),
    ("noise_social", "environment", "environment", "GB 3096-2008"),
    ("noise_traffic", None, "environment", "GB 3096-2008"),
    ("noise_traffic", "boundary", "environment", "GB 3096-2008"),
])
def test_standard_is_chosen_by_category_and_measuring_point(category, point, setting, standard):
    choice = choose_noise_setting(category, point)
    assert (choice.setting, choice.standard) == (setting, standard)
    assert standard in choice.reason_zh and standard in choice.reason_en


def test_the_reason_says_when_the_point_was_assumed_and_when_no_boundary_standard_exists():
    assert "未注明测点" in choose_noise_setting("noise_construction").reason_zh
    assert "未注明测点" not in choose_noise_setting("noise_construction", "boundary").reason_zh
    assert "无适用的边界排放标准" in choose_noise_setting("noise_traffic", "boundary").reason_zh
    with pytest.raises(ValueError):
        choose_noise_setting("noise_social", "roof")


@pytest.mark.parametrize("noise_class", ["0", "1", "4a", None])
def test_construction_site_boundary_is_70_by_day_and_55_at_night_whatever_the_zone(noise_class):
    assert judge("noise_laeq", 70, when=DAY, setting="construction_boundary", noise_class=noise_class).exceeded is False
    day = judge("noise_laeq", 70.1, when=DAY, setting="construction_boundary", noise_class=noise_class)
    assert day.exceeded and day.limit == 70 and day.standard == "GB 12523-2011"
    night = judge("noise_laeq", 58, when=NIGHT, setting="construction_boundary", noise_class=noise_class)
    assert night.exceeded and night.limit == 55 and night.excess == 3


def test_construction_night_maximum_may_exceed_the_limit_by_15_and_no_more():
    assert judge("noise_lmax", 70, when=NIGHT, setting="construction_boundary").exceeded is False
    over = judge("noise_lmax", 70.5, when=NIGHT, setting="construction_boundary")
    assert over.exceeded and over.limit == 70 and over.excess == 0.5
    # The same 70.5 dB(A) maximum judged as frequent noise at an enterprise boundary (class 4: 55 + 10).
    assert judge("noise_lmax", 70.5, when=NIGHT, setting="industrial_boundary", noise_class="4").limit == 65


def test_a_construction_reading_is_no_longer_judged_against_the_zone_class():
    # 62 dB(A) by day at a class 1 zone: over GB 3096 class 1 (55), within GB 12523 (70).
    assert judge("noise_laeq", 62, when=DAY, setting="environment").exceeded is True
    assert judge("noise_laeq", 62, when=DAY, setting="construction_boundary").exceeded is False
