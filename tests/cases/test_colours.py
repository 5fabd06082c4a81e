import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecogrid.cases import colours, deadlines
from ecogrid.cases.colours import ColourError, closed_on_time, progress_colour, satisfaction_colour, time_left

SH = ZoneInfo("Asia/Shanghai")
STARTED = datetime(2025, 3, 1, 9, tzinfo=SH)
DUE = STARTED + timedelta(days=10)
TICK = timedelta(microseconds=1)


def colour_at(now, **kwargs):
    return progress_colour(now=now, started_at=STARTED, due_at=DUE, **kwargs)


# ------------------------------------------------------------------ progress (挂图督办)


def test_on_schedule_is_blue():
    assert colour_at(STARTED) == "blue"
    assert colour_at(STARTED + timedelta(days=5)) == "blue"


def test_exactly_eighty_percent_used_is_yellow():
    eighty = STARTED + timedelta(days=8)
    assert colour_at(eighty - TICK) == "blue"
    assert colour_at(eighty) == "yellow"


def test_exactly_at_the_deadline_is_still_yellow_and_a_moment_later_red():
    assert colour_at(DUE) == "yellow"
    assert colour_at(DUE + TICK) == "red"
    assert colour_at(DUE + timedelta(days=40)) == "red"


def test_done_is_green_whatever_the_clock_says():
    assert colour_at(DUE + timedelta(days=3), closed_at=DUE + timedelta(days=2)) == "green"
    assert colour_at(STARTED + timedelta(days=1), closed_at=STARTED + timedelta(hours=5)) == "green"


def test_the_yellow_share_can_be_set_per_call():
    assert colour_at(STARTED + timedelta(days=5), yellow_fraction=0.5) == "yellow"
    assert colour_at(STARTED + timedelta(days=5) - TICK, yellow_fraction=0.5) == "blue"
    with pytest.raises(ColourError) as bad:
        colour_at(STARTED, yellow_fraction=0)
    assert bad.value.field == "yellow_fraction"


def test_the_default_yellow_share_comes_from_the_data_file(tmp_path):
    assert deadlines.load_time_limits().yellow_fraction == 0.8
    raw = json.loads(deadlines.DEFAULT_TIME_LIMITS_PATH.read_text(encoding="utf-8"))
    raw["progress_colour"]["yellow_fraction"] = 0.9
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    city = deadlines.load_time_limits(path)
    eighty_five = STARTED + timedelta(days=8, hours=12)
    assert colour_at(eighty_five) == "yellow"
    assert colour_at(eighty_five, limits=city) == "blue"


def test_moments_in_different_zones_compare_as_instants():
    now_utc = (STARTED + timedelta(days=8)).astimezone(UTC)
    assert colour_at(now_utc) == "yellow"


def test_a_deadline_not_after_the_start_is_refused():
    with pytest.raises(ColourError) as bad:
        progress_colour(now=STARTED, started_at=STARTED, due_at=STARTED)
    assert bad.value.field == "due_at"


def test_naive_moments_are_refused_by_name():
    with pytest.raises(ColourError) as naive:
        progress_colour(now=datetime(2025, 3, 5, 9), started_at=STARTED, due_at=DUE)
    assert naive.value.field == "now"


def test_works_with_a_deadline_computed_in_working_days():
    received = datetime(2025, 9, 30, 9, tzinfo=SH)
    due = deadlines.due_at(
        channel="hotline_12345", urgency="ordinary", received_at=received, stage="conclusion"
    )
    assert progress_colour(now=datetime(2025, 10, 5, 9, tzinfo=SH), started_at=received, due_at=due) == "blue"
    assert (
        progress_colour(now=datetime(2025, 10, 14, 9, 1, tzinfo=SH), started_at=received, due_at=due) == "red"
    )


# ------------------------------------------------------------------ on time, time left


def test_closing_at_the_deadline_is_on_time_and_a_moment_later_is_not():
    assert closed_on_time(DUE, DUE) is True
    assert closed_on_time(DUE, DUE - timedelta(days=1)) is True
    assert closed_on_time(DUE, DUE + TICK) is False


def test_time_left_goes_negative_when_overdue():
    assert time_left(DUE - timedelta(hours=3), DUE) == timedelta(hours=3)
    assert time_left(DUE, DUE) == timedelta(0)
    assert time_left(DUE + timedelta(days=2), DUE) == -timedelta(days=2)


# ------------------------------------------------------------------ satisfaction


@pytest.mark.parametrize(
    ("handlings", "last", "closed_once", "expected"),
    [
        (1, "satisfied", True, "green"),
        (1, "basically_satisfied", True, "green"),
        (1, "unsatisfied", True, "yellow"),
        (2, "unsatisfied", True, "red"),
        (3, "unsatisfied", True, "red"),
        (2, "satisfied", True, "yellow"),  # solved, but not at the first handling
        (1, "unsatisfied", False, None),  # nothing concluded yet, nothing to mark
        (0, None, False, None),
        (1, None, True, None),
    ],
)
def test_satisfaction_colour(handlings, last, closed_once, expected):
    assert (
        satisfaction_colour(handlings=handlings, last_satisfaction=last, closed_once=closed_once) == expected
    )


def test_red_items_go_on_the_supervision_ledger():
    assert colours.on_supervision_ledger(handlings=2, last_satisfaction="unsatisfied", closed_once=True)
    assert not colours.on_supervision_ledger(handlings=1, last_satisfaction="unsatisfied", closed_once=True)
    assert not colours.on_supervision_ledger(handlings=2, last_satisfaction="satisfied", closed_once=True)


def test_satisfaction_colour_refuses_nonsense():
    with pytest.raises(ColourError) as unknown:
        satisfaction_colour(handlings=1, last_satisfaction="delighted", closed_once=True)
    assert unknown.value.field == "last_satisfaction"
    with pytest.raises(ColourError) as never_handled:
        satisfaction_colour(handlings=0, last_satisfaction="satisfied", closed_once=True)
    assert never_handled.value.field == "handlings"


def test_colour_follows_the_state_machine_counts():
    from ecogrid.cases import states

    unsatisfied = states.transition(
        status="replied",
        kind="complaint",
        action="revisit",
        role="clerk",
        payload={"satisfaction": "unsatisfied"},
    )
    assert (
        satisfaction_colour(
            handlings=unsatisfied.judged_handling,
            last_satisfaction=unsatisfied.satisfaction,
            closed_once=True,
        )
        == "yellow"
    )
    again = states.transition(
        status="replied",
        kind="complaint",
        action="revisit",
        role="clerk",
        payload={"satisfaction": "unsatisfied"},
        facts=states.CaseFacts(handling_count=unsatisfied.handling_count),
    )
    assert (
        satisfaction_colour(
            handlings=again.judged_handling, last_satisfaction=again.satisfaction, closed_once=True
        )
        == "red"
    )
