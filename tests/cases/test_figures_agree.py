"""One figure, one value: every surface counts overdue, satisfaction and on-time closure alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ecogrid import demo
from ecogrid.core.models import Revisit
from ecogrid.core.time import day_of
from tests.cases.figures_support import (
    ledger,
    seen_in_bulletin,
    seen_in_ledger,
    seen_in_summary,
    seen_on_map,
    streets_add_up,
    zone_map,
)


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

    # The whole history: the summary, the map and the ledger give the same rates.
    first = end - timedelta(days=800)
    history = client.get("/api/v1/reports/summary", params={"from": str(first), "to": str(today)},
                         headers=chief).json()
    history_map = zone_map(client, chief, first, today)
    assert seen_in_summary(history) == seen_on_map(history_map) == seen_in_ledger(rows)
    # Per revisit, an unsatisfied judgement counts, so no street can show 100 % only by construction.
    rates = [f["properties"]["satisfaction_rate"] for f in history_map["features"]
             if f["properties"]["revisits"]]
    assert rates and min(rates) < 1.0
    assert 0 < history["satisfaction_rate"] < 1 and 0 < history["on_time_rate"] < 1
