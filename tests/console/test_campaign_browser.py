"""A chief follows a special campaign in headless Chromium on a real server: from the navigation to the
campaign list, into one campaign, links a case by its number (the case figures count it), and to English. Every page is
watched for dialogs, script errors, policy violations and requests leaving 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecogrid.accounts import service as user_service
from ecogrid.campaigns import rules
from ecogrid.campaigns import service as campaign_service
from ecogrid.core.models import Case, Complaint, Source, Zone
from ecogrid.core.time import today
from ecogrid.sources import credit_code
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "console-pass-123"
LON, LAT = 120.3826, 36.0671


@pytest.fixture(scope="module")
def campaign(live_server) -> dict:
    now = datetime.now(UTC)
    box = f"SRID=4326;MULTIPOLYGON((({LON - .1} {LAT - .1},{LON + .1} {LAT - .1},{LON + .1} {LAT + .1}," \
          f"{LON - .1} {LAT + .1},{LON - .1} {LAT - .1})))"
    with live_server.session() as session:
        chief = user_service.create(session, username="cp-chief", role="chief", password=PASSWORD)
        district = Zone(code="CP", name="专项区", level="district", geom=box, officer_id=chief.id)
        session.add(district)
        session.flush()
        units = [Source(name=name, industry="other", credit_code=credit_code.make(org8=f"{n + 71:08d}"),
                        categories=["voc"], geom=f"SRID=4326;POINT({LON + 0.001 * n} {LAT})")
                 for n, name in enumerate((HOSTILE[1], "某涂装厂"))]
        session.add_all(units)
        case = Case(kind="complaint", category="voc", status="dispatched", channel="hotline_12345",
                    zone_id=district.id, geom=f"SRID=4326;POINT({LON} {LAT})", opened_at=now - timedelta(days=2),
                    last_complaint_at=now, accepted_at=now - timedelta(days=2), due_at=now - timedelta(hours=1))
        session.add(case)
        session.flush()
        session.add(Complaint(case_id=case.id, channel="hotline_12345", kind="complaint", category="voc",
                              description="喷漆异味", received_at=now - timedelta(days=2)))
        actor = campaign_service.Actor(user_id=chief.id, role="chief")
        made = campaign_service.create(session, actor=actor, draft=rules.Draft(
            name=f"VOCs专项 {HOSTILE[0]}", start_date=today() - timedelta(days=5), end_date=today() + timedelta(days=5),
            categories=("voc",), zone_ids=(district.id,), source_ids=tuple(u.id for u in units)))
        session.commit()
        return {"id": made.id, "case": case.id}


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_a_chief_follows_a_campaign_from_the_navigation_to_its_figures(browser, live_server, campaign):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    sign_in(page, live_server.url, "cp-chief", PASSWORD)
    with page.expect_navigation():
        page.click("#nav a[href='/campaigns']")
    row = page.locator(f"tr[data-campaign='{campaign['id']}']")
    assert HOSTILE[0] in row.inner_text()  # shown as text
    with page.expect_navigation():
        row.locator("a").click()
    assert page.inner_text("#in-stock") == "0" and page.inner_text("#not-inspected") == "2"
    page.fill("#link-case input[name=case_id]", str(campaign["case"]))
    with page.expect_navigation():
        page.click("#link-case button[type=submit]")
    assert page.inner_text("#overdue") == "1" and page.inner_text("#in-stock") == "1"
    assert page.inner_text("#inspected") == "0"
    assert page.locator(f"#linked-cases tr[data-case='{campaign['case']}']").count() == 1
    shoot(page, "campaign")
    with page.expect_navigation():
        page.click("#lang-switch")
    assert "Target units" in page.inner_text("#campaign")
    watch.check()
    context.close()
