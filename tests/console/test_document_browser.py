"""Case documents in headless Chromium on a real server: the clerk issues a numbered rectification notice
from the case page and opens it to print; the chief voids it with the reason, and the printed page then
carries the void stamp. Pages are watched for dialogs, script errors, policy violations and requests
leaving 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.core.models import CaseDocument
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.cases.test_documents import started_case
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE
from tests.staffing import PASSWORD, actor

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")


def test_a_notice_is_issued_printed_and_voided(live_server) -> None:
    with live_server.session() as session:
        row, chief, inspector = started_case(session)
        casework.act(session, case_id=row.id, action="rectify", actor=actor(inspector),
                     payload={"due_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
                              "requirement": f"停止露天焚烧 {HOSTILE[2]}"})
        user_service.create(session, username="doc-clerk", role="clerk", password=PASSWORD)
        case_id, chief_name = row.id, chief.username
        session.commit()
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        sign_in(page, live_server.url, "doc-clerk", PASSWORD)
        page.goto(f"{live_server.url}/cases/{case_id}")
        with page.expect_navigation():
            page.click("form[data-form=document-rectification_notice] button[type=submit]")
        link = page.locator("#documents tr[data-document] a").first
        number = link.inner_text()
        assert "整改第" in number
        with page.expect_navigation():
            link.click()
        assert page.locator("h1").inner_text() == "整改提示函" and number in page.content()
        assert HOSTILE[2] in page.locator("body").inner_text()  # the requirement as text, not markup
        context.close()

        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        watch.attach(page)
        sign_in(page, live_server.url, chief_name, PASSWORD)
        page.goto(f"{live_server.url}/cases/{case_id}")
        page.fill("#documents input[name=reason]", "整改期限填写错误")
        with page.expect_navigation():
            page.click("#documents form[data-form^=void] button[type=submit]")
        assert "已作废" in page.locator("#documents").inner_text()
        shoot(page, "document-void")
        with page.expect_navigation():
            page.click("#documents tr[data-document] a")
        assert "已作废" in page.locator(".void-stamp").inner_text()
        assert "整改期限填写错误" in page.locator(".void-stamp").inner_text()
        watch.check()
        browser.close()
    with live_server.session() as session:
        stored = session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)).one()
        assert stored.void_reason == "整改期限填写错误" and stored.number == number
