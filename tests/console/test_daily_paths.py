"""Each role's day in the console, in headless Chromium on a real server, from sign-in to the database.

The tests run in order on one city: the clerk registers a phone complaint and accepts it, the chief
dispatches it from the ledger, the inspector's visit shows on the case page, the clerk's unsatisfied
revisit sends it back, the chief finds it red on the map, the planner draws and the chief approves a
patrol whose route goes to the inspectors' phones, and the head prints yesterday's bulletin. Every page
is watched for dialogs, script errors, policy violations and requests leaving 127.0.0.1, and shows the
hostile names seeded in the city as text. Screenshots (1440x900) go to test-artifacts/.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from ecogrid.core.models import Case, Complaint, PatrolPlan, PatrolTarget, Source, Zone
from ecogrid.core.time import BEIJING
from ecogrid.sources import credit_code
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.console.browser_watch import ARTIFACTS, VIEWPORT, Watch, shoot, sign_in
from tests.console.console_support import HOSTILE
from tests.inspection_seed import jpeg_with_exif

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")

PASSWORD = "console-pass-123"
LON, LAT = 120.3826, 36.0671  # the office: the map opens here


def _box(w: float, s: float, e: float, n: float) -> str:
    return f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


@pytest.fixture(scope="module")
def city(live_server) -> dict:
    now = datetime.now(UTC)
    with live_server.session() as session:
        people = {role: user_service.create(session, username=f"day-{role}", role=role, password=PASSWORD)
                  for role in ("clerk", "chief", "planner", "admin")}
        people["chief"].full_name = HOSTILE[2]
        inspectors = [user_service.create(session, username=f"day-inspector{n}", role="inspector",
                                          password=PASSWORD, team="一中队") for n in range(3)]
        area = _box(LON - 0.2, LAT - 0.2, LON + 0.2, LAT + 0.2)
        district = Zone(code="SN", name="市南区", level="district", geom=area, officer_id=people["chief"].id)
        session.add(district)
        session.flush()
        session.add(Zone(code="SN-01", name=HOSTILE[0], level="street", parent_id=district.id, noise_class="2",
                         geom=area))
        for n in range(6):
            session.add(Source(name=HOSTILE[n % 2] if n < 2 else f"企业{n}", industry="other",
                               credit_code=credit_code.make(org8=f"{n + 11:08d}"), categories=["noise_social"],
                               unit_class="key" if n < 3 else "ordinary",
                               geom=f"SRID=4326;POINT({LON + 0.001 * (n + 1)} {LAT + 0.0005})"))
        # Yesterday's case, for the bulletin; hostile text in every complainant field.
        yesterday = now - timedelta(days=1)
        old = Case(kind="complaint", category="noise_social", status="registered", channel="hotline_12345",
                   geom=f"SRID=4326;POINT({LON + 0.01} {LAT})", opened_at=yesterday, last_complaint_at=yesterday,
                   due_at=now + timedelta(days=1))
        session.add(old)
        session.flush()
        session.add(Complaint(case_id=old.id, channel="hotline_12345", kind="complaint", category="noise_social",
                              description=HOSTILE[1], address=HOSTILE[2], complainant_name=HOSTILE[0],
                              complainant_phone="13900001111", received_at=yesterday,
                              geom=f"SRID=4326;POINT({LON + 0.01} {LAT})"))
        session.commit()
        return {"ids": {k: u.id for k, u in people.items()}, "inspectors": [u.id for u in inspectors],
                "hostile_case": old.id, "state": {}}


@pytest.fixture(scope="module")
def browser():
    with playwright_started() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Session:
    """One person at their browser: a context, a page, its watch."""

    def __init__(self, browser, live_server, username: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        self.watch = Watch()
        self.watch.attach(self.page)
        self.base = live_server.url
        sign_in(self.page, self.base, username, PASSWORD)

    def open(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)

    def wait(self, selector: str) -> None:
        """Wait for ``selector``; if it never comes, say first what broke the page."""
        try:
            self.page.wait_for_selector(selector, timeout=15000)
        except PlaywrightTimeout:
            self.watch.check()
            raise

    def close(self) -> None:
        self.watch.check()
        self.context.close()


def _case(live_server, case_id: int) -> Case:
    with live_server.session() as session:
        row = session.get(Case, case_id)
        assert row is not None
        session.expunge(row)
        return row


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_clerk_registers_a_phone_call_and_accepts_it(browser, live_server, city) -> None:
    me = Session(browser, live_server, "day-clerk")
    page = me.page
    assert page.locator("#needs-today [data-item=to_accept] .count").inner_text() == "1"
    me.open("/intake")
    me.wait("#intake-map[data-ready]")
    page.select_option("#category", "noise_social")
    page.fill("#description", f"KTV 深夜噪声 {HOSTILE[1]}")
    page.fill("#address", "香港中路 88 号")
    page.fill("#complainant_name", "王小明")
    page.fill("#complainant_phone", "13812345678")
    page.locator("#intake-map").click()  # drops the pin where the clerk points
    assert page.input_value("#lon") and page.input_value("#lat")
    page.locator("#intake-map .leaflet-marker-icon").wait_for()
    with page.expect_navigation():
        page.click("#check")
    assert page.locator("#nearby").is_visible()
    shoot(page, "intake")
    with page.expect_navigation():
        page.click("#save")
    assert page.locator("#registered").is_visible()
    assert HOSTILE[0] in page.locator("#zone").inner_text()  # the street's hostile name, as text
    shoot(page, "intake-registered")
    with page.expect_navigation():
        page.click("#case-link")
    case_id = int(page.url.rsplit("/", 1)[1])
    city["state"]["case"] = case_id
    page.click("#action-accept summary")
    _submit(page, "form[data-action=accept]")
    assert page.locator("#case-status").get_attribute("data-status") == "accepted"
    shoot(page, "case-accepted")
    assert _case(live_server, case_id).status == "accepted"
    with live_server.session() as session:
        stored = session.scalars(select(Complaint).where(Complaint.case_id == case_id)).one()
        assert stored.complainant_phone == "13812345678" and stored.created_by_id == city["ids"]["clerk"]
    me.close()


def test_chief_dispatches_from_the_list(browser, live_server, city) -> None:
    case_id = city["state"]["case"]
    me = Session(browser, live_server, "day-chief")
    page = me.page
    assert int(page.locator("#needs-today [data-item=to_dispatch] .count").inner_text()) == 1
    with page.expect_navigation():
        page.click("#needs-today [data-item=to_dispatch]")
    assert "status=accepted" in page.url
    page.check(f"tr[data-case='{case_id}'] input[name=case_ids]")
    page.select_option("#bulk-target", f"user:{city['inspectors'][0]}")
    shoot(page, "cases")
    with page.expect_navigation():
        page.click("#bulk-dispatch-submit")
    assert "dispatched=1" in page.url
    row = _case(live_server, case_id)
    assert row.status == "dispatched" and row.assigned_to_id == city["inspectors"][0]
    me.close()


def test_the_inspectors_result_shows_on_the_case_page(browser, live_server, city) -> None:
    case_id = city["state"]["case"]
    me = Session(browser, live_server, "day-inspector0")
    page = me.page
    me.open(f"/cases/{case_id}")
    assert page.locator("#complaints .phone").first.inner_text() == "138****5678"  # masked for an inspector
    page.click("#action-start summary")
    _submit(page, "form[data-action=start]")
    # The visit itself comes from the phone form's API: a night-time noise reading and a photo.
    token = security.issue_token(settings=live_server.settings, user_id=city["inspectors"][0], role="inspector")
    headers = {"Authorization": f"Bearer {token}"}
    night = datetime.now(BEIJING).replace(hour=23, minute=0, second=0, microsecond=0) - timedelta(days=1)
    visit = me.context.request.post(f"{live_server.url}/api/v1/inspections", headers=headers, data={
        "case_id": case_id, "client_id": str(uuid.uuid4()), "findings": "夜间 KTV 音响外放",
        "readings": [{"client_id": str(uuid.uuid4()), "parameter": "noise_laeq", "value": 68.0,
                      "unit": "dB(A)", "measured_at": night.isoformat()}]})
    assert visit.status == 201, visit.text()
    photo = me.context.request.post(
        f"{live_server.url}/api/v1/inspections/{visit.json()['id']}/photos", headers=headers,
        multipart={"client_id": str(uuid.uuid4()),
                   "file": {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}})
    assert photo.status == 201, photo.text()
    me.open(f"/cases/{case_id}")
    page.click("#action-reply summary")
    page.fill("form[data-action=reply] textarea[name=summary]", "已责令停止夜间经营性噪声")
    _submit(page, "form[data-action=reply]")
    assert page.locator("#case-status").get_attribute("data-status") == "replied"
    assert "夜间 KTV 音响外放" in page.locator("#inspections .findings").inner_text()
    assert "超标" in page.locator("#inspections .verdict").first.inner_text()
    page.locator("#inspections img.photo").first.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#inspections img.photo').naturalWidth > 0")
    shoot(page, "case-inspected")
    me.close()


def test_clerk_revisits_unsatisfied_and_the_case_goes_back(browser, live_server, city) -> None:
    case_id = city["state"]["case"]
    me = Session(browser, live_server, "day-clerk")
    page = me.page
    assert int(page.locator("#needs-today [data-item=to_revisit] .count").inner_text()) == 1
    me.open(f"/cases/{case_id}")
    assert page.locator("#complaints .phone").first.inner_text() == "13812345678"
    page.click("#action-revisit summary")
    _submit(page, "form[data-action=revisit]")  # no satisfaction chosen: refused next to the field
    assert page.locator("#action-revisit .field-error[data-field=satisfaction]").is_visible()
    page.select_option("form[data-action=revisit] select[name=satisfaction]", "unsatisfied")
    page.fill("form[data-action=revisit] textarea[name=comment]", "晚上仍然很吵")
    _submit(page, "form[data-action=revisit]")
    assert page.locator("#case-status").get_attribute("data-status") == "dispatched"
    shoot(page, "case-revisited")
    row = _case(live_server, case_id)
    assert row.status == "dispatched" and row.handling_count == 2 and row.satisfaction == "unsatisfied"
    me.close()


def test_chief_sees_it_red_on_the_map(browser, live_server, city) -> None:
    case_id = city["state"]["case"]
    with live_server.session() as session:  # its time runs out while it is handled again
        session.get(Case, case_id).due_at = datetime.now(UTC) - timedelta(hours=2)
        session.commit()
    me = Session(browser, live_server, "day-chief")
    page = me.page
    assert int(page.locator("#needs-today [data-item=red] .count").inner_text()) >= 1
    me.open("/map")
    me.wait("#work-map[data-ready]")
    assert page.locator("#map-legend").is_visible()
    marks = page.locator("#work-map path[data-mark=case]")
    assert marks.count() >= 1
    shoot(page, "map")
    marks.first.click()
    link = page.locator(".leaflet-popup-content a")
    assert link.get_attribute("href") == f"/cases/{case_id}"
    with page.expect_navigation():
        link.click()
    assert page.locator("#case-status").get_attribute("data-status") == "dispatched"
    assert "red" in page.locator("h1 .dot").get_attribute("class")
    me.close()


def test_planner_draws_the_chief_approves_and_the_route_goes_to_the_phones(browser, live_server, city) -> None:
    me = Session(browser, live_server, "day-planner")
    page = me.page
    me.open("/patrols")
    assert HOSTILE[0] in page.locator("#ranked").inner_text()
    page.fill("#seed", "20260101")
    page.fill("#draw-form input[name=rate_key]", "1")
    page.fill("#draw-form input[name=rate_ordinary]", "0")
    with page.expect_navigation():
        page.click("#draw")
    draw_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator("#verify-result").get_attribute("data-match") == "yes"
    assert page.locator("#approve").count() == 0
    shoot(page, "draw")
    me.close()

    chief = Session(browser, live_server, "day-chief")
    page = chief.page
    chief.open(f"/patrols/draws/{draw_id}")
    _submit(page, "#approve-form")
    assert page.locator("#draw-status").get_attribute("data-status") == "approved"
    page.select_option("#draw-route-form select[name=inspector_ids]", [str(city["inspectors"][1])])
    with page.expect_navigation():
        page.click("#draw-route")
    assert "/maps/routes/" in page.url
    route_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector(".stop-number")
    shoot(page, "route")
    chief.close()
    with live_server.session() as session:
        assert session.get(PatrolPlan, draw_id).status == "approved"
        stops = session.scalars(select(PatrolTarget).where(PatrolTarget.plan_id == route_id)).all()
        assert len(stops) == 3 and all(s.inspector_ids == [city["inspectors"][1]] for s in stops)


def test_head_prints_yesterdays_bulletin(browser, live_server) -> None:
    me = Session(browser, live_server, "day-chief")
    page = me.page
    me.open("/reports")
    yesterday = (datetime.now(BEIJING) - timedelta(days=1)).date().isoformat()
    assert page.locator("#bulletin-date").inner_text() == yesterday
    assert int(page.locator("#new-cases").inner_text()) >= 1
    shoot(page, "reports")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "console-bulletin.pdf"))
    assert (ARTIFACTS / "console-bulletin.pdf").stat().st_size > 1000
    me.close()


@pytest.mark.parametrize("path", ["/", "/cases", "/cases/{hostile}", "/map", "/reports", "/patrols", "/intake",
                                  "/admin", "/admin/zones", "/cases?lang=en"])
def test_every_page_shows_hostile_names_as_text(browser, live_server, city, path) -> None:
    user = "day-clerk" if path == "/intake" else "day-admin"
    me = Session(browser, live_server, user)
    me.open(path.format(hostile=city["hostile_case"]))
    page = me.page
    page.wait_for_load_state("networkidle")
    if "{hostile}" in path:
        assert page.locator("#complaints .complainant").inner_text() == HOSTILE[0]
        assert page.locator("#complaints .description").inner_text() == HOSTILE[1]
        shoot(page, "case-hostile")
    if path == "/admin":
        assert HOSTILE[2] in page.locator("#users").inner_text()
    me.close()


@pytest.mark.usefixtures("city")  # the clerk who looks
def test_a_missing_case_and_a_forbidden_page_are_pages_with_a_way_back(browser, live_server) -> None:
    me = Session(browser, live_server, "day-clerk")
    page = me.page
    response = page.goto(f"{me.base}/cases/999999")
    assert response is not None and response.status == 404
    assert page.locator("#error h1").inner_text().startswith("未找到")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    shoot(page, "error-404")
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.locator("#error h1").inner_text().startswith("Not found")
    with page.expect_navigation():
        page.click("#error-back")
    assert page.url.endswith("/cases") and page.locator("table").count() >= 1
    forbidden = page.goto(f"{me.base}/patrols?lang=zh")
    assert forbidden is not None and forbidden.status == 403
    assert page.locator("#error h1").inner_text().startswith("无权访问")
    assert page.locator("#nav a[href='/intake']").count() == 1  # still the clerk's console around it
    me.close()
