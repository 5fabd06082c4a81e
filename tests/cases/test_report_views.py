"""Report figures against a small hand-built ledger whose expected numbers are written here,
and the ledger exports (colour fills, personal columns per role)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from ecogrid.core.models import AuditEntry, CaseEvent, Complaint, Revisit, Zone
from tests.casefactory import at, new_case

SQUARE = "SRID=4326;MULTIPOLYGON(((120 36,120.1 36,120.1 36.1,120 36.1,120 36)))"


def event(db, case, when, action, frm, to):
    db.add(CaseEvent(case_id=case.id, at=at(when), action=action, from_status=frm, to_status=to))


def revisit(db, case, when, satisfaction, handling=1):
    db.add(Revisit(case_id=case.id, at=at(when), satisfaction=satisfaction, handling=handling))


def repeat(db, case, when, category):
    db.add(Complaint(case_id=case.id, channel="hotline_12345", kind="complaint", category=category,
                     description="又来了", received_at=at(when), is_repeat=True,
                     complainant_name="赵六", complainant_phone="13900001111"))


@pytest.fixture
def ledger(db, make_user):
    """March 2026 and March 2025, case by case:

    A odour   opened 03-02, accepted 03-02, due 03-09 12:00, replied 03-09 13:00 (late), closed 03-10,
              revisit 03-09 satisfied
    B odour   opened 03-03, accepted 03-03, due 03-10, replied 03-04, closed 03-05 (on time), revisit
              03-05 basically satisfied, one repeat complaint 03-05
    C noise   letter, opened 03-04, rejected 03-04
    D dust    opened 03-05, accepted 03-05, due 03-20, dispatched, revisit 03-15 unsatisfied
    E other   web consultation, opened 03-06, answered and closed 03-06, due 03-21 (on time)
    F water   opened 2026-02-20, accepted 02-20 (outside), due 03-01 (overdue), 1 repeat in Feb and
              5 repeats 03-10..03-14
    G odour   opened 03-08, rejected 04-02 (outside the period)
    J soil    opened 03-09, accepted 03-09, due 03-16, replied 03-13 (on time), closed 03-20 (after the
              deadline, but concluded in time: 按期办结 is about the reply)
    H (2025)  opened 2025-03-03, accepted, closed 03-05 on time, revisit satisfied
    I (2025)  opened 2025-03-04, rejected
    """
    x, y = make_user("inspector"), make_user("inspector")
    s1 = Zone(code="R-S1", name="东街道", level="street", geom=SQUARE)
    s2 = Zone(code="R-S2", name="西街道", level="street", geom=SQUARE)
    db.add_all([s1, s2])
    db.flush()
    g1 = Zone(code="R-G1", name="东一网格", level="grid", parent_id=s1.id, geom=SQUARE)
    db.add(g1)
    db.flush()
    c = {}
    c["A"] = new_case(db, opened_at=at("2026-03-02 10:00"), category="odour", zone_id=g1.id, status="closed",
                      accepted_at=at("2026-03-02 12:00"), due_at=at("2026-03-09 12:00"),
                      closed_at=at("2026-03-10 09:00"), assigned_to_id=x.id, satisfaction="satisfied")
    event(db, c["A"], "2026-03-02 12:00", "accept", "registered", "accepted")
    event(db, c["A"], "2026-03-09 13:00", "reply", "in_progress", "replied")
    event(db, c["A"], "2026-03-10 09:00", "close", "revisited", "closed")
    revisit(db, c["A"], "2026-03-09 10:00", "satisfied")
    c["B"] = new_case(db, opened_at=at("2026-03-03 10:00"), category="odour", zone_id=g1.id, status="closed",
                      accepted_at=at("2026-03-03 11:00"), due_at=at("2026-03-10 11:00"),
                      closed_at=at("2026-03-05 16:00"), assigned_to_id=x.id, repeats=1)
    event(db, c["B"], "2026-03-03 11:00", "accept", "registered", "accepted")
    event(db, c["B"], "2026-03-04 11:00", "reply", "in_progress", "replied")
    revisit(db, c["B"], "2026-03-05 15:00", "basically_satisfied")
    repeat(db, c["B"], "2026-03-05 10:00", "odour")
    c["C"] = new_case(db, opened_at=at("2026-03-04 10:00"), category="noise_social", channel="letter",
                      status="rejected", reject_reason="not_environmental")
    event(db, c["C"], "2026-03-04 15:00", "reject", "registered", "rejected")
    c["D"] = new_case(db, opened_at=at("2026-03-05 09:00"), category="dust", zone_id=g1.id, status="dispatched",
                      accepted_at=at("2026-03-05 10:00"), due_at=at("2026-03-20 10:00"), assigned_to_id=x.id,
                      handling_count=2)
    event(db, c["D"], "2026-03-05 10:00", "accept", "registered", "accepted")
    revisit(db, c["D"], "2026-03-15 10:00", "unsatisfied")
    c["E"] = new_case(db, opened_at=at("2026-03-06 09:00"), kind="consultation", category="other", channel="web",
                      status="closed", accepted_at=at("2026-03-06 11:00"), closed_at=at("2026-03-06 11:00"),
                      due_at=at("2026-03-21 09:00"))
    event(db, c["E"], "2026-03-06 11:00", "answer", "registered", "closed")
    c["F"] = new_case(db, opened_at=at("2026-02-20 09:00"), category="wastewater", zone_id=s2.id,
                      status="in_progress", accepted_at=at("2026-02-20 10:00"), due_at=at("2026-03-01 10:00"),
                      assigned_to_id=y.id, repeats=6)
    event(db, c["F"], "2026-02-20 10:00", "accept", "registered", "accepted")
    repeat(db, c["F"], "2026-02-25 10:00", "wastewater")
    for day in range(10, 15):
        repeat(db, c["F"], f"2026-03-{day} 10:00", "wastewater")
    c["G"] = new_case(db, opened_at=at("2026-03-08 09:00"), category="odour", status="rejected")
    event(db, c["G"], "2026-04-02 09:00", "reject", "registered", "rejected")
    c["J"] = new_case(db, opened_at=at("2026-03-09 09:00"), category="soil", status="closed",
                      accepted_at=at("2026-03-09 10:00"), due_at=at("2026-03-16 10:00"),
                      closed_at=at("2026-03-20 10:00"))
    event(db, c["J"], "2026-03-09 10:00", "accept", "registered", "accepted")
    event(db, c["J"], "2026-03-13 10:00", "reply", "in_progress", "replied")
    c["H"] = new_case(db, opened_at=at("2025-03-03 10:00"), status="closed", accepted_at=at("2025-03-03 11:00"),
                      due_at=at("2025-03-10 11:00"), closed_at=at("2025-03-05 10:00"))
    event(db, c["H"], "2025-03-03 11:00", "accept", "registered", "accepted")
    revisit(db, c["H"], "2025-03-06 10:00", "satisfied")
    c["I"] = new_case(db, opened_at=at("2025-03-04 10:00"), status="rejected")
    event(db, c["I"], "2025-03-04 12:00", "reject", "registered", "rejected")
    db.flush()
    return {"cases": c, "zones": (s1, s2), "officers": (x, y)}


def test_period_figures_match_the_hand_count(client, auth, ledger):
    response = client.get("/api/v1/reports/summary", params={"from": "2026-03-01", "to": "2026-03-31"},
                          headers=auth("chief"))
    assert response.status_code == 200
    s = response.json()
    assert (s["accepted"], s["rejected"], s["acceptance_rate"]) == (5, 1, 0.8333)  # A B D E J / C
    assert (s["closed"], s["closed_on_time"], s["on_time_rate"]) == (4, 3, 0.75)  # A late; B, E, J on time
    assert (s["revisits"], s["satisfied"], s["satisfaction_rate"]) == (3, 2, 0.6667)
    assert (s["complaints"], s["repeat_complaints"], s["repeat_rate"]) == (13, 6, 0.4615)
    f = ledger["cases"]["F"]
    assert [(r["case_id"], r["repeat_complaints"]) for r in s["cases_with_5_plus_repeats"]] == [(f.id, 6)]
    assert s["by_category"] == {"dust": 1, "noise_social": 1, "odour": 4, "other": 1, "soil": 1, "wastewater": 5}
    assert s["by_channel"] == {"hotline_12345": 11, "letter": 1, "web": 1}
    before = s["previous_year"]
    assert (before["accepted"], before["rejected"], before["on_time_rate"], before["satisfaction_rate"],
            before["complaints"], before["repeat_rate"]) == (1, 1, 1.0, 1.0, 2, 0.0)
    yoy = s["year_on_year"]
    assert yoy["accepted"] == 4.0 and yoy["complaints"] == 5.5
    assert yoy["acceptance_rate"] == 0.3333
    assert yoy["on_time_rate"] == -0.25 and yoy["satisfaction_rate"] == -0.3333
    assert yoy["repeat_rate"] == 0.4615


def test_daily_bulletin_counts_one_shanghai_day(client, auth, ledger):
    b = client.get("/api/v1/reports/daily", params={"date": "2026-03-05"}, headers=auth("clerk")).json()
    assert (b["new_cases"], b["new_complaints"], b["closed"], b["repeat_complaints"]) == (1, 2, 1, 1)
    assert (b["in_stock"], b["overdue"]) == (3, 1)  # A, D, F open at midnight; F past due
    assert b["satisfaction"]["revisits"] == 1 and b["satisfaction"]["rate"] == 1.0
    streets = {z["name"]: (z["new_cases"], z["in_stock"], z["closed"], z["overdue"]) for z in b["by_street"]}
    assert streets == {"东街道": (1, 2, 1, 0), "西街道": (0, 1, 0, 1)}
    x, y = ledger["officers"]
    officers = {o["user_id"]: (o["in_stock"], o["closed"], o["overdue"]) for o in b["by_officer"]}
    assert officers == {x.id: (2, 1, 0), y.id: (1, 0, 1)}


@pytest.mark.usefixtures("ledger")
def test_daily_page_is_chinese_and_self_contained(client, auth):
    response = client.get("/api/v1/reports/daily", params={"date": "2026-03-05", "format": "html"},
                          headers=auth("chief"))
    assert response.status_code == 200
    page = response.text
    assert "日通报" in page and "东街道" in page
    assert 'id="in-stock">3<' in page
    assert "http://" not in page and "https://" not in page


@pytest.mark.usefixtures("ledger")
def test_reports_are_for_staff_who_read_them(client, auth):
    assert client.get("/api/v1/reports/summary", params={"from": "2026-03-01", "to": "2026-03-31"},
                      headers=auth("inspector")).status_code == 403
    bad = client.get("/api/v1/reports/summary", params={"from": "2026-03-31", "to": "2026-03-01"},
                     headers=auth("planner"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "to"]


def test_xlsx_ledger_carries_colour_fills_and_personal_columns_for_a_clerk(client, db, make_user, auth, ledger):
    clerk = make_user("clerk")
    response = client.get("/api/v1/reports/ledger.xlsx", params={"opened_from": "2026-02-01",
                                                                 "opened_to": "2026-03-31"}, headers=auth(clerk))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["编号", "类别", "网格/片区", "来源渠道"] and header[-2:] == ["投诉人", "联系电话"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    f = rows[ledger["cases"]["F"].id]
    progress = header.index("进度标识")
    assert f[progress].value == "红" and f[progress].fill.fgColor.rgb.endswith("FF7C80")
    a = rows[ledger["cases"]["A"].id]
    assert a[progress].fill.fgColor.rgb.endswith("92D050")
    assert a[header.index("满意度标识")].fill.fgColor.rgb.endswith("92D050")
    assert a[header.index("按期办结")].value == "否"
    assert rows[ledger["cases"]["J"].id][header.index("按期办结")].value == "是"
    assert a[header.index("联系电话")].value == "13812341234"
    audit = db.scalars(select(AuditEntry).where(AuditEntry.actor_id == clerk.id)).one()
    assert audit.action == "personal_data.export" and len(audit.detail["ids"]) == 8


@pytest.mark.usefixtures("ledger")
def test_csv_ledger_has_no_personal_data_for_roles_without_it(client, db, make_user, auth):
    planner = make_user("planner")
    response = client.get("/api/v1/reports/ledger.csv", params={"category": "odour"}, headers=auth(planner))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "投诉人" not in rows[0] and "联系电话" not in rows[0]
    assert len(rows) == 1 + 5  # A, B, G, H, I
    assert "1381234" not in text and "王" not in text
    assert db.scalars(select(AuditEntry).where(AuditEntry.actor_id == planner.id)).first() is None
    # Inspectors do not export the ledger at all.
    assert client.get("/api/v1/reports/ledger.csv", headers=auth("inspector")).status_code == 403


def test_time_boundaries_are_shanghai_midnight(client, db, auth):
    new_case(db, opened_at=at("2026-05-01 00:00"))
    new_case(db, opened_at=at("2026-04-30 23:59") + timedelta(seconds=59))
    b = client.get("/api/v1/reports/daily", params={"date": "2026-05-01"}, headers=auth("chief")).json()
    assert b["new_cases"] == 1
