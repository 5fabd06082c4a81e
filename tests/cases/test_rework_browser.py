"""Rework and the contact log in headless Chromium on a real server: a case closed through the workflow is
reopened by a repeat call; the chief sees it to dispatch again with its new deadline and the 返工 in its history;
the clerk records a call in the contact log and the revisit's method. Every page is watched for dialogs,
script errors, policy violations and requests leaving 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.complaints import intake
from ecogrid.core.models import Case, CaseContact, Revisit, User, Zone
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.console.browser_watch import VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "rework-pass-123"
LON, LAT = 120.3826, 36.0671


def _complaint(**over) -> intake.ComplaintIn:
    data = {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "夜间刺鼻气味",
            "lon": LON, "lat": LAT, "complainant_name": HOSTILE[0], "complainant_phone": "13812345678"}
    data.update(over)
    return intake.ComplaintIn(**data)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def city(live_server) -> dict:
    with live_server.session() as session:
        people = {role: user_service.create(session, username=f"rw-{role}", role=role, password=PASSWORD)
                  for role in ("clerk", "chief", "inspector")}
        w, s, e, n = LON - 0.1, LAT - 0.1, LON + 0.1, LAT + 0.1
        session.add(Zone(code="RW", name="市南区", level="district", officer_id=people["chief"].id,
                         geom=f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"))
        session.flush()
        case_id = intake.register_complaint(session, data=_complaint(), created_by_id=people["clerk"].id,
                                            with_suspects=False).complaint.case_id
        assert case_id is not None
        steps = [("clerk", "accept", None), ("chief", "dispatch", {"user_id": people["inspector"].id}),
                 ("inspector", "start", None), ("inspector", "reply", {"summary": "已整改"}),
                 ("clerk", "revisit", {"satisfaction": "satisfied"}), ("clerk", "close", None)]
        for role, action, payload in steps:
            user = people[role]
            casework.act(session, case_id=case_id, action=action, payload=payload,
                         actor=casework.Actor(user_id=user.id, name=user.username, role=user.role))
        first_due = session.get(Case, case_id).due_at  # type: ignore[union-attr]
        # The problem comes back: a repeat call, received after the closing.
        intake.register_complaint(session, data=_complaint(received_at=datetime.now(UTC), description="又有异味"),
                                  created_by_id=people["clerk"].id, with_suspects=False)
        session.commit()
        return {"case": case_id, "first_due": first_due, "inspector": people["inspector"].id}


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


def _case(live_server, case_id: int) -> Case:
    with live_server.session() as session:
        row = session.get(Case, case_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_chief_sees_the_reopened_case_and_dispatches_it_again(browser, live_server, city) -> None:
    case_id = city["case"]
    context, page, watch = _open(browser, live_server, "rw-chief", f"/cases/{case_id}")
    assert page.locator("#case-status").get_attribute("data-status") == "accepted"
    assert page.locator("#rework-count").inner_text() == "1"
    assert page.locator("#timeline tr[data-event=reopen]").count() == 1
    assert "返工" in page.locator("#timeline tr[data-event=reopen]").inner_text()
    shoot(page, "case-reopened")
    page.click("#action-dispatch summary")
    page.select_option("form[data-action=dispatch] select[name=target]", f"user:{city['inspector']}")
    with page.expect_navigation():
        page.click("form[data-action=dispatch] button[type=submit]")
    assert page.locator("#case-status").get_attribute("data-status") == "dispatched"
    row = _case(live_server, case_id)
    assert row.status == "dispatched" and row.due_at is not None and row.due_at > city["first_due"]
    watch.check()
    context.close()


def test_the_clerk_logs_a_call_and_a_site_revisit(browser, live_server, city) -> None:
    case_id = city["case"]
    with live_server.session() as session:  # the inspector's second handling, to a reply
        inspector = _actor(session, city["inspector"])
        for action, payload in (("start", None), ("reply", {"summary": "再次整改，已加装除臭设备"})):
            casework.act(session, case_id=case_id, action=action, payload=payload, actor=inspector)
    context, page, watch = _open(browser, live_server, "rw-clerk", f"/cases/{case_id}")
    assert "尚无联系记录" in page.locator("#contacts").inner_text()
    page.click("#action-contact summary")
    page.select_option("form[data-form=contact] select[name=method]", "phone")
    page.fill("form[data-form=contact] textarea[name=summary]", f"告知复查安排 {HOSTILE[0]}")
    with page.expect_navigation():
        page.click("form[data-form=contact] button[type=submit]")
    row = page.locator("#contacts tr[data-contact]")
    assert row.count() == 1 and "电话" in row.inner_text() and HOSTILE[0] in row.inner_text()  # shown as text
    page.click("#action-revisit summary")
    page.select_option("form[data-action=revisit] select[name=satisfaction]", "satisfied")
    page.select_option("form[data-action=revisit] select[name=method]", "site")
    with page.expect_navigation():
        page.click("form[data-action=revisit] button[type=submit]")
    assert "现场" in page.locator("#revisits").inner_text()
    shoot(page, "case-contacts")
    with live_server.session() as session:
        assert session.scalars(select(CaseContact.method).where(CaseContact.case_id == case_id)).all() == ["phone"]
        methods = session.scalars(select(Revisit.method).where(Revisit.case_id == case_id).order_by(Revisit.id)).all()
        assert methods == [None, "site"]
    watch.check()
    context.close()


def _actor(session, user_id: int) -> casework.Actor:
    user = session.get(User, user_id)
    assert user is not None
    return casework.Actor(user_id=user.id, name=user.username, role=user.role)
