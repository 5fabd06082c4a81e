"""The printable daily bulletin in headless Chromium: renders, and asks nothing of the internet."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from tests.browser_support import playwright_started
from tests.casefactory import at, new_case

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_daily_bulletin_page_renders_offline(live_server):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    with live_server.session() as session:
        chief = user_service.create(session, username="bulletin_chief", role="chief", password="correct-horse-9")
        new_case(session, opened_at=at("2026-03-05 09:00"))
        session.commit()
        token = security.issue_token(settings=live_server.settings, user_id=chief.id, role=chief.role)

    outside, failed = [], []
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        page = context.new_page()
        page.on("request", lambda r: outside.append(r.url)
                if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:") else None)
        page.on("requestfailed", lambda r: failed.append(r.url))
        response = page.goto(f"{live_server.url}/api/v1/reports/daily?date=2026-03-05&format=html")
        assert response is not None and response.status == 200
        assert page.title().startswith("生态环境信访投诉日通报")
        assert page.locator("#new-cases").inner_text() == "1"
        assert page.locator("#in-stock").inner_text() == "1"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "daily_bulletin.png"), full_page=True)
        browser.close()
    assert outside == []
    assert failed == []
