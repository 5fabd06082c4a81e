from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text

from ecogrid import demo
from ecogrid.core.models import Case, Complaint, DemoTruth, Source, User, Zone


def test_demo_city_is_believable_and_keeps_the_truth(db):
    assert demo.is_empty(db)
    result = demo.generate(db, seed=7, password="demo-pass-1", complaints=800, end=date(2026, 11, 1))
    assert set(result.passwords) >= {"admin", "chief_a", "planner", "inspector1", "clerk_a"}
    assert {u.role for u in db.scalars(select(User))} == {"admin", "chief", "planner", "inspector", "clerk"}
    grids = db.scalar(select(func.count()).select_from(Zone).where(Zone.level == "grid"))
    assert 100 <= grids <= 200
    assert db.scalar(select(func.count()).select_from(Zone).where(Zone.level == "street")) >= 3
    assert 250 <= db.scalar(select(func.count()).select_from(Source)) <= 350
    assert db.scalar(select(func.count()).select_from(Complaint)) == 800
    # Every complaint has its recorded truth, and most were caused by a known source.
    truths = db.scalar(select(func.count()).select_from(DemoTruth).where(DemoTruth.source_id.isnot(None)))
    assert truths > 700
    # Repeats exist and are grouped under their case.
    assert db.scalar(select(func.max(Case.repeat_count))) >= 5
    # Some locations came in GCJ-02 and were stored in WGS-84 with the original kept.
    shifted = db.execute(text(
        "SELECT count(*) FROM complaints WHERE orig_crs = 'gcj02' AND "
        "ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(orig_lon, orig_lat), 4326)::geography) > 100"
    )).scalar_one()
    assert shifted > 50
    # Night construction noise dominates construction-noise complaints.
    night = db.execute(text(
        "SELECT avg((extract(hour FROM received_at AT TIME ZONE 'Asia/Shanghai') NOT BETWEEN 6 AND 21)::int) "
        "FROM complaints WHERE category = 'noise_construction'")).scalar_one()
    assert night > 0.5


def test_same_seed_gives_the_same_city(db):
    demo.generate(db, seed=11, password="demo-pass-1", complaints=200, end=date(2026, 11, 1))
    first = db.execute(text(
        "SELECT md5(string_agg(category || ST_AsText(geom) || received_at::text, ',' ORDER BY id)) FROM complaints"
    )).scalar_one()
    db.rollback()
    demo.generate(db, seed=11, password="demo-pass-1", complaints=200, end=date(2026, 11, 1))
    again = db.execute(text(
        "SELECT md5(string_agg(category || ST_AsText(geom) || received_at::text, ',' ORDER BY id)) FROM complaints"
    )).scalar_one()
    assert first == again


def test_demo_histories_follow_the_workflow_and_end_today(db):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from ecogrid.cases.states import Kind, Status, _moves_for

    end = date(2026, 11, 1)
    demo.generate(db, seed=7, password="demo-pass-1", complaints=800, end=end)
    end_at = datetime.combine(end, time(0), ZoneInfo("Asia/Shanghai"))
    assert db.scalar(text("SELECT count(*) FROM case_events WHERE at > :e"), {"e": end_at}) == 0
    assert db.scalar(text("SELECT count(*) FROM revisits WHERE at > :e"), {"e": end_at}) == 0
    assert db.scalar(select(func.count()).select_from(Case).where(Case.closed_at > end_at)) == 0
    # A repeat after the closing reopens a case as rework; the demo writes no closed case with a later complaint.
    assert db.scalar(text("SELECT count(*) FROM complaints p JOIN cases k ON k.id = p.case_id "
                          "WHERE k.closed_at IS NOT NULL AND p.received_at > k.closed_at")) == 0
    assert db.scalar(text("SELECT count(*) FROM cases k WHERE k.last_complaint_at <> "
                          "(SELECT max(received_at) FROM complaints p WHERE p.case_id = k.id)")) == 0
    rows = db.execute(text(
        "SELECT k.id, k.kind, k.status, e.action, e.from_status, e.to_status FROM cases k "
        "JOIN case_events e ON e.case_id = k.id WHERE e.action <> 'repeat' ORDER BY k.id, e.at, e.id")).all()
    histories: dict[int, list] = {}
    for row in rows:
        histories.setdefault(row.id, []).append(row)
    assert len(histories) > 100
    for events in histories.values():
        kind, status = Kind(events[0].kind), events[0].status
        assert events[0].action == "register" and events[0].to_status == "registered"
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_status == before.to_status, events
            moves = _moves_for(kind)[Status(after.from_status)]
            # An unsatisfied revisit sends the case back to dispatched; every other move is the table's.
            assert after.action in {a.value for a in moves}, events
        assert status == events[-1].to_status, events
