"""Hostile names in every field that reaches a page, every page opened in headless Chromium.

Each payload is stored once per field (a zone, a source, a complaint, a case per payload; the
officers' full names and the inspection findings hold them together). A page fails the test on any
dialog, any uncaught script error and any Content-Security-Policy violation: with every user
string encoded, the policy has nothing to block, so a violation means either our own script was
blocked or markup got through. Where a name should appear, it must appear as the same text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from ecogrid.core.models import Case, Complaint, Inspection, Source, Zone
from ecogrid.sources import credit_code
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started

PAYLOADS = (
    "${alert(document.domain)}",
    "`+alert(1)+`",
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "</script><script>alert(1)</script>",
    "';alert(1);//",
    "`\" ' name",
    "line\u2028sep\u2029end",
)
ALL_PAYLOADS = " | ".join(PAYLOADS)
# Every dangerous character at once, short enough for a user's full name (128 characters).
MIXED = "`${alert(1)}`<img src=x onerror=alert(1)>\"'><script>alert(1)</script>';alert(1);//\u2028"
PASSWORD = "hostile-pass-123"
SITE_LON, SITE_LAT = 120.3826, 36.0671
STRIP = 0.001  # each payload's zone is a strip this many degrees wide, side by side

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not assets.is_installed(),
                                reason="needs Debian's Chromium and the map assets")


@dataclass
class Seeded:
    case_ids: list[int]
    source_ids: list[int]
    chief_token: str
    planner_token: str


@dataclass
class Watch:
    """What a page did that it must not: dialogs, script errors, policy violations, remote requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("request", lambda request: self.outside.append(request.url)
                if urlsplit(request.url).hostname not in ("127.0.0.1", None)
                and not request.url.startswith(("data:", "blob:")) else None)

    def check(self) -> None:
        assert self.dialogs == [], f"a hostile name ran script: {self.dialogs}"
        assert self.errors == [], f"script errors on the page: {self.errors}"
        assert self.violations == [], f"Content-Security-Policy violations: {self.violations}"
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"


def _wait(page, watch: Watch, selector: str, timeout: float = 15000):
    """Wait for ``selector``; if it never comes, report what broke the page first."""
    try:
        return page.wait_for_selector(selector, timeout=timeout)
    except PlaywrightTimeout:
        watch.check()
        raise


def _strip(k: int) -> str:
    west = SITE_LON + k * STRIP
    east, south, north = west + STRIP, SITE_LAT - 0.01, SITE_LAT + 0.01
    return (f"SRID=4326;MULTIPOLYGON((({west} {south},{east} {south},{east} {north},"
            f"{west} {north},{west} {south})))")


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    now = datetime.now(UTC)
    with live_server.session() as session:
        inspector = user_service.create(session, username="hostile_inspector", role="inspector", password=PASSWORD)
        inspector.full_name = MIXED
        chief = user_service.create(session, username="hostile_chief", role="chief", password=PASSWORD)
        chief.full_name = MIXED
        planner = user_service.create(session, username="hostile_planner", role="planner", password=PASSWORD)
        case_ids, source_ids = [], []
        for k, payload in enumerate(PAYLOADS):
            tag = uuid.uuid4().hex[:8]
            zone = Zone(code=f"{payload} {tag}", name=payload, level="street", geom=_strip(k))
            session.add(zone)
            session.flush()
            lon = SITE_LON + (k + 0.5) * STRIP
            case = Case(kind="complaint", category="odour", status="dispatched", channel="hotline_12345",
                        zone_id=zone.id, geom=f"SRID=4326;POINT({lon} {SITE_LAT})",
                        opened_at=now - timedelta(days=1), due_at=now + timedelta(days=2),
                        last_complaint_at=now - timedelta(days=1), assigned_to_id=inspector.id)
            session.add(case)
            session.flush()
            session.add(Complaint(case_id=case.id, channel="hotline_12345", kind="complaint", category="odour",
                                  description=payload, address=payload, complainant_name=payload,
                                  received_at=now - timedelta(days=1), geom=f"SRID=4326;POINT({lon} {SITE_LAT})",
                                  zone_id=zone.id))
            source = Source(name=payload, credit_code=credit_code.make(org8=f"{int(tag, 16) % 10**8:08d}"),
                            industry="other", categories=["odour"], address=payload, zone_id=zone.id,
                            geom=f"SRID=4326;POINT({lon} {SITE_LAT + 0.002})")
            session.add(source)
            session.flush()
            case_ids.append(case.id)
            source_ids.append(source.id)
        session.commit()
        settings = live_server.settings
        return Seeded(case_ids=case_ids, source_ids=source_ids,
                      chief_token=security.issue_token(settings=settings, user_id=chief.id, role=chief.role),
                      planner_token=security.issue_token(settings=settings, user_id=planner.id, role=planner.role))


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _signed_in_context(browser, live_server, token: str):
    """Signed in by the page cookie (the map pages' sign-in) and by header (the API's)."""
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
    context.add_cookies([{"name": "ecogrid_token", "value": token, "url": live_server.url}])
    return context


# Every tooltip of the folium map, as the text Leaflet would show once it inserts the content.
_TOOLTIP_TEXTS = """() => {
  const texts = [];
  const shown = (content, layer) => {
    if (typeof content === "function") content = content(layer);
    const box = document.createElement("div");
    if (typeof content === "string") box.innerHTML = content; else box.append(content);
    box.querySelectorAll("br").forEach((br) => br.replaceWith(" "));
    texts.push(box.textContent.replace(/\\s+/g, " ").trim());
  };
  const visit = (layer, inherited) => {
    const tip = layer.getTooltip && layer.getTooltip();
    const content = tip ? tip._content : inherited;
    if (layer.eachLayer) layer.eachLayer((child) => visit(child, content));
    else if (content) shown(content, layer);
  };
  for (const name of Object.keys(window)) {
    const value = window[name];
    if (value instanceof L.Layer && !(value instanceof L.Map)) visit(value, null);
  }
  return texts;
}"""


def _squash(text: str) -> str:
    # Chromium shows U+2028/U+2029 and newlines as white space; compare what a reader sees.
    return " ".join(text.replace("\u2028", " ").replace("\u2029", " ").split())


def test_heatmap_shows_hostile_zone_and_source_names_as_text(browser, live_server, seeded) -> None:
    context = _signed_in_context(browser, live_server, seeded.chief_token)
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    response = page.goto(f"{live_server.url}/maps/heatmap?lang=en")
    assert response is not None and response.status == 200
    _wait(page, watch, ".leaflet-container path.leaflet-interactive")
    page.wait_for_timeout(300)
    # The page is whole: the legend and the filter form are there (a broken script blanks it).
    assert page.locator("#heatmap-legend").is_visible()
    assert page.locator("#heatmap-filters").is_visible()
    texts = [_squash(t) for t in page.evaluate(_TOOLTIP_TEXTS)]
    for payload in PAYLOADS:
        assert any(t.startswith(f"{_squash(payload)} Other") for t in texts), f"source {payload!r} not shown"
        assert any(t.startswith(f"{_squash(payload)} ({_squash(payload)}") for t in texts), \
            f"zone {payload!r} not shown"
    # Pointing at a zone opens its tooltip, and it shows the zone's name as text.
    page.locator("path.leaflet-interactive").first.dispatch_event("mouseover")
    tip = _wait(page, watch, ".leaflet-tooltip", 5000)
    assert any(_squash(tip.inner_text()).startswith(_squash(p)) for p in PAYLOADS)
    watch.check()
    context.close()


def test_route_page_shows_hostile_stop_names_as_text(browser, live_server, seeded) -> None:
    context = _signed_in_context(browser, live_server, seeded.planner_token)
    created = context.request.post(f"{live_server.url}/api/v1/patrols/routes",
                                   data={"date": "2026-03-02", "source_ids": seeded.source_ids})
    assert created.status == 201, created.text()
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    response = page.goto(f"{live_server.url}/maps/routes/{created.json()['id']}")
    assert response is not None and response.status == 200
    _wait(page, watch, ".stop-number")
    assert page.locator(".stop-number").count() == len(PAYLOADS)
    texts = [_squash(t) for t in page.evaluate(_TOOLTIP_TEXTS)]
    for payload in PAYLOADS:
        assert any(t.endswith(f". {_squash(payload)}") for t in texts), f"stop {payload!r} not shown"
    page.locator(".stop-number").first.dispatch_event("mouseover")
    tip = _wait(page, watch, ".leaflet-tooltip", 5000)
    assert _squash(tip.inner_text()).startswith("1. ")
    watch.check()
    context.close()


def test_daily_bulletin_shows_hostile_zone_and_officer_names_as_text(browser, live_server, seeded) -> None:
    context = _signed_in_context(browser, live_server, seeded.chief_token)
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    response = page.goto(f"{live_server.url}/api/v1/reports/daily?format=html")
    assert response is not None and response.status == 200
    streets = [_squash(t) for t in page.locator("#by-street td.name").all_inner_texts()]
    for payload in PAYLOADS:
        assert _squash(payload) in streets
    officers = [_squash(t) for t in page.locator("#by-officer td.name").all_inner_texts()]
    assert _squash(MIXED) in officers
    watch.check()
    context.close()


def test_mobile_form_shows_hostile_names_and_sends_hostile_findings(browser, live_server, seeded) -> None:
    context = browser.new_context(geolocation={"longitude": SITE_LON, "latitude": SITE_LAT},
                                  permissions=["geolocation"], locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    page.goto(f"{live_server.url}/m/")
    page.fill("#username", "hostile_inspector")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#tasks")
    task_text = _squash(page.inner_text("#tasks"))
    for payload in PAYLOADS:
        assert _squash(payload) in task_text, f"zone {payload!r} not in the task list"

    for k, case_id in enumerate(seeded.case_ids):
        page.goto(f"{live_server.url}/m/#/case/{case_id}")
        page.wait_for_selector("#complaints .complaint")
        assert _squash(PAYLOADS[k]) in _squash(page.inner_text("#complaints"))
        page.wait_for_selector("#map .suspect-pin")
        suspects = _squash(page.inner_text("#suspects"))
        pins = page.locator("#map .suspect-pin")
        assert pins.count() >= 1
        # The inspector taps (or hovers) each suspect pin: its tooltip is the name, as text.
        names = []
        for i in range(pins.count()):
            pins.nth(i).dispatch_event("mouseover")
            _wait(page, watch, ".leaflet-tooltip", 5000)
            page.wait_for_timeout(50)
            watch.check()
            names.append(_squash(page.locator(".leaflet-tooltip").last.inner_text(timeout=5000)))
            pins.nth(i).dispatch_event("mouseout")
        page.wait_for_timeout(300)  # an <img onerror> in a tooltip fires once its request fails
        watch.check()
        # Every source lies within the odour radius of every case: each page pins all of them.
        assert sorted(names) == sorted(_squash(p) for p in PAYLOADS)
        assert all(name in suspects for name in names)

    page.goto(f"{live_server.url}/m/#/case/{seeded.case_ids[0]}")
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#inspection-form")
    page.fill("#findings", ALL_PAYLOADS)
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    assert page.locator("#outbox").is_hidden(), "the inspection was not stored"
    with live_server.session() as session:
        findings = session.scalars(select(Inspection.findings).where(Inspection.case_id == seeded.case_ids[0]))
        assert list(findings) == [ALL_PAYLOADS]
    watch.check()
    context.close()


def test_api_docs_run_under_the_policy(browser, live_server) -> None:
    context = browser.new_context()
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    response = page.goto(f"{live_server.url}/docs")
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
    assert "ecogrid" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock", timeout=20000)
    watch.check()
    context.close()
