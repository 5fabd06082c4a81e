"""责令整改 and 办结回复 from the phone go through the offline outbox: queued without a signal, shown per case
as waiting, sent after the visit they follow, taken once however often the phone sends them, and the
server's answer shown afterwards. Headless Chromium at 390x844, zh-CN, against a live server."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Case, CaseActionReceipt, CaseEvent, Inspection
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.inspection_seed import seed_case
from tests.mobile_support import PASSWORD, phone_context, sign_in

ARTIFACTS = Path("test-artifacts")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def inspector(live_server):
    with live_server.session() as session:
        user = user_service.create(session, username="inspector_li", role="inspector", password=PASSWORD)
        session.commit()
        return user.id


def _pending(page, count: int) -> None:
    page.wait_for_function(f"() => document.querySelector('#pending-count').textContent === '{count}'",
                           timeout=60_000)


def _open_case(page, case_id: int) -> None:
    page.goto(page.url.split("#")[0] + f"#/case/{case_id}")
    page.wait_for_selector("#visit")


def test_a_rectification_order_queued_offline_is_sent_once_after_its_visit(browser, live_server, inspector):
    with live_server.session() as session:
        seeded = seed_case(session, inspector_id=inspector, status="in_progress")
        session.commit()
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    _open_case(page, seeded.case_id)  # online once: the case page is kept on the phone
    page.wait_for_selector("#rectify-form")

    watch.offline = True
    context.set_offline(True)
    page.click("#start")
    page.wait_for_selector("#inspection-form")
    page.fill("#findings", "夜间音响声明显")
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_url("**/m/#/tasks")
    _pending(page, 1)

    _open_case(page, seeded.case_id)
    page.fill("#requirement", "夜间22时后停止营业性音响")
    page.fill("#rectify-due", (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#rectify")
    page.wait_for_selector('#case-actions .queued-action[data-action="rectify"]')
    assert "已保存在手机上" in page.inner_text("#notice")
    waiting = page.inner_text('#case-actions .queued-action[data-action="rectify"]')
    assert "待发送" in waiting and "责令整改" in waiting
    # The order is not offered twice, and the reply waits for the re-check (复查) the order calls for.
    assert page.locator("#rectify-form").count() == 0
    assert page.locator("#reply-form").count() == 0
    assert page.is_visible("#recheck-needed")
    _pending(page, 2)
    page.goto(page.url.split("#")[0] + "#/tasks")
    page.wait_for_selector(f'#sync .waiting-list li[data-case-id="{seeded.case_id}"][data-action="rectify"]')
    assert page.locator(f'#sync .waiting-list li[data-case-id="{seeded.case_id}"]').count() == 2
    order = page.evaluate("Outbox.all().then(all => all.find(e => e.kind === 'action'))")
    _shot(page, "action-waiting")
    with live_server.session() as session:
        assert session.get(Case, seeded.case_id).status == "in_progress"  # nothing has left the phone

    context.set_offline(False)
    watch.offline = False
    _pending(page, 0)
    sent = f'#sync .sent-list li[data-case-id="{seeded.case_id}"][data-action="rectify"]'
    page.wait_for_selector(sent)
    assert "整改中" in page.inner_text(sent)  # the server's answer

    # The answer lost on the way: the phone still holds the order and sends it again; taken once.
    page.evaluate("(entry) => Outbox.put(entry)", order)
    page.evaluate("flushOutbox()")
    _pending(page, 0)
    _open_case(page, seeded.case_id)
    page.wait_for_selector('#case-actions .sent-action[data-action="rectify"]')
    assert "整改中" in page.inner_text('#case-actions .sent-action[data-action="rectify"]')
    assert page.locator("#rectify-form").count() == 0 and page.locator("#reply-form").count() == 0
    assert page.is_visible("#recheck-needed")
    _shot(page, "action-sent")
    watch.check()
    context.close()

    with live_server.session() as session:
        case = session.get(Case, seeded.case_id)
        assert case.status == "rectification" and case.rectification_due_at is not None
        visits = session.scalars(select(Inspection).where(Inspection.case_id == seeded.case_id)).all()
        orders = session.scalars(select(CaseEvent).where(CaseEvent.case_id == seeded.case_id,
                                                         CaseEvent.action == "rectify")).all()
        assert len(visits) == 1 and len(orders) == 1
        assert visits[0].submitted_at <= orders[0].at  # the order after the visit it follows
        assert orders[0].data["requirement"] == "夜间22时后停止营业性音响"
        receipt = session.scalars(select(CaseActionReceipt).where(CaseActionReceipt.case_id == seeded.case_id)).one()
        assert receipt.client_id == order["client_id"] and receipt.case_event_id == orders[0].id


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)
