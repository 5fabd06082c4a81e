"""退单, 会同, 移交公安 and 复查 on the staff console's case page, in headless Chromium on a real server: the
buttons come from the allowed actions, the forms post, the case shows where the work went and who shares it.
Every page is watched for dialogs, script errors, policy violations and requests leaving 127.0.0.1."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import departments
from ecogrid.core import security
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
        people = {role: user_service.create(session, username=f"tr-{role}", role=role, password=PASSWORD)
                  for role in ("clerk", "chief")}
        inspector = user_service.create(session, username="tr-inspector", role="inspector", password=PASSWORD)
        district = Zone(code="TR", name="转办区", level="district", geom=box, officer_id=people["chief"].id)
        session.add(district)
        session.flush()
        street = departments.create(session, name=HOSTILE[0], kind="street_office", contact_person="张主任")
        police = departments.create(session, name="市南公安分局", kind="police", phone="110")
        cases = {}
        for key, status in (("returned", "registered"), ("police", "accepted"), ("recheck", "in_progress")):
            row = Case(kind="complaint", category="noise_social", status=status, channel="hotline_12345",
                       zone_id=district.id, geom=f"SRID=4326;POINT({LON} {LAT})", opened_at=now - timedelta(hours=3),
                       last_complaint_at=now, accepted_at=None if status == "registered" else now,
                       due_at=now + timedelta(days=3),
                       assigned_to_id=inspector.id if status == "in_progress" else None)
            session.add(row)
            session.flush()
            session.add(Complaint(case_id=row.id, channel="hotline_12345", kind="complaint", category="noise_social",
                                  description="夜间噪声", received_at=now - timedelta(hours=3)))
            cases[key] = row.id
        session.commit()
        return {"cases": cases, "street": street.id, "police": police.id, "inspector": inspector.id}


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Person:
    def __init__(self, browser, live_server, username: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        self.watch = Watch()
        self.watch.attach(self.page)
        self.base = live_server.url
        sign_in(self.page, self.base, username, PASSWORD)

    def open(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == 200

    def submit(self, action: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"form[data-action={action}] button[type=submit]")

    def close(self) -> None:
        self.watch.check()
        self.context.close()


def _status(live_server, case_id: int) -> str:
    with live_server.session() as session:
        return session.get(Case, case_id).status


def test_the_clerk_returns_a_work_order_to_the_platform(browser, live_server, city) -> None:
    case_id = city["cases"]["returned"]
    me = Person(browser, live_server, "tr-clerk")
    page = me.page
    me.open(f"/cases/{case_id}")
    page.click("#action-return summary")
    page.select_option("form[data-action=return] select[name=reason]", "outside_function")
    me.submit("return")  # no note: refused next to the field, nothing kept
    assert page.locator("form[data-action=return] [data-field=note]").is_visible()
    assert _status(live_server, case_id) == "registered"
    page.fill("form[data-action=return] input[name=note]", "社会生活噪声属公安机关管辖")
    me.submit("return")
    assert page.locator("#case-status").get_attribute("data-status") == "returned"
    assert page.locator("#return-reason").inner_text() == "职能不符"
    assert page.locator("form.action[data-action]").count() == 0  # no workflow step left; the contact log stays
    shoot(page, "case-returned")
    me.close()


def test_the_chief_adds_a_co_handler_and_hands_the_case_over_to_the_police(browser, live_server, city) -> None:
    case_id = city["cases"]["police"]
    me = Person(browser, live_server, "tr-chief")
    page = me.page
    me.open(f"/cases/{case_id}")
    page.click("#action-cohandle summary")
    page.select_option("form[data-action=cohandle] select[name=department_id]", str(city["street"]))
    me.submit("cohandle")
    assert HOSTILE[0] in page.locator("#co-handlers").inner_text()  # the hostile name, as text
    page.click("#action-handover summary")
    options = page.locator("form[data-action=handover] select[name=department_id] option").all_inner_texts()
    assert any("市南公安分局" in o for o in options) and not any(HOSTILE[0] in o for o in options)
    page.select_option("form[data-action=handover] select[name=department_id]", str(city["police"]))
    page.fill("form[data-action=handover] textarea[name=reason]", "夜间社会生活噪声")
    me.submit("handover")
    assert page.locator("#case-status").get_attribute("data-status") == "transferred"
    assert "市南公安分局" in page.locator("#transferred-to").inner_text()
    assert [r.get_attribute("data-event") for r in page.locator("#timeline tr[data-event]").all()][-2:] == [
        "cohandle", "handover"]
    shoot(page, "case-handed-over")
    with live_server.session() as session:
        actions = list(session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id)))
    assert actions[-2:] == ["cohandle", "handover"]
    me.close()


def test_the_reply_waits_for_the_re_check_after_a_rectification_order(browser, live_server, city) -> None:
    case_id = city["cases"]["recheck"]
    me = Person(browser, live_server, "tr-chief")
    page = me.page
    me.open(f"/cases/{case_id}")
    page.click("#action-rectify summary")
    page.fill("form[data-action=rectify] input[name=due_at]",
              (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    me.submit("rectify")
    assert page.locator("#case-status").get_attribute("data-status") == "rectification"
    assert page.locator("#recheck-pending").is_visible()
    assert page.locator("form[data-action=reply]").count() == 0
    token = security.issue_token(settings=live_server.settings, user_id=city["inspector"], role="inspector")
    visit = me.context.request.post(f"{live_server.url}/api/v1/inspections",
                                    headers={"Authorization": f"Bearer {token}"},
                                    data={"case_id": case_id, "client_id": str(uuid.uuid4()), "findings": "复查已整改"})
    assert visit.status == 201, visit.text()
    me.open(f"/cases/{case_id}")
    assert page.locator("#recheck-pending").count() == 0
    page.click("#action-reply summary")
    page.fill("form[data-action=reply] textarea[name=summary]", "复查已整改到位")
    me.submit("reply")
    assert page.locator("#case-status").get_attribute("data-status") == "replied"
    me.close()
