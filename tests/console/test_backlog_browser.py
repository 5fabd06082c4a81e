"""领导包案 and 信访积案 in headless Chromium on a real server: the chief names the owning leader on the case
page, finds the case on the ledger under "owned", puts it on the backlog in a focused drive and takes a chronic
repeat off with a reason. Every page is watched for dialogs, script errors, policy violations and requests
leaving 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Case, CaseEvent, Complaint, Zone
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "console-pass-123"
LON, LAT = 120.3826, 36.0671


@pytest.fixture(scope="module")
def city(live_server) -> dict:
    now = datetime.now(UTC)
    box = f"SRID=4326;MULTIPOLYGON((({LON - .1} {LAT - .1},{LON + .1} {LAT - .1},{LON + .1} {LAT + .1}," \
          f"{LON - .1} {LAT + .1},{LON - .1} {LAT - .1})))"
    with live_server.session() as session:
        chief = user_service.create(session, username="bk-chief", role="chief", password=PASSWORD)
        leader = user_service.create(session, username="bk-leader", role="chief", password=PASSWORD)
        leader.full_name = HOSTILE[0]
        district = Zone(code="BK", name="积案区", level="district", geom=box, officer_id=chief.id)
        session.add(district)
        session.flush()
        cases = {}
        for key, repeats in (("key", 0), ("chronic", 5)):
            row = Case(kind="complaint", category="odour", status="accepted", channel="hotline_12345",
                       zone_id=district.id, geom=f"SRID=4326;POINT({LON} {LAT})", opened_at=now - timedelta(hours=3),
                       last_complaint_at=now, accepted_at=now, due_at=now + timedelta(days=3), repeat_count=repeats)
            session.add(row)
            session.flush()
            session.add(Complaint(case_id=row.id, channel="hotline_12345", kind="complaint", category="odour",
                                  description="化工异味", received_at=now - timedelta(hours=3)))
            cases[key] = row.id
        session.commit()
        return {"cases": cases, "leader": leader.id}


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_chief_names_an_owner_and_keeps_the_backlog(browser, live_server, city) -> None:
    key, chronic = city["cases"]["key"], city["cases"]["chronic"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    sign_in(page, live_server.url, "bk-chief", PASSWORD)

    page.goto(f"{live_server.url}/cases/{key}")
    page.click("#action-owner summary")
    page.select_option("#action-owner select[name=user_id]", str(city["leader"]))
    with page.expect_navigation():
        page.click("#action-owner button[type=submit]")
    assert page.locator("#owner").inner_text() == HOSTILE[0]  # the leader's hostile name, as text

    page.goto(f"{live_server.url}/cases?owned=1")
    assert page.locator("#case-table tbody tr[data-case]").count() == 1
    assert page.locator(f"tr[data-case='{key}'] .owner").inner_text() == HOSTILE[0]

    page.goto(f"{live_server.url}/backlog")
    assert page.locator(f"#backlog-table tr[data-case='{chronic}']").is_visible()  # 6 complaints: by the rule
    page.click("#put-on-backlog summary")
    page.fill("#put-on-backlog input[name=case_id]", str(key))
    page.fill("#put-on-backlog input[name=reason]", "跨年度反复投诉")
    page.check("#put-on-backlog input[name=focused]")
    with page.expect_navigation():
        page.click("#put-submit")
    row = page.locator(f"#backlog-table tr[data-case='{key}']")
    assert row.locator(".focused").inner_text() == "集中攻坚" and row.locator(".owner").inner_text() == HOSTILE[0]
    shoot(page, "backlog")

    page.fill(f"tr[data-case='{chronic}'] input[name=reason]", "已整改，三个月无新投诉")
    with page.expect_navigation():
        page.click(f"button[data-leave='{chronic}']")
    assert page.locator(f"#backlog-table tr[data-case='{chronic}']").count() == 0
    with live_server.session() as session:
        left = session.scalars(select(CaseEvent).where(CaseEvent.case_id == chronic,
                                                       CaseEvent.action == "backlog_leave")).one()
        assert left.note == "已整改，三个月无新投诉"
    watch.check()
    context.close()
