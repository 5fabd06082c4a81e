"""Cases that left the bureau (退单 returned, 转办/移交公安 transferred) by the rules of ``rules.py``: finished
here, neither open, closed nor overdue; new in the period they were registered in; counted on their own,
the same on every surface."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ecogrid.cases import departments, figures, reports, rules
from ecogrid.cases import service as casework
from ecogrid.core.models import Case, User, Zone
from ecogrid.core.time import beijing_day_bounds, day_of
from tests import staffing
from tests.casefactory import at, new_case

SQUARE = "SRID=4326;MULTIPOLYGON((({w} 36,{e} 36,{e} 36.1,{w} 36.1,{w} 36)))"


def _ledger(db, make_user):
    """R returned at the door; T accepted, dispatched, then transferred after its deadline; P handed over
    to the police while being handled; O still being handled past its deadline (overdue), for contrast."""
    street = Zone(code="L-S1", name="退单街道", level="street", geom=SQUARE.format(w=122, e=122.1))
    db.add(street)
    db.flush()
    actors = {}
    for role in ("clerk", "chief", "inspector"):
        user = make_user(role)
        actors[role] = casework.Actor(user_id=user.id, name=user.username, role=role)
    staffing.zone(db, level="district", officer=db.get(User, actors["chief"].user_id), west=123.0)
    urban = departments.create(db, name="城管执法局-L", kind="urban_management")
    police = departments.create(db, name="公安分局-L", kind="police")
    opened = at("2026-03-02 09:00")
    cases = {k: new_case(db, opened_at=opened, zone_id=street.id) for k in "RTPO"}

    def act(who, key, action, when, payload=None):
        casework.act(db, case_id=cases[key].id, action=action, payload=payload, actor=actors[who], now=when)

    act("clerk", "R", "return", opened + timedelta(hours=1), {"reason": "outside_function", "note": "属城管职责"})
    for key in "TPO":
        act("clerk", key, "accept", opened + timedelta(hours=1))
        act("chief", key, "dispatch", opened + timedelta(hours=2), {"user_id": actors["inspector"].user_id})
    due = db.get(Case, cases["T"].id).due_at
    act("chief", "T", "transfer", due + timedelta(days=1), {"department_id": urban.id, "reason": "餐饮油烟"})
    act("chief", "P", "handover", due - timedelta(days=1), {"department_id": police.id, "reason": "夜间噪声"})
    return cases, due, due + timedelta(days=2), street


def test_cases_that_left_are_neither_open_closed_nor_overdue_and_are_counted_apart(db, make_user):
    cases, due, moment, street = _ledger(db, make_user)
    first, day = day_of(cases["R"].opened_at), day_of(moment)
    start, end = beijing_day_bounds(first)[0], beijing_day_bounds(day)[1]

    statuses = {k: db.get(Case, c.id).status for k, c in cases.items()}
    assert statuses == {"R": "returned", "T": "transferred", "P": "transferred", "O": "dispatched"}
    for key in "RTP":
        assert rules.is_finished(statuses[key]) and rules.has_left(statuses[key])
        assert not rules.is_open(statuses[key]) and not rules.is_overdue(statuses[key], due, moment)
        assert rules.closed_on_time(statuses[key], due, None, None) is None

    _, listed = casework.list_cases(db, filters=casework.CaseFilters(overdue=True, zone_id=street.id), now=moment)
    counted = figures.zone_map(db, level="street", parent_code=None, start=start, end=end, now=moment)
    mine = counted["zones"][street.code]
    summary = reports.summary(db, first=first, last=day, now=moment)
    assert listed == mine.overdue == 1  # only O
    assert (mine.new_cases, mine.open, mine.closed, mine.returned, mine.transferred) == (4, 1, 0, 1, 2)
    assert (summary["returned"], summary["transferred"], summary["in_stock"], summary["closed"]) == (1, 2, 1, 0)
    # Three accepted (T, P, O), one returned at the door: 3 / (3 + 0 + 1).
    assert summary["accepted"] == 3 and summary["acceptance_rate"] == rules.acceptance_rate(3, 0, 1) == 0.75

    # The day T left, the bulletin counts it; its street rows add up to its totals.
    left_day = day_of(due + timedelta(days=1))
    bulletin = reports.daily_bulletin(db, day=left_day, now=moment)
    assert bulletin["transferred"] == 1 and bulletin["returned"] == 0
    for key in ("returned", "transferred", "in_stock", "overdue"):
        assert sum(r[key] for r in bulletin["by_street"]) == bulletin[key]


def test_a_case_is_open_until_the_moment_it_leaves(db, make_user):
    cases, due, moment, _ = _ledger(db, make_user)
    t = cases["T"].id
    before, after = due + timedelta(hours=12), due + timedelta(days=1, hours=1)
    # Before its transfer T was being handled past its deadline: open and overdue then, neither after.
    assert t in set(db.scalars(select(Case.id).where(rules.open_at_sql(before))))
    assert t in set(db.scalars(select(Case.id).where(rules.overdue_at_sql(before))))
    assert t not in set(db.scalars(select(Case.id).where(rules.open_at_sql(after))))
    assert t not in set(db.scalars(select(Case.id).where(rules.overdue_at_sql(after))))
    assert set(db.scalars(select(Case.id).where(rules.overdue_at_sql(moment)))) == \
        set(db.scalars(select(Case.id).where(rules.overdue_sql(moment))))
