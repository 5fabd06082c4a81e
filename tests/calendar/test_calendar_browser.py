"""The staff console in headless Chromium: a 2027 deadline reads 预计 until the year's schedule is loaded,
then shows the deadline counted by it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.core import security
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.casefactory import at, new_case
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "calendar-pass-123"
EXAMPLE = Path(__file__).parent / "data" / "example_2027.json"


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_case_page_says_estimated_until_the_schedule_is_loaded(browser, live_server) -> None:
    with live_server.session() as session:
        clerk = user_service.create(session, username="cal-clerk", role="clerk", password=PASSWORD)
        user_service.create(session, username="cal-chief", role="chief", password=PASSWORD)
        admin = user_service.create(session, username="cal-admin", role="admin", password=PASSWORD)
        row = new_case(session, opened_at=at("2027-02-04 10:00"), channel="hotline_12345")
        casework.act(session, case_id=row.id, action="accept", payload=None,
                     actor=casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk"),
                     now=at("2027-02-04 11:00"))
        session.commit()
        case_id, admin_id = row.id, admin.id
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    try:
        sign_in(page, live_server.url, "cal-chief", PASSWORD)
        page.goto(f"{live_server.url}/cases/{case_id}?lang=zh")
        try:
            page.wait_for_selector("#due-estimated", timeout=15000)
        except PlaywrightTimeout:
            watch.check()
            raise
        assert "预计" in page.inner_text("#due-at")
        shoot(page, "calendar-estimated")

        token = security.issue_token(settings=live_server.settings, user_id=admin_id, role="admin")
        r = httpx.post(f"{live_server.url}/api/v1/admin/calendar/2027", headers={"Authorization": f"Bearer {token}"},
                       json=json.loads(EXAMPLE.read_text(encoding="utf-8")), timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["recomputed_cases"] == 1

        page.reload()
        page.wait_for_selector("#due-at")
        assert page.query_selector("#due-estimated") is None
        assert page.inner_text("#due-at").strip() == "2027-02-18 10:00"
        watch.check()
    finally:
        context.close()
