"""The rules behind the figures, on a ledger built through the workflow (casework.act), at one moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ecogrid.cases import figures, reports, rules
from ecogrid.cases import service as casework
from ecogrid.cases.states import Status
from ecogrid.core.models import Case, User, Zone
from ecogrid.core.time import BEIJING, beijing_day_bounds, day_of, read_time, rfc3339
from ecogrid.hotspots import aggregates
from tests import staffing
from tests.casefactory import at, new_case
from tests.cases.figures_support import Seen, rate

SQUARE = "SRID=4326;MULTIPOLYGON((({w} 36,{e} 36,{e} 36.1,{w} 36.1,{w} 36)))"


def _actors(db, make_user) -> dict[str, casework.Actor]:
    out = {}
    for role in ("clerk", "chief", "inspector"):
        user = make_user(role)
        out[role] = casework.Actor(user_id=user.id, name=user.username, role=role)
    # The chief answers for a district far from the ledger's street: city-level, acts on every case.
    staffing.zone(db, level="district", officer=db.get(User, out["chief"].user_id), west=121.0)
    return out


def _act(db, who, case: Case, action: str, when: datetime, payload=None) -> None:
    casework.act(db, case_id=case.id, action=action, payload=payload, actor=who, now=when)


def _handle(db, a, case: Case, start: datetime) -> datetime:
    """Accept, dispatch, start; returns the deadline."""
    _act(db, a["clerk"], case, "accept", start)
    _act(db, a["chief"], case, "dispatch", start + timedelta(hours=1), {"user_id": a["inspector"].user_id})
    _act(db, a["inspector"], case, "start", start + timedelta(hours=2))
    db.refresh(case)
    return case.due_at


def _reply(db, a, case, when):
    _act(db, a["inspector"], case, "reply", when, {"summary": "已查处"})


def _revisit(db, a, case, when, satisfaction):
    _act(db, a["clerk"], case, "revisit", when, {"satisfaction": satisfaction})


def _ledger(db, make_user):
    """Six cases in one street (and one outside every zone), every state reached through the workflow.

    A closed on time, satisfied; B still being handled past its deadline (overdue); C unsatisfied
    once, handled again, replied late, basically satisfied, closed late; D outside every zone,
    overdue; E replied in time and waiting for its revisit past the deadline (not overdue);
    F rejected. Returns the cases and the moment M everything is counted at.
    """
    street = Zone(code="R-S1", name="规则街道", level="street", geom=SQUARE.format(w=120, e=120.1))
    db.add(street)
    db.flush()
    grid = Zone(code="R-S1-G1", name="规则网格", level="grid", parent_id=street.id,
                geom=SQUARE.format(w=120, e=120.05))
    db.add(grid)
    db.flush()
    a = _actors(db, make_user)
    opened = at("2026-03-02 09:00")
    cases = {k: new_case(db, opened_at=opened, zone_id=None if k == "D" else grid.id) for k in "ABCDEF"}
    due = {k: _handle(db, a, cases[k], opened + timedelta(hours=1)) for k in "ABCDE"}
    _act(db, a["clerk"], cases["F"], "reject", opened + timedelta(hours=1), {"reason": "not_environmental"})
    d = due["A"]
    _reply(db, a, cases["A"], d - timedelta(days=1))
    _revisit(db, a, cases["A"], d + timedelta(days=1), "satisfied")
    _act(db, a["clerk"], cases["A"], "close", d + timedelta(days=1, hours=1))
    _reply(db, a, cases["C"], d - timedelta(days=2))
    _revisit(db, a, cases["C"], d - timedelta(days=1), "unsatisfied")
    _act(db, a["inspector"], cases["C"], "start", d - timedelta(hours=12))
    _reply(db, a, cases["C"], d + timedelta(days=2))
    _revisit(db, a, cases["C"], d + timedelta(days=3), "basically_satisfied")
    _act(db, a["clerk"], cases["C"], "close", d + timedelta(days=3, hours=1))
    _reply(db, a, cases["E"], d - timedelta(days=1))
    moment = d + timedelta(days=5)
    return cases, moment, street


def test_hand_built_ledger_gives_one_value_on_every_surface(db, make_user):
    cases, moment, street = _ledger(db, make_user)
    viewer = casework.Actor(user_id=None, name="chief", role="chief")
    first, day = day_of(cases["A"].opened_at), day_of(moment)
    start, end = beijing_day_bounds(first)[0], beijing_day_bounds(day)[1]

    _, listed = casework.list_cases(db, filters=casework.CaseFilters(overdue=True), now=moment)
    bulletin = reports.daily_bulletin(db, day=day, now=moment)
    summary = reports.summary(db, first=first, last=day, now=moment)
    counted = figures.zone_map(db, level="street", parent_code=None, start=start, end=end, now=moment)
    streets = figures.add_to_zone_rows(aggregates.aggregate_zones(db, level="street"), counted["zones"])
    _, ledger = reports.ledger_rows(db, filters=casework.CaseFilters(), viewer=viewer, now=moment)

    # B and D are overdue; E replied in time, so waiting for the revisit is not overdue; F was rejected.
    assert listed == bulletin["overdue"] == summary["overdue"] == counted["total"].overdue == 2
    assert sum(r["overdue"] == "是" for r in ledger) == 2
    [row] = [r for r in streets if r["code"] == street.code]
    assert row["overdue"] == 1 and counted["outside"].overdue == 1  # D has no zone
    # Three revisits, two satisfied (A; C's second): 2/3 per revisit, not 2/2 per case.
    # Two closures, A on time, C late (its last reply came after the deadline).
    expected = Seen(2, 0.6667, 0.5)
    assert Seen(summary["overdue"], summary["satisfaction_rate"], summary["on_time_rate"]) == expected
    assert Seen(row["overdue"] + counted["outside"].overdue, row["satisfaction_rate"], row["on_time_rate"]) \
        == expected
    assert Seen(sum(r["overdue"] == "是" for r in ledger),
                rate(sum(r["satisfied_revisits"] for r in ledger), sum(r["revisits"] for r in ledger)),
                rate(sum(r["closed_on_time"] == "是" for r in ledger),
                     sum(r["closed_on_time"] != "" for r in ledger))) == expected
    # The bulletin's street rows, with 辖区外, add up to its totals.
    names = {r["name"]: r for r in bulletin["by_street"]}
    assert names["规则街道"]["overdue"] == 1 and names[figures.OUTSIDE_JURISDICTION]["overdue"] == 1
    for key in ("in_stock", "overdue", "closed", "new_cases"):
        assert sum(r[key] for r in bulletin["by_street"]) == bulletin[key]


def test_overdue_at_a_cut_off_uses_the_status_then(db, make_user):
    cases, moment, _ = _ledger(db, make_user)
    c = db.get(Case, cases["C"].id)
    late_reply = c.due_at + timedelta(days=2)
    # Just before its late reply C was being handled past its deadline: overdue then, not at M.
    before = late_reply - timedelta(hours=1)
    overdue_then = set(db.scalars(select(Case.id).where(rules.overdue_at_sql(before))))
    assert c.id in overdue_then
    assert c.id not in set(db.scalars(select(Case.id).where(rules.overdue_at_sql(moment))))
    # At M the cut-off rule and the rule for "now" pick the same cases.
    assert set(db.scalars(select(Case.id).where(rules.overdue_at_sql(moment)))) == \
        set(db.scalars(select(Case.id).where(rules.overdue_sql(moment))))
    assert {k for k, v in cases.items() if rules.is_overdue(db.get(Case, v.id).status, v.due_at, moment)} == {"B", "D"}


def test_status_sets_have_one_definition():
    assert set(rules.OPEN) | set(rules.FINISHED) == {s.value for s in Status}
    assert not set(rules.OPEN) & set(rules.FINISHED)
    assert set(rules.HANDLING) < set(rules.OPEN)


def test_a_time_without_offset_is_beijing_time_and_times_leave_with_plus_eight():
    assert read_time("2026-05-01T09:30:00") == datetime(2026, 5, 1, 9, 30, tzinfo=BEIJING)
    assert read_time("2026-05-01T01:30:00Z") == datetime(2026, 5, 1, 9, 30, tzinfo=BEIJING)
    assert rfc3339(read_time("2026-05-01T01:30:00Z")) == "2026-05-01T09:30:00+08:00"
    start, end = beijing_day_bounds(day_of(read_time("2026-05-01T16:30:00Z")))  # 00:30 on 2 May in Beijing
    assert rfc3339(start) == "2026-05-02T00:00:00+08:00" and end - start == timedelta(days=1)
