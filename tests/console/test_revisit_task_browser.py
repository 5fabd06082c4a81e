"""Revisit tasks in headless Chromium on a real server: the clerk follows the workspace's count of tasks due to
the list, marks one done with what the complainant said, and the count falls. Every page is watched for dialogs,
script errors, policy violations and requests leaving 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import revisit_tasks
from ecogrid.core.models import RevisitTask
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.casefactory import new_case
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "console-pass-123"


def test_the_clerk_works_through_the_revisits_due(live_server) -> None:
    when = datetime.now(UTC) - timedelta(days=9)
    with live_server.session() as session:
        user_service.create(session, username="rv-clerk", role="clerk", password=PASSWORD)
        case_id = new_case(session, opened_at=when - timedelta(days=5), status="closed", closed_at=when).id
        revisit_tasks.generate_scheduled(session, days=7)
        session.commit()
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        watch = Watch()
        watch.attach(page)
        sign_in(page, live_server.url, "rv-clerk", PASSWORD)
        card = page.locator("#needs-today [data-item=revisits_due]")
        before = int(card.locator(".count").inner_text())
        assert before >= 1
        with page.expect_navigation():
            card.click()
        assert page.locator("#task-table tbody tr[data-task]").count() == before
        row = page.locator(f"#task-table tr[data-case='{case_id}']")
        assert row.locator(".due strong").inner_text() == "已到期"
        row.locator("input[name=note]").fill(HOSTILE[0])
        with page.expect_navigation():
            row.locator("button[data-done]").click()
        assert page.locator("#done").is_visible()
        shoot(page, "revisit-tasks")
        page.goto(f"{live_server.url}/")
        assert int(page.locator("#needs-today [data-item=revisits_due] .count").inner_text()) == before - 1
        watch.check()
        browser.close()
    with live_server.session() as session:
        task = session.scalars(select(RevisitTask).where(RevisitTask.case_id == case_id)).one()
        assert task.note == HOSTILE[0] and task.done_at is not None
