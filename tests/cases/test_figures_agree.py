"""One figure, one value: every surface counts overdue, satisfaction, on-time closure and the assessment figures
(closure, rework and extension rates, mean days to close, revisit coverage) alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ecogrid import demo
from ecogrid.core.models import Revisit
from ecogrid.core.time import day_of
from tests.cases.figures_support import (
    assessed,
    assessed_on_map,
    ledger,
    ledger_extension_and_days,
    seen_in_bulletin,
    seen_in_ledger,
    seen_in_summary,
    seen_on_map,
    streets_add_up,
    zone_map,
)
from tests.staffing import city_chief, person


def test_demo_city_shows_one_overdue_count_satisfaction_and_on_time_rate_everywhere(db, client, auth):
    today = day_of(datetime.now(UTC))
    end = today - timedelta(days=60)  # every demo event lies in the past
    demo.generate(db, seed=7, password="demo-pass-1", complaints=800, end=end)
    chief = auth("chief")

    # Now: the case list, today's bulletin, today's summary, today's map and the ledger.
    listed = client.get("/api/v1/cases", params={"overdue": "true", "limit": 1}, headers=chief).json()["total"]
    bulletin = client.get("/api/v1/reports/daily", headers=chief).json()
    summary = client.get("/api/v1/reports/summary", params={"from": str(today), "to": str(today)},
                         headers=chief).json()
    rows = ledger(client, chief)
    assert listed > 0
    assert bulletin["overdue"] == summary["overdue"] == seen_on_map(zone_map(client, chief, today, today)).overdue \
        == seen_in_ledger(rows).overdue == listed
    streets_add_up(bulletin)
    assert assessed(bulletin) == assessed(summary) == assessed_on_map(zone_map(client, chief, today, today))

    # A past day with revisits and closures: bulletin, summary and map agree, the streets add up.
    revisit_day = func.date(func.timezone("Asia/Shanghai", Revisit.at))
    busiest = db.scalar(select(revisit_day).group_by(revisit_day).order_by(func.count().desc(), revisit_day)
                        .limit(1))
    day_bulletin = client.get("/api/v1/reports/daily", params={"date": str(busiest)}, headers=chief).json()
    day_summary = client.get("/api/v1/reports/summary", params={"from": str(busiest), "to": str(busiest)},
                             headers=chief).json()
    assert day_bulletin["satisfaction"]["revisits"] > 0
    assert seen_in_bulletin(day_bulletin) == seen_in_summary(day_summary) \
        == seen_on_map(zone_map(client, chief, busiest, busiest))
    streets_add_up(day_bulletin)
    assert assessed(day_bulletin) == assessed(day_summary) == assessed_on_map(zone_map(client, chief, busiest, busiest))
    assert day_bulletin["closings"] == day_summary["closings"] > 0

    # The whole history: the summary, the map and the ledger give the same rates.
    first = end - timedelta(days=800)
    history = client.get("/api/v1/reports/summary", params={"from": str(first), "to": str(today)},
                         headers=chief).json()
    history_map = zone_map(client, chief, first, today)
    assert seen_in_summary(history) == seen_on_map(history_map) == seen_in_ledger(rows)
    assert assessed(history) == assessed_on_map(history_map)
    extension_rate, mean_days = ledger_extension_and_days(rows)
    assert history["extension_rate"] == extension_rate
    assert mean_days is not None and abs(history["mean_days_to_close"] - mean_days) <= 0.01
    assert 0 < history["closure_rate"] < 1 and 0 < history["revisit_coverage"] <= 1
    # Per revisit, an unsatisfied judgement counts, so no street can show 100 % only by construction.
    rates = [f["properties"]["satisfaction_rate"] for f in history_map["features"]
             if f["properties"]["revisits"]]
    assert rates and min(rates) < 1.0
    assert 0 < history["satisfaction_rate"] < 1 and 0 < history["on_time_rate"] < 1


def test_rework_extension_and_revisit_coverage_agree_on_a_ledger_built_through_the_workflow(db, client, auth):
    clerk, chief, inspector = person(db, "clerk"), city_chief(db), person(db, "inspector")
    h = {"clerk": auth(clerk), "chief": auth(chief), "inspector": auth(inspector)}

    def act(role, case_id, action, body=None):
        r = client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=h[role])
        assert r.status_code == 200, (action, r.text)

    def intake(lon):
        body = {"channel": "hotline_12345", "kind": "complaint", "category": "dust", "description": "工地扬尘",
                "lon": lon, "lat": 36.7, "received_at": datetime.now(UTC).isoformat()}
        r = client.post("/api/v1/complaints", json=body, headers=h["clerk"])
        assert r.status_code == 201, r.text
        return r.json()["case_id"]

    def handle(case_id, *, extend=False, revisit=True, close=True):
        act("clerk", case_id, "accept")
        if extend:
            act("chief", case_id, "extend", {"days": 5, "reason": "等待检测报告"})
        act("chief", case_id, "dispatch", {"user_id": inspector.id})
        act("inspector", case_id, "start")
        act("inspector", case_id, "reply", {"summary": "已整改"})
        if revisit:
            act("clerk", case_id, "revisit", {"satisfaction": "satisfied", "method": "phone"})
        if close:
            act("clerk", case_id, "close")

    reworked, extended, waiting, untouched = (intake(121.0 + 0.01 * i) for i in range(4))
    handle(reworked)
    handle(extended, extend=True)
    handle(waiting, revisit=False, close=False)  # replied, not yet revisited
    assert intake(121.0) == reworked  # a repeat of the closed case: reopened (返工)

    today = day_of(datetime.now(UTC))
    chief_h = h["chief"]
    bulletin = client.get("/api/v1/reports/daily", headers=chief_h).json()
    summary = client.get("/api/v1/reports/summary", params={"from": str(today), "to": str(today)},
                         headers=chief_h).json()
    counted = zone_map(client, chief_h, today, today)
    assert assessed(bulletin) == assessed(summary) == assessed_on_map(counted)
    # Closed: the extended case (the reworked one is open again); open: the reworked, the waiting, the untouched.
    assert (summary["closed"], summary["in_stock"], summary["closings"], summary["reworked"]) == (1, 3, 2, 1)
    assert summary["closure_rate"] == 0.25 and summary["rework_rate"] == 0.5 and summary["extension_rate"] == 1.0
    assert summary["replied"] == 3 and summary["revisit_coverage"] == round(2 / 3, 4)
    assert summary["mean_days_to_close"] is not None and summary["mean_days_to_close"] < 0.01
    extension_rate, _ = ledger_extension_and_days(ledger(client, chief_h))
    assert extension_rate == summary["extension_rate"]
    assert untouched not in (reworked, extended, waiting)
