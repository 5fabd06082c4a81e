import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecogrid.cases import deadlines
from ecogrid.cases.deadlines import (
    DeadlineError,
    TimeLimitsError,
    add_calendar_days,
    add_working_days,
    due_at,
    working_days_between,
)

SH = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


# ------------------------------------------------------------------ the calendar as the package lists it


def test_the_calendar_knows_the_make_up_working_days_and_holidays_used_below():
    # Spring Festival 2025: 28 Jan - 4 Feb off; Sunday 26 Jan and Saturday 8 Feb worked.
    assert deadlines.is_working_day(date(2025, 1, 26)) and deadlines.is_working_day(date(2025, 2, 8))
    assert not any(deadlines.is_working_day(date(2025, 1, 28) + timedelta(days=i)) for i in range(8))
    # Spring Festival 2026: 15-23 Feb off; Saturdays 14 Feb and 28 Feb worked.
    assert deadlines.is_working_day(date(2026, 2, 14)) and deadlines.is_working_day(date(2026, 2, 28))
    assert not any(deadlines.is_working_day(date(2026, 2, 15) + timedelta(days=i)) for i in range(9))
    # National Day 2025: 1-8 Oct off; Sunday 28 Sep and Saturday 11 Oct worked.
    assert deadlines.is_working_day(date(2025, 9, 28)) and deadlines.is_working_day(date(2025, 10, 11))
    assert not any(deadlines.is_working_day(date(2025, 10, 1) + timedelta(days=i)) for i in range(8))


# ------------------------------------------------------------------ Spring Festival 2025


def test_friday_plus_one_working_day_lands_on_the_make_up_sunday():
    assert add_working_days(at(2025, 1, 24, 10), 1) == at(2025, 1, 26, 10)


def test_the_holiday_week_does_not_count():
    # Monday 27 Jan is the last working day before the break; the next is Wednesday 5 Feb.
    assert add_working_days(at(2025, 1, 27, 10), 1) == at(2025, 2, 5, 10)


def test_ordinary_12345_work_order_across_spring_festival_2025():
    # Working days after 27 Jan: 5, 6, 7, 8 (make-up Saturday), 10 Feb.
    due = due_at(
        channel="hotline_12345", urgency="ordinary", received_at=at(2025, 1, 27, 9), stage="conclusion"
    )
    assert due == at(2025, 2, 10, 9)
    assert due.calendar_fallback is False


def test_received_during_the_holiday_counts_from_the_first_working_day():
    # Received Thursday 30 Jan (holiday): 5 Feb is day 1, due at the end of it.
    assert add_working_days(at(2025, 1, 30, 15, 30), 1) == at(2025, 2, 6, 0)
    # Received on the rest Sunday after the make-up Saturday: Monday 10 Feb is day 1.
    assert add_working_days(at(2025, 2, 9, 10), 1) == at(2025, 2, 11, 0)


def test_received_on_an_ordinary_weekend_is_due_at_the_end_of_friday_not_on_monday():
    # Monday 10 Mar 2025 is day 1 of 5: due when Friday 14 Mar ends, so Saturday work is late.
    assert add_working_days(at(2025, 3, 8, 10), 5) == at(2025, 3, 15, 0)
    # Received at midnight on Monday: that Monday is day 1 as well.
    assert add_working_days(at(2025, 3, 10, 0), 5) == at(2025, 3, 15, 0)


def test_received_on_a_make_up_saturday_counts_from_that_day():
    assert add_working_days(at(2025, 2, 8, 10), 1) == at(2025, 2, 10, 10)


# ------------------------------------------------------------------ Spring Festival 2026


def test_spring_festival_2026_with_two_make_up_saturdays():
    start = at(2026, 2, 13, 10)  # Friday before the break
    assert add_working_days(start, 1) == at(2026, 2, 14, 10)  # make-up Saturday
    assert add_working_days(start, 2) == at(2026, 2, 24, 10)  # 15-23 Feb off
    # Complex work order, 15 working days: 14, 24, 25, 26, 27, 28 (Sat), 2, 3, 4, 5, 6, 9, 10, 11, 12 Mar.
    due = due_at(channel="hotline_12345", urgency="complex", received_at=start, stage="conclusion")
    assert due == at(2026, 3, 12, 10)


def test_urgent_work_order_on_the_eve_of_the_2026_break():
    due = due_at(
        channel="hotline_12345", urgency="urgent", received_at=at(2026, 2, 14, 16), stage="conclusion"
    )
    assert due == at(2026, 2, 24, 16)


# ------------------------------------------------------------------ National Day 2025


def test_national_day_2025():
    assert add_working_days(at(2025, 9, 26, 10), 1) == at(2025, 9, 28, 10)  # make-up Sunday
    assert add_working_days(at(2025, 9, 30, 17), 1) == at(2025, 10, 9, 17)  # 1-8 Oct off
    # Ordinary work order: 9, 10, 11 (make-up Saturday), 13, 14 Oct.
    due = due_at(channel="hotline_12345", urgency=None, received_at=at(2025, 9, 30, 9), stage="conclusion")
    assert due == at(2025, 10, 14, 9)


def test_received_on_national_day_is_due_at_the_end_of_the_nth_working_day():
    # 9 Oct is day 1; 5 working days: 9, 10, 11, 13, 14 -> end of 14 Oct.
    assert add_working_days(at(2025, 10, 3, 11), 5) == at(2025, 10, 15, 0)


# ------------------------------------------------------------------ local time, not UTC


def test_counting_uses_shanghai_dates_not_utc_dates():
    # 20:00 UTC on Friday 24 Jan is 04:00 on Saturday 25 Jan in Shanghai, a rest day; the next
    # working day is the make-up Sunday 26 Jan, so a 1-day limit ends at midnight after it.
    due = add_working_days(datetime(2025, 1, 24, 20, tzinfo=UTC), 1)
    assert due == at(2025, 1, 27, 0)
    assert due.utcoffset() == timedelta(hours=8)
    # The same instant read as UTC Friday would have given Sunday 20:00 UTC, a different moment.
    assert due != datetime(2025, 1, 26, 20, tzinfo=UTC)


def test_a_naive_datetime_is_refused():
    with pytest.raises(DeadlineError) as naive:
        add_working_days(datetime(2025, 1, 24, 10), 1)
    assert naive.value.field == "start"


def test_zero_days_and_negative_days():
    assert add_working_days(at(2025, 1, 24, 10), 0) == at(2025, 1, 24, 10)
    assert add_working_days(at(2025, 1, 25, 10), 0) == at(2025, 1, 26, 0)  # a rest Saturday waits for Sunday
    with pytest.raises(DeadlineError) as negative:
        add_working_days(at(2025, 1, 24, 10), -1)
    assert negative.value.field == "days"


# ------------------------------------------------------------------ years the calendar does not know


def test_an_unpublished_year_skips_the_rule_based_festivals_and_says_so():
    pytest.importorskip("holidays")
    # 1 Jan 2099 (a Thursday) is New Year's Day by rule; chinesecalendar has no data for 2099, so the
    # festival is skipped but no make-up day is known: Friday 2 Jan is day 1, Monday 5 Jan day 2.
    due = add_working_days(at(2099, 1, 1, 10), 2)
    assert due == at(2099, 1, 6, 0)
    assert due.calendar_fallback is True
    count = working_days_between(at(2099, 1, 2, 10), at(2099, 1, 6, 10))
    assert count == 2 and count.calendar_fallback is True
    assert deadlines.calendar_known(date(2099, 1, 1)) is False
    assert deadlines.calendar_source(2099) is deadlines.CalendarSource.holidays


def test_crossing_from_an_unknown_year_into_a_known_one():
    # 31 Dec 2003 is unknown (guessed: a Wednesday, working); 1 Jan 2004 is a known holiday.
    due = add_working_days(at(2003, 12, 31, 10), 1)
    assert due == at(2004, 1, 2, 10)
    assert due.calendar_fallback is True


def test_a_known_year_is_not_flagged():
    assert add_working_days(at(2025, 6, 3, 10), 3).calendar_fallback is False


# ------------------------------------------------------------------ calendar days and counting back


def test_calendar_days_ignore_holidays_and_keep_the_local_time():
    assert add_calendar_days(at(2025, 1, 27, 10), 15) == at(2025, 2, 11, 10)
    assert add_calendar_days(datetime(2025, 9, 30, 2, tzinfo=UTC), 15) == at(2025, 10, 15, 10)


def test_working_days_between_across_spring_festival():
    # Fri 24 Jan 10:00 -> Wed 5 Feb 10:00: 14 h + Sun 26 + Mon 27 + 10 h = 3 working days.
    assert working_days_between(at(2025, 1, 24, 10), at(2025, 2, 5, 10)) == 3
    assert working_days_between(at(2025, 2, 5, 10), at(2025, 1, 24, 10)) == -3
    assert working_days_between(at(2025, 1, 28), at(2025, 2, 5)) == 0


@pytest.mark.parametrize(
    "start",
    [
        at(2025, 1, 24, 10),
        at(2025, 1, 30, 15),
        at(2025, 2, 8, 0),
        at(2025, 9, 27, 23, 59),
        at(2026, 2, 13, 8, 30),
    ],
)
def test_counting_back_gives_the_days_added(start):
    for days in range(16):
        assert working_days_between(start, add_working_days(start, days)) == days


def test_one_moment_before_the_deadline_is_one_day_short():
    start = at(2025, 9, 30, 9)
    due = add_working_days(start, 5)
    assert working_days_between(start, due - timedelta(microseconds=1)) == 4


# ------------------------------------------------------------------ time limits per channel


def test_letters_and_national_platform_use_the_xinfang_calendar_day_limits():
    received = at(2025, 9, 30, 10)
    assert due_at(channel="letter", urgency=None, received_at=received, stage="acceptance") == at(
        2025, 10, 15, 10
    )
    accepted = at(2025, 10, 10, 9)
    conclusion = due_at(
        channel="national_platform",
        urgency=None,
        received_at=received,
        stage="conclusion",
        stage_started_at=accepted,
    )
    assert conclusion == at(2025, 12, 9, 9)  # 60 days after acceptance
    extended = due_at(
        channel="visit",
        urgency=None,
        received_at=received,
        stage="conclusion",
        stage_started_at=accepted,
        extension_days=30,
    )
    assert extended == at(2026, 1, 8, 9)


def test_conclusion_of_a_letter_needs_the_acceptance_time():
    with pytest.raises(DeadlineError) as missing:
        due_at(channel="letter", urgency=None, received_at=at(2025, 9, 30, 10), stage="conclusion")
    assert missing.value.field == "stage_started_at"
    assert "accepted" in str(missing.value)


def test_an_extension_beyond_thirty_days_is_refused():
    with pytest.raises(DeadlineError) as too_long:
        due_at(
            channel="letter",
            urgency=None,
            received_at=at(2025, 9, 30, 10),
            stage="conclusion",
            stage_started_at=at(2025, 10, 9, 9),
            extension_days=31,
        )
    assert too_long.value.field == "extension_days"


def test_12345_limits_are_per_urgency_and_marked_unconfirmed_with_their_source():
    days = {
        urgency: deadlines.time_limit(channel="hotline_12345", stage="conclusion", urgency=urgency).days
        for urgency in ("urgent", "ordinary", "complex")
    }
    assert days == {"urgent": 1, "ordinary": 5, "complex": 15}
    ordinary = deadlines.time_limit(channel="hotline_12345", stage="conclusion", urgency="ordinary")
    assert ordinary.unit == "working_days"
    assert ordinary.confirmed is False and "12345" in ordinary.source
    assert ordinary.allowed_range == (3, 7)
    xinfang = deadlines.time_limit(channel="national_platform", stage="acceptance")
    assert xinfang.unit == "calendar_days" and xinfang.days == 15
    assert xinfang.confirmed is False and "信访工作条例" in xinfang.source


def test_every_channel_has_a_conclusion_limit():
    channels = [
        "hotline_12345",
        "hotline_12369",
        "national_platform",
        "provincial_hotline",
        "letter",
        "visit",
        "web",
        "open311",
        "patrol",
    ]
    for channel in channels:
        limit = deadlines.time_limit(channel=channel, stage="conclusion")
        assert limit.days > 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"urgency": "whenever"}, "urgency"),
        ({"stage": "acceptance"}, "stage"),  # 12345 work orders have no separate acceptance limit
        ({"received_at": datetime(2025, 1, 1, 9)}, "received_at"),
    ],
)
def test_due_at_names_the_field_it_cannot_use(kwargs, field):
    arguments = {
        "channel": "hotline_12345",
        "urgency": "ordinary",
        "received_at": at(2025, 1, 2, 9),
        "stage": "conclusion",
    } | kwargs
    with pytest.raises(DeadlineError) as refused:
        due_at(**arguments)
    assert refused.value.field == field


# ------------------------------------------------------------------ a bureau's own figures


def city_limits(tmp_path, **changes):
    raw = json.loads(deadlines.DEFAULT_TIME_LIMITS_PATH.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = raw
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_city_may_shorten_its_ordinary_work_orders(tmp_path):
    path = city_limits(
        tmp_path,
        limit_sets__work_order_12345__stages__conclusion__days={"urgent": 1, "ordinary": 3, "complex": 10},
    )
    limits = deadlines.load_time_limits(path)
    due = due_at(
        channel="hotline_12345",
        urgency="ordinary",
        received_at=at(2025, 9, 30, 9),
        stage="conclusion",
        limits=limits,
    )
    assert due == at(2025, 10, 11, 9)  # 9, 10, 11 (make-up Saturday)


def test_a_city_may_route_12369_to_work_order_limits(tmp_path):
    raw_channels = json.loads(deadlines.DEFAULT_TIME_LIMITS_PATH.read_text(encoding="utf-8"))["channels"]
    path = city_limits(tmp_path, channels=raw_channels | {"hotline_12369": "work_order_12345"})
    limits = deadlines.load_time_limits(path)
    assert (
        deadlines.time_limit(channel="hotline_12369", stage="conclusion", limits=limits).unit
        == "working_days"
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"channels": {"letter": "nowhere"}}, "channels.letter"),
        ({"limit_sets__xinfang__stages__acceptance__days": 0}, "limit_sets.xinfang.stages.acceptance.days"),
        ({"progress_colour__yellow_fraction": 1.5}, "progress_colour.yellow_fraction"),
        ({"extension__max_days": "thirty"}, "extension.max_days"),
    ],
)
def test_a_malformed_limits_file_names_the_bad_entry(tmp_path, change, named):
    with pytest.raises(TimeLimitsError, match=named.replace(".", r"\.")):
        deadlines.load_time_limits(city_limits(tmp_path, **change))
