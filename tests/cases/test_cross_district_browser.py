"""A cross-district case (跨区) in headless Chromium on a real server: the chief of the district where the
confirmed source lies finds it in the ledger under 跨区案件, reads why on the case page and dispatches it; the
chief of a third district sees no action. Pages are watched for dialogs, script errors, policy violations
and requests leaving 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Case
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.casefactory import new_case
from tests.cases.test_cross_district import city_with_districts, source_in
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.staffing import PASSWORD

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")


def test_the_chief_where_the_source_lies_dispatches_a_cross_district_case(live_server) -> None:
    with live_server.session() as session:
        _, chiefs, districts, grid_in_b = city_with_districts(session)
        inspector = user_service.create(session, username="xd-inspector", role="inspector", password=PASSWORD)
        crossing = new_case(session, zone_id=districts["A"].id, status="accepted",
                            confirmed_source_id=source_in(session, grid_in_b, 121.13).id)
        at_home = new_case(session, zone_id=districts["B"].id, status="accepted")
        names = {k: u.username for k, u in chiefs.items()}
        ids = {"crossing": crossing.id, "at_home": at_home.id, "inspector": inspector.id}
        session.commit()
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        sign_in(page, live_server.url, names["B"], PASSWORD)
        page.goto(f"{live_server.url}/cases")
        page.select_option("select[name=cross_district]", "1")
        with page.expect_navigation():
            page.locator("select[name=cross_district]").evaluate("s => s.form.requestSubmit()")
        rows = page.locator("#case-table tbody tr[data-case]")
        assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == [str(ids["crossing"])]
        assert rows.first.locator(".cross-district").inner_text() == "跨区"
        with page.expect_navigation():
            page.click(f"tr[data-case='{ids['crossing']}'] a")
        assert "两辖区负责人均可办理" in page.locator("#cross-district").inner_text()
        shoot(page, "cross-district")
        page.click("#action-dispatch summary")
        page.select_option("#action-dispatch select[name=target]", f"user:{ids['inspector']}")
        with page.expect_navigation():
            page.click("#action-dispatch button[type=submit]")
        watch.check()
        context.close()

        other = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        sign_in(other, live_server.url, names["C"], PASSWORD)
        other.goto(f"{live_server.url}/cases/{ids['crossing']}")
        assert other.locator("#cross-district").is_visible()  # the third district reads it, and may not act
        assert other.locator("#action-dispatch").count() == 0
        browser.close()
    with live_server.session() as session:
        row = session.scalars(select(Case).where(Case.id == ids["crossing"])).one()
        assert row.status == "dispatched" and row.assigned_to_id == ids["inspector"]
