"""A visit made for a special campaign (专项行动) is marked so on the phone: the inspector picks one of the
campaigns running today (kept on the phone for offline visits) and the stored inspection carries it.
Headless Chromium at 390x844, zh-CN, against a live server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.campaigns import rules as campaign_rules
from ecogrid.campaigns import service as campaign_service
from ecogrid.core.models import Inspection
from ecogrid.core.time import day_of
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.inspection_seed import seed_case
from tests.mobile_support import PASSWORD, phone_context, sign_in


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_inspector_marks_a_visit_for_a_running_campaign(browser, live_server):
    today = day_of(datetime.now(UTC))
    with live_server.session() as session:
        inspector = user_service.create(session, username="inspector_camp", role="inspector", password=PASSWORD)
        actor = campaign_service.Actor(user_id=None, role="chief")
        running = campaign_service.create(session, actor=actor, draft=campaign_rules.Draft(
            name="<b>夏季</b>餐饮油烟专项", start_date=today - timedelta(days=3), end_date=today + timedelta(days=30)))
        campaign_service.create(session, actor=actor, draft=campaign_rules.Draft(
            name="去年的专项", start_date=today - timedelta(days=400), end_date=today - timedelta(days=300)))
        seeded = seed_case(session, inspector_id=inspector.id, status="in_progress")
        session.commit()
        running_id = running.id
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url, "inspector_camp")
    page.goto(page.url.split("#")[0] + f"#/case/{seeded.case_id}")
    page.wait_for_selector("#visit")
    page.click("#start")
    page.wait_for_selector("#inspection-form")
    options = page.locator("#campaign option").all_inner_texts()
    assert options == ["不属于专项行动", "<b>夏季</b>餐饮油烟专项"]  # the past one is not offered; names as text
    page.select_option("#campaign", str(running_id))
    page.fill("#findings", "油烟净化器未开启")
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_url("**/m/#/tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'", timeout=60_000)
    with live_server.session() as session:
        stored = session.scalars(select(Inspection).where(Inspection.case_id == seeded.case_id)).one()
        assert stored.campaign_id == running_id
    watch.check()
    context.close()
