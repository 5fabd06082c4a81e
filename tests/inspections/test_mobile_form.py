"""The mobile form in real headless Chromium against a live server: nothing may come from the internet."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Case, Inspection, Photo, Reading
from ecogrid.inspections.photos.store import LocalPhotoStore
from tests.browser_support import playwright_started
from tests.inspection_seed import SITE_LAT, SITE_LON, jpeg_with_exif, seed_case
from tests.mobile_support import PASSWORD, Watch, phone_context, sign_in

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path("test-artifacts")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def inspector(live_server):
    with live_server.session() as session:
        user = user_service.create(session, username="inspector_li", role="inspector", password=PASSWORD)
        session.commit()
        return user.id


def _seed(live_server, inspector_id: int, **kwargs):
    with live_server.session() as session:
        seeded = seed_case(session, inspector_id=inspector_id, **kwargs)
        session.commit()
        return seeded


def _context(browser):
    return phone_context(browser)


def _sign_in(page, url: str) -> None:
    sign_in(page, url)


def _open_and_start(page, case_id: int) -> None:
    page.click(f'[data-case-id="{case_id}"]')
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#inspection-form")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)


def test_inspector_submits_a_visit_with_photo_and_night_noise_reading(browser, live_server, inspector):
    seeded = _seed(live_server, inspector, noise_class="2", category="noise_social")
    context, watch = _context(browser)
    page = context.new_page()
    _sign_in(page, live_server.url)
    card = page.locator(f'[data-case-id="{seeded.case_id}"]')
    assert "社会生活噪声" in card.inner_text()
    assert "米" in card.locator(".distance").inner_text()

    _open_and_start(page, seeded.case_id)
    assert "KTV music" in page.inner_text("#complaints")
    assert "Star KTV" in page.inner_text("#suspects")
    assert page.locator("#map.leaflet-container").count() == 1
    page.set_input_files("#photo-input", files=[
        {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif(lon=SITE_LON, lat=SITE_LAT)}])
    page.click("#add-reading")
    row = page.locator(".reading").first
    row.locator(".parameter").select_option("noise_laeq")
    row.locator(".value").fill("58")
    row.locator(".unit").select_option("dB(A)")
    row.locator(".measured-at").fill("2026-05-01T23:00")
    page.fill("#findings", "KTV music clearly audible from the 12th floor window")
    page.check("input[value=problem_confirmed]")
    _shot(page, "form")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    _shot(page, "sent")
    watch.check()
    context.close()

    with live_server.session() as session:
        inspection = session.scalar(select(Inspection).where(Inspection.case_id == seeded.case_id))
        assert inspection is not None and inspection.conclusion == "problem_confirmed"
        assert inspection.findings.startswith("KTV music")
        photo = session.scalar(select(Photo).where(Photo.inspection_id == inspection.id))
        assert photo is not None and photo.flags == []
        assert LocalPhotoStore(live_server.settings.upload_dir).exists(photo.storage_key)
        reading = session.scalar(select(Reading).where(Reading.inspection_id == inspection.id))
        assert reading.parameter == "noise_laeq" and reading.value == 58
        assert reading.exceeded is True
        assert reading.verdict["limit"] == 50 and reading.verdict["period"] == "night"
        case = session.get(Case, seeded.case_id)
        assert case.exceedance is True and case.status == "in_progress"


def test_offline_submission_waits_and_is_stored_once_when_back_online(browser, live_server, inspector):
    seeded = _seed(live_server, inspector)
    context, watch = _context(browser)
    page = context.new_page()
    _sign_in(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    _open_and_start(page, seeded.case_id)

    # The signal drops: the page reloads from the service worker's cache, with the started visit.
    watch.offline = True
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#inspection-form")
    assert "KTV music" in page.inner_text("#complaints")
    page.set_input_files("#photo-input", files=[
        {"name": "offline.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}])
    page.fill("#findings", "Written without a signal")
    page.check("input[value=not_confirmed]")
    page.click("#submit")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '1'")
    assert page.is_visible("#outbox")
    # The network really was cut: the page's attempt to send failed.
    assert watch.wait_failed_offline(page, "POST", "/api/v1/inspections"), watch.failed_offline
    _shot(page, "queued")
    with live_server.session() as session:
        assert session.scalar(select(func.count()).select_from(Inspection).where(
            Inspection.case_id == seeded.case_id)) == 0

    context.set_offline(False)
    watch.offline = False
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'", timeout=15_000)
    # A further retry sends nothing again.
    page.evaluate("flushOutbox()")
    watch.check()
    context.close()

    with live_server.session() as session:
        inspections = session.scalars(select(Inspection).where(Inspection.case_id == seeded.case_id)).all()
        assert len(inspections) == 1
        assert inspections[0].findings == "Written without a signal"
        assert session.scalar(select(func.count()).select_from(Photo).where(
            Photo.inspection_id == inspections[0].id)) == 1


def test_form_is_served_in_english_too_with_its_service_worker(browser, live_server):
    context = browser.new_context(locale="en-GB")
    watch = Watch(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/m/")
    page.wait_for_selector("#sign-in")
    assert page.inner_text("#sign-in") == "Sign in"
    page.click("#lang")
    assert page.inner_text("#sign-in") == "登录"
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/m/"
    watch.check()
    context.close()
