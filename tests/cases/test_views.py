"""The case workflow through the API: every legal step, refusals (409/403/422), deadlines over
Chinese holidays, personal data per role, the supervision ledger."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from ecogrid.cases import service as casework
from ecogrid.core.models import AuditEntry, CaseEvent, Revisit, Zone
from tests.casefactory import at, new_case
from tests.staffing import city_chief, dispatched, person


def post(client, headers, case_id, action, body=None):
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)


def staff(db, make_user, auth, *, team: str | None = None):
    people = {"clerk": make_user("clerk"), "chief": city_chief(db), "inspector": person(db, "inspector", team=team)}
    return people, {role: auth(user) for role, user in people.items()}


def test_complaint_goes_round_the_closed_loop_with_a_reopening(client, db, make_user, auth):
    people, h = staff(db, make_user, auth, team="第二执法中队")
    row = new_case(db)
    steps = [
        ("clerk", "accept", None, "accepted"),
        ("chief", "dispatch", {"user_id": people["inspector"].id}, "dispatched"),
        ("chief", "dispatch", {"team": "第二执法中队"}, "dispatched"),
        ("inspector", "start", None, "in_progress"),
        ("inspector", "rectify", {"due_at": "2099-01-10T17:00:00+08:00", "requirement": "加装活性炭"},
         "rectification"),
        ("inspector", "inspect", {"findings": "复查：活性炭装置已安装"}, "rectification"),
        ("inspector", "reply", {"summary": "已整改"}, "replied"),
        ("clerk", "revisit", {"satisfaction": "unsatisfied", "comment": "仍有气味"}, "dispatched"),
        ("inspector", "start", None, "in_progress"),
        ("inspector", "reply", {"summary": "复查已无异味"}, "replied"),
        ("clerk", "revisit", {"satisfaction": "basically_satisfied"}, "revisited"),
        ("clerk", "close", None, "closed"),
    ]
    for role, action, body, expected in steps:
        if action == "inspect":  # the follow-up inspection (复查) a reply after a rectification order waits for
            visit = client.post("/api/v1/inspections", headers=h[role],
                                json={"case_id": row.id, "client_id": f"recheck-{uuid.uuid4()}", **(body or {})})
            assert visit.status_code == 201, visit.text
            continue
        response = post(client, h[role], row.id, action, body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == expected, action

    body = client.get(f"/api/v1/cases/{row.id}", headers=h["clerk"]).json()
    assert [e["action"] for e in body["history"] if e["action"] != "inspect"] == ["register"] + [
        s[1] for s in steps if s[1] != "inspect"]
    assert body["handling_count"] == 2
    assert [(r["satisfaction"], r["handling"]) for r in body["revisits"]] == [
        ("unsatisfied", 1), ("basically_satisfied", 2)]
    assert body["satisfaction_colour"] == "yellow"  # satisfied only at the second handling
    assert body["progress_colour"] == "green"
    assert body["closed_on_time"] is True
    assert body["assigned_team"] == "第二执法中队"
    assert body["rectification_due_at"] == "2099-01-10T17:00:00+08:00"
    assert body["closed_at"].endswith("+08:00")
    assert body["allowed_actions"] == []
    assert db.scalar(select(func.count()).select_from(Revisit).where(Revisit.case_id == row.id)) == 2


def test_accept_just_before_the_spring_festival_counts_working_days_past_it(client, db, auth):
    # 12345 work order, ordinary: 5 working days from receipt; 14 Feb 2026 (Sat) is a make-up
    # working day, 15-23 Feb are the holiday.
    row = new_case(db, opened_at=at("2026-02-13 10:00"), channel="hotline_12345")
    response = post(client, auth("clerk"), row.id, "accept")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-02-27T10:00:00+08:00"


def test_accept_before_national_day_skips_the_golden_week(db, make_user):
    clerk = make_user("clerk")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    work_order = new_case(db, opened_at=at("2026-09-30 10:00"), channel="hotline_12345")
    item = casework.act(db, case_id=work_order.id, action="accept", payload=None, actor=actor,
                        now=at("2026-09-30 11:00"))
    assert item["due_at"] == "2026-10-13T10:00:00+08:00"  # 10-08, 09, 10 (make-up Sat), 12, 13
    letter = new_case(db, opened_at=at("2026-09-29 10:00"), channel="letter")
    item = casework.act(db, case_id=letter.id, action="accept", payload=None, actor=actor,
                        now=at("2026-09-30 15:00"))
    # 信访: 60 calendar days from acceptance, holidays included.
    assert item["due_at"] == "2026-11-29T15:00:00+08:00"


def test_extension_is_granted_once_and_moves_the_deadline(client, db, auth):
    row = new_case(db, opened_at=at("2026-02-13 10:00"))
    h_clerk, h_chief = auth("clerk"), auth(city_chief(db))
    assert post(client, h_clerk, row.id, "accept").status_code == 200
    response = post(client, h_chief, row.id, "extend", {"days": 10, "reason": "需第三方监测"})
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-03-09T10:00:00+08:00"
    again = post(client, h_chief, row.id, "extend", {"days": 5, "reason": "再延"})
    assert again.status_code == 409
    assert "already been extended once" in again.json()["detail"]
    too_long = new_case(db)
    post(client, h_clerk, too_long.id, "accept")
    bad = post(client, h_chief, too_long.id, "extend", {"days": 31, "reason": "x"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "days"]


def test_consultation_is_answered_and_closed_without_inspection(client, db, auth):
    row = new_case(db, kind="consultation")
    h = auth("clerk")
    assert post(client, h, row.id, "accept").status_code == 409
    response = post(client, h, row.id, "answer", {"answer": "请拨打12369"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_on_time"] is not None


def test_rejection_needs_a_reason_and_ends_the_case(client, db, auth):
    row = new_case(db)
    h = auth("clerk")
    missing = post(client, h, row.id, "reject", {})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    wrong = post(client, h, row.id, "reject", {"reason": "too_far"})
    assert wrong.status_code == 422
    assert post(client, h, row.id, "reject", {"reason": "outside_jurisdiction"}).json()["status"] == "rejected"
    late = post(client, h, row.id, "accept")
    assert late.status_code == 409
    assert late.json()["detail"] == "the case was rejected; nothing more can be done to it"


def test_illegal_steps_are_refused_with_the_reason(client, db, auth):
    row = new_case(db)
    h_clerk = auth("clerk")
    close = post(client, h_clerk, row.id, "close")
    assert close.status_code == 409
    assert close.json()["detail"] == "cannot close a case that has not been revisited"
    reply = post(client, auth("admin"), row.id, "reply", {"summary": "x"})
    assert reply.status_code == 409
    assert "handling has not started" in reply.json()["detail"]
    # Each action is its own route, so an unknown action is an unknown resource.
    unknown = post(client, h_clerk, row.id, "teleport")
    assert unknown.status_code == 404
    assert post(client, h_clerk, 999_999_999, "accept").status_code == 404
    # Nothing was written by the refusals.
    assert db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == row.id)) == 1


def test_wrong_roles_are_refused(client, db, auth):
    row = new_case(db)
    refused = post(client, auth("inspector"), row.id, "accept")
    assert refused.status_code == 403
    assert "inspector may not accept" in refused.json()["detail"]
    post(client, auth("clerk"), row.id, "accept")
    assert post(client, auth("clerk"), row.id, "dispatch", {"team": "一中队"}).status_code == 403
    assert post(client, auth("planner"), row.id, "extend", {"days": 3, "reason": "x"}).status_code == 403


def test_complainant_is_masked_for_an_inspector_and_audited_for_a_clerk(client, db, make_user, auth):
    inspector = make_user("inspector")
    row = dispatched(db, chief=city_chief(db), to={"user_id": inspector.id})
    seen = client.get(f"/api/v1/cases/{row.id}", headers=auth(inspector)).json()["complaints"][0]
    assert seen["complainant_phone"] == "138****1234"
    assert seen["complainant_name"] == "王**"
    # A masked read shows no personal data, so nothing is audited.
    assert db.scalar(select(func.count()).select_from(AuditEntry)
                     .where(AuditEntry.action == "personal_data.read")) == 0
    clerk = make_user("clerk")
    full = client.get(f"/api/v1/cases/{row.id}", headers=auth(clerk)).json()["complaints"][0]
    assert full["complainant_phone"] == "13812341234"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.actor_id == clerk.id)).one()
    assert entry.action == "personal_data.read"
    assert entry.detail["ids"] == [str(full["id"])]


def test_list_filters_by_zone_tree_overdue_colour_and_me(client, db, make_user, auth):
    street = Zone(code="T-S1", name="测试街道", level="street",
                  geom="SRID=4326;MULTIPOLYGON(((120 36,120.1 36,120.1 36.1,120 36.1,120 36)))")
    db.add(street)
    db.flush()
    grid = Zone(code="T-G1", name="测试网格", level="grid", parent_id=street.id,
                geom="SRID=4326;MULTIPOLYGON(((120 36,120.05 36,120.05 36.05,120 36.05,120 36)))")
    db.add(grid)
    db.flush()
    inspector = make_user("inspector")
    mine = new_case(db, zone_id=grid.id, status="dispatched", assigned_to_id=inspector.id,
                    opened_at=at("2026-01-05 09:00"), accepted_at=at("2026-01-05 10:00"),
                    due_at=at("2026-01-12 10:00"))
    new_case(db, zone_id=street.id, status="accepted", accepted_at=at("2099-01-01 00:00"),
             opened_at=at("2098-12-31 00:00"), due_at=at("2099-12-01 00:00"))
    new_case(db)  # no zone
    h, mine_only = auth("clerk"), auth(inspector)
    in_street = client.get("/api/v1/cases", params={"zone_id": street.id}, headers=h).json()
    assert in_street["total"] == 2
    overdue = client.get("/api/v1/cases", params={"zone_id": street.id, "overdue": True}, headers=h).json()
    assert [i["id"] for i in overdue["items"]] == [mine.id]
    item = overdue["items"][0]
    assert item["progress_colour"] == "red" and item["overdue"] is True and item["time_left_seconds"] < 0
    blue = client.get("/api/v1/cases", params={"zone_id": street.id, "colour": "blue"}, headers=h).json()
    assert blue["total"] == 1 and blue["items"][0]["id"] != mine.id
    me = client.get("/api/v1/cases", params={"assigned_to": "me"}, headers=mine_only).json()
    assert [i["id"] for i in me["items"]] == [mine.id]
    bad = client.get("/api/v1/cases", params={"colour": "purple"}, headers=h)
    assert bad.status_code == 422


def test_two_unsatisfied_handlings_put_the_case_on_the_supervision_ledger(client, db, make_user, auth):
    chief = make_user("chief")
    district = Zone(code="T-D9", name="测试区", level="district", officer_id=chief.id,
                    geom="SRID=4326;MULTIPOLYGON(((120 36,120.1 36,120.1 36.1,120 36.1,120 36)))")
    db.add(district)
    db.flush()
    inspector = make_user("inspector")
    grid = Zone(code="T-G9", name="测试网格", level="grid", parent_id=district.id, officer_id=inspector.id,
                geom="SRID=4326;MULTIPOLYGON(((120 36,120.05 36,120.05 36.05,120 36.05,120 36)))")
    db.add(grid)
    db.flush()
    row = new_case(db, zone_id=grid.id)
    h_clerk, h_chief, h_insp = auth("clerk"), auth(chief), auth(inspector)
    post(client, h_clerk, row.id, "accept")
    post(client, h_chief, row.id, "dispatch", {"user_id": inspector.id})
    for _ in range(2):
        post(client, h_insp, row.id, "start")
        post(client, h_insp, row.id, "reply", {"summary": "处理"})
        assert post(client, h_clerk, row.id, "revisit", {"satisfaction": "unsatisfied"}).status_code == 200
    ledger = client.get("/api/v1/cases/ledger/supervision", headers=h_chief).json()
    assert [i["id"] for i in ledger["items"]] == [row.id]
    assert ledger["items"][0]["satisfaction_colour"] == "red"
    assert ledger["items"][0]["supervisor_id"] == chief.id
    assert ledger["items"][0]["handling_count"] == 3
    # Unsatisfied last: closing is refused.
    assert post(client, h_clerk, row.id, "close").status_code == 409
    other = make_user("chief")
    moved = client.post(f"/api/v1/cases/{row.id}/supervise", json={"user_id": other.id}, headers=h_chief)
    assert moved.status_code == 200 and moved.json()["supervisor_id"] == other.id
    not_chief = client.post(f"/api/v1/cases/{row.id}/supervise", json={"user_id": inspector.id}, headers=h_chief)
    assert not_chief.status_code == 422
    assert client.post(f"/api/v1/cases/{row.id}/supervise", json={"user_id": other.id},
                       headers=h_clerk).status_code == 403


def test_progress_turns_yellow_after_the_configured_share_of_time(db):
    row = new_case(db, status="accepted", accepted_at=at("2026-03-02 09:00"), due_at=at("2026-03-12 09:00"))
    blue = casework.summarise(row, None, now=at("2026-03-09 08:59"))
    yellow = casework.summarise(row, None, now=at("2026-03-10 09:00"))
    red = casework.summarise(row, None, now=at("2026-03-12 09:00") + timedelta(seconds=1))
    assert (blue["progress_colour"], yellow["progress_colour"], red["progress_colour"]) == ("blue", "yellow", "red")
