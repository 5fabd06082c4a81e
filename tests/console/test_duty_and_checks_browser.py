"""The duty roster page and post-enforcement checks in headless Chromium on a real server: the chief adds a
shift on /duty and sees it on the roster, then the urgent complaint intake records for that person out of hours;
on a replied case the chief schedules a check and the inspector sent records its finding. Every page is watched
for dialogs, script errors, policy violations and requests leaving 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.complaints import intake
from ecogrid.core.models import CaseCheck, DutyShift, Zone
from ecogrid.core.time import BEIJING, today
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "duty-pass-123"
LON, LAT = 120.3826, 36.0671


def _complaint(**over) -> intake.ComplaintIn:
    data = {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "夜间刺鼻气味",
            "lon": LON, "lat": LAT}
    data.update(over)
    return intake.ComplaintIn(**data)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def city(live_server) -> dict:
    with live_server.session() as session:
        people = {role: user_service.create(session, username=f"dc-{role}", role=role, password=PASSWORD)
                  for role in ("clerk", "chief", "inspector")}
        people["inspector"].full_name = HOSTILE[0]
        w, s, e, n = LON - 0.1, LAT - 0.1, LON + 0.1, LAT + 0.1
        session.add(Zone(code="DC", name="值班区", level="district", officer_id=people["chief"].id,
                         geom=f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"))
        session.flush()
        case_id = intake.register_complaint(session, data=_complaint(), created_by_id=people["clerk"].id,
                                            with_suspects=False).complaint.case_id
        assert case_id is not None
        steps = [("clerk", "accept", None), ("chief", "dispatch", {"user_id": people["inspector"].id}),
                 ("inspector", "start", None), ("inspector", "reply", {"summary": "已整改"})]
        for role, action, payload in steps:
            user = people[role]
            casework.act(session, case_id=case_id, action=action, payload=payload,
                         actor=casework.Actor(user_id=user.id, name=user.username, role=user.role))
        session.commit()
        return {"case": case_id, **{role: user.id for role, user in people.items()}}


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser, live_server, username: str, path: str):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    sign_in(page, live_server.url, username, PASSWORD)
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200
    return context, page, watch


def test_the_chief_adds_a_shift_and_sees_the_duty_case(browser, live_server, city) -> None:
    context, page, watch = _open(browser, live_server, "dc-chief", "/duty")
    assert page.locator("#nav a[href='/duty']").get_attribute("aria-current") == "page"
    assert page.locator("#roster tr[data-shift]").count() == 0
    page.click("#add-shift summary")
    form = "form[data-form=duty-shift]"
    page.select_option(f"{form} select[name=user_id]", str(city["clerk"]))
    yesterday, tomorrow = today() - timedelta(days=1), today() + timedelta(days=1)
    page.fill(f"{form} input[name=starts_at]", f"{yesterday.isoformat()}T17:30")
    page.fill(f"{form} input[name=ends_at]", f"{tomorrow.isoformat()}T08:30")
    page.fill(f"{form} input[name=note]", HOSTILE[2])
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.locator("#done").inner_text() == "已排班。"
    row = page.locator("#roster tr[data-shift]")
    assert row.count() == 1 and "dc-clerk" in row.inner_text() and f"{yesterday.isoformat()} 17:30" in row.inner_text()
    assert row.locator(".note").inner_text() == HOSTILE[2]  # shown as text
    with live_server.session() as session:
        assert session.scalars(select(DutyShift.user_id)).all() == [city["clerk"]]
        # An urgent complaint late last night: intake records it for the clerk on duty.
        late = datetime.combine(yesterday, time(23, 0), tzinfo=BEIJING)
        case_id = intake.register_complaint(
            session, data=_complaint(urgency="urgent", received_at=late, address="夜间化工路"),
            created_by_id=city["clerk"], with_suspects=False).complaint.case_id
        session.commit()
    page.reload()
    assert page.locator("#current-duty").inner_text() == "dc-clerk"
    recorded = page.locator(f"#duty-cases tr[data-case='{case_id}']")
    assert recorded.count() == 1 and "dc-clerk" in recorded.inner_text()
    shoot(page, "duty-roster")
    watch.check()
    context.close()


def test_the_chief_schedules_a_check_and_the_inspector_records_it(browser, live_server, city) -> None:
    case_id = city["case"]
    day = (today() + timedelta(days=5)).isoformat()
    context, page, watch = _open(browser, live_server, "dc-chief", f"/cases/{case_id}")
    assert "尚未安排执法后督察" in page.locator("#post-checks").inner_text()
    page.click("#action-check summary")
    page.fill("form[data-form=check] input[name=due_on]", day)
    page.select_option("form[data-form=check] select[name=assignee_id]", str(city["inspector"]))
    page.fill("form[data-form=check] textarea[name=note]", "查看除臭设施是否运行")
    with page.expect_navigation():
        page.click("form[data-form=check] button[type=submit]")
    row = page.locator("#post-checks tr[data-check]")
    assert row.count() == 1 and day in row.inner_text() and "待督察" in row.inner_text()
    assert row.locator(".assignee").inner_text() == HOSTILE[0]  # the inspector's hostile name, as text
    assert page.locator("#timeline tr[data-event=schedule_check]").count() == 1
    watch.check()
    context.close()

    context, page, watch = _open(browser, live_server, "dc-inspector", f"/cases/{case_id}")
    check_id = page.locator("#post-checks tr[data-check]").get_attribute("data-check")
    done_form = f"form[data-form=check-done-{check_id}]"
    page.fill(f"{done_form} textarea[name=finding]", "设施正常运行，未见反弹")
    with page.expect_navigation():
        page.click(f"{done_form} button[type=submit]")
    assert page.locator("#post-checks .finding").inner_text() == "设施正常运行，未见反弹"
    assert page.locator("#timeline tr[data-event=check]").count() == 1
    shoot(page, "case-post-check")
    with live_server.session() as session:
        stored = session.scalars(select(CaseCheck).where(CaseCheck.case_id == case_id)).one()
        assert stored.done_by_id == city["inspector"] and stored.finding == "设施正常运行，未见反弹"
    watch.check()
    context.close()
