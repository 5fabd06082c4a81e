from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from ecogrid.cases import reports
from ecogrid.core.time import day_of
from tests.casefactory import new_case
from tests.console.console_support import sign_in
from tests.staffing import person, zone


def _map_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="work-map-data">(.*?)</script>', html,
                                re.S).group(1))


def test_the_map_shows_red_cases_as_points_and_streets_link_to_their_cases(client, db):
    street = zone(db, level="street", west=120.3, south=36.0, size=0.1)
    person(db, "chief", username="map-chief")
    now = datetime.now(UTC)
    red = new_case(db, zone_id=street.id, status="dispatched", accepted_at=now - timedelta(days=3),
                   due_at=now - timedelta(hours=1), geom="SRID=4326;POINT(120.35 36.05)")
    new_case(db, zone_id=street.id, status="dispatched", accepted_at=now, due_at=now + timedelta(days=10),
             geom="SRID=4326;POINT(120.36 36.05)")
    sign_in(client, "map-chief")
    page = client.get("/map")
    assert page.status_code == 200
    data = _map_data(page.text)
    assert [p["lines"][0]["href"] for p in data["points"]] == [f"/cases/{red.id}"]
    assert data["points"][0]["colour"] == "red"
    assert re.search(r'id="red-total">1<', page.text)
    assert f'href="/cases?zone={street.code}"' in page.text
    assert client.get("/map", params={"category": "smell"}).status_code == 422


def test_a_map_cell_opens_the_cases_inside_it(client, db):
    street = zone(db, level="street", west=120.3, south=36.0, size=0.1)
    person(db, "chief", username="cell-chief")
    inside = new_case(db, zone_id=street.id, geom="SRID=4326;POINT(120.35 36.05)")
    outside = new_case(db, zone_id=street.id, geom="SRID=4326;POINT(120.31 36.01)")
    sign_in(client, "cell-chief")
    page = client.get("/cases", params={"bbox": "120.34,36.04,120.36,36.06"})
    assert f'data-case="{inside.id}"' in page.text and f'data-case="{outside.id}"' not in page.text
    assert client.get("/cases", params={"bbox": "1,2,3"}).status_code == 422


def test_the_reports_page_shows_yesterdays_bulletin_by_default(client, db):
    person(db, "chief", username="report-chief")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    new_case(db, opened_at=yesterday)
    sign_in(client, "report-chief")
    page = client.get("/reports")
    assert page.status_code == 200
    day = day_of(yesterday)
    bulletin = reports.daily_bulletin(db, day=day)
    assert f'id="bulletin-date">{day.isoformat()}<' in page.text
    assert f'id="new-cases">{bulletin["new_cases"]}<' in page.text and bulletin["new_cases"] >= 1
    assert f'id="in-stock">{bulletin["in_stock"]}<' in page.text
    assert 'id="trend"' in page.text and 'data-print' in page.text
    bad = client.get("/reports", params={"day": "someday", "from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == 422 and 'data-field="day"' in bad.text and 'data-field="to"' in bad.text
