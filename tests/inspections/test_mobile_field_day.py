"""The field form's second version in headless Chromium at 390x844, zh-CN: drafts that survive a killed
tab, earlier visits, finding the site, the task list, case actions, offline words and a whole offline day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import func, select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Case, Inspection, Photo, Source
from geo import coords
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.inspection_seed import SITE_LAT, SITE_LON, jpeg_with_exif, seed_case
from tests.mobile_support import HERE, PASSWORD, PHONE, phone_context, sign_in

ARTIFACTS = Path("test-artifacts")


@pytest.fixture(scope="module")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with playwright_started() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def inspector(live_server):
    with live_server.session() as session:
        user = user_service.create(session, username="inspector_li", role="inspector", password=PASSWORD)
        session.commit()
        return user.id


def _seed(live_server, inspector_id: int, *, address: str | None = None, **kwargs):
    with live_server.session() as session:
        seeded = seed_case(session, inspector_id=inspector_id, **kwargs)
        if address:
            # The source found on an earlier visit: its registered address is where to go.
            session.get(Source, seeded.source_id).address = address
            session.get(Case, seeded.case_id).confirmed_source_id = seeded.source_id
        session.commit()
        return seeded


def _photo(name: str) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_with_exif(lon=SITE_LON, lat=SITE_LAT)}


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mobile-v2-{name}.png"), full_page=True)


def _open_and_start(page, case_id: int) -> None:
    page.goto(page.url.split("#")[0] + f"#/case/{case_id}")
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#inspection-form")


def _wait_for_draft(page, case_id: int, predicate: str) -> None:
    page.wait_for_function(f"() => Drafts.get({case_id}).then(d => !!d && ({predicate}))")


def _add_noise_reading(page, value: str, when: str = "2026-05-01T23:00", point: str | None = None) -> None:
    page.click("#add-reading")
    row = page.locator(".reading").last
    row.locator(".parameter").select_option("noise_laeq")
    row.locator(".value").fill(value)
    row.locator(".unit").select_option("dB(A)")
    row.locator(".measured-at").fill(when)
    if point:
        row.locator(".noise-point").select_option(point)


def _inspections(live_server, case_id: int) -> list[Inspection]:
    with live_server.session() as session:
        return list(session.scalars(select(Inspection).where(Inspection.case_id == case_id)))


def _photo_count(live_server, inspection_id: int) -> int:
    with live_server.session() as session:
        return session.scalar(select(func.count()).select_from(Photo).where(Photo.inspection_id == inspection_id))


def test_a_killed_tab_brings_the_visit_back_with_photos_readings_and_conclusion(
        playwright, live_server, inspector, tmp_path):
    seeded = _seed(live_server, inspector)
    profile = tmp_path / "phone"

    def phone():
        return playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, geolocation=HERE,
            permissions=["geolocation"], **PHONE)

    context = phone()
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, live_server.url)
    _open_and_start(page, seeded.case_id)
    page.set_input_files("#photo-input", files=[_photo("one.jpg"), _photo("two.jpg"), _photo("wrong.jpg")])
    # The third photo was chosen by mistake: removed before anything is sent.
    page.locator("#thumbs .thumb").nth(2).locator(".remove-photo").click()
    _add_noise_reading(page, "58", point="boundary")
    page.fill("#findings", "Bass audible in the bedroom")
    page.check("input[value=problem_confirmed]")
    _wait_for_draft(page, seeded.case_id, "d.photos.length === 2 && d.findings === 'Bass audible in the bedroom'"
                    " && d.conclusion === 'problem_confirmed' && d.readings.length === 1")
    # The tab dies with the camera open: no submit, no unload handler, the browser is gone.
    context.close()

    context = phone()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live_server.url}/m/")
    page.wait_for_selector("#drafts")
    draft = page.locator(f'#drafts .draft[data-case-id="{seeded.case_id}"]')
    assert "2 张照片" in draft.inner_text() and "1 条数据" in draft.inner_text()
    _shot(page, "drafts")
    draft.locator(".resume").click()
    page.wait_for_selector("#inspection-form")
    assert page.locator("#thumbs .thumb img").count() == 2
    assert page.input_value("#findings") == "Bass audible in the bedroom"
    assert page.is_checked("input[value=problem_confirmed]")
    row = page.locator(".reading").first
    assert row.locator(".value").input_value() == "58"
    assert row.locator(".noise-point").input_value() == "boundary"
    # The photos came back as the files themselves, not as names.
    assert page.evaluate(f"Drafts.get({seeded.case_id}).then(d => d.photos.every(p => p.blob.size > 1000))")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    assert page.locator("#drafts").count() == 0
    [inspection] = _inspections(live_server, seeded.case_id)
    assert inspection.findings == "Bass audible in the bedroom"
    assert _photo_count(live_server, inspection.id) == 2

    # A draft can be thrown away from the list, with a second tap to confirm.
    other = _seed(live_server, inspector)
    _open_and_start(page, other.case_id)
    page.fill("#findings", "not needed")
    _wait_for_draft(page, other.case_id, "d.findings === 'not needed'")
    page.goto(f"{live_server.url}/m/#/tasks")
    discard = page.locator(f'#drafts .draft[data-case-id="{other.case_id}"] .discard')
    discard.click()
    assert discard.inner_text() == "确认丢弃"
    assert page.evaluate(f"Drafts.get({other.case_id}).then(d => !!d)")
    discard.click()
    page.wait_for_function(f"() => !document.querySelector('#drafts .draft[data-case-id=\"{other.case_id}\"]')")
    assert page.evaluate(f"Drafts.get({other.case_id}).then(d => d === undefined)")
    context.close()


def test_the_case_page_shows_earlier_visits_with_verdicts_and_those_still_waiting(browser, live_server, inspector):
    seeded = _seed(live_server, inspector, noise_class="2", category="noise_social")
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    _open_and_start(page, seeded.case_id)
    page.set_input_files("#photo-input", files=[_photo("site.jpg")])
    _add_noise_reading(page, "58")
    page.fill("#findings", "First visit")
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    assert "已发送" in page.inner_text("#sync")

    page.goto(f"{live_server.url}/m/#/case/{seeded.case_id}")
    page.wait_for_selector("#earlier .visit")
    visit = page.locator("#earlier .visit").first
    text = visit.inner_text()
    assert "First visit" in text and "问题属实" in text
    assert "限值 50 dB(A) 夜间" in text and "超标 超出 8 dB(A)" in text and "GB 22337-2008" in text
    assert "社会生活噪声" in text  # why this standard
    page.wait_for_function("() => { const i = document.querySelector('#earlier .visit img');"
                           " return i && i.complete && i.naturalWidth > 0; }")

    # A second visit without a signal: it waits, on the case page and in the list, per case.
    watch.offline = True
    context.set_offline(True)
    page.click("#start")
    page.wait_for_selector("#inspection-form")
    page.fill("#findings", "Second visit, no signal")
    page.check("input[value=not_confirmed]")
    page.click("#submit")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '1'")
    page.wait_for_selector(f'#sync .waiting-list li[data-case-id="{seeded.case_id}"]')
    assert "离线" in page.inner_text("#net") and "离线" in page.inner_text("#sync")
    assert "待发送" in page.inner_text(f'.task[data-case-id="{seeded.case_id}"]')
    page.goto(f"{live_server.url}/m/#/case/{seeded.case_id}")
    page.wait_for_selector("#earlier .visit.waiting")
    assert "Second visit, no signal" in page.inner_text("#earlier .visit.waiting")
    assert page.locator("#earlier .visit").count() == 2
    _shot(page, "earlier")
    assert "Failed to fetch" not in page.inner_text("body")

    context.set_offline(False)
    watch.offline = False
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'", timeout=15_000)
    assert len(_inspections(live_server, seeded.case_id)) == 2
    watch.check()
    context.close()


def test_the_site_is_found_by_address_navigation_links_and_the_way_from_here(browser, live_server, inspector):
    seeded = _seed(live_server, inspector, address="市南区香港中路 90 号")
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/m/#/case/{seeded.case_id}")
    page.wait_for_selector("#navigate")
    assert "市南区香港中路 90 号" in page.inner_text("#address")
    assert "直线距离 180 米" in page.inner_text("#way")
    links = {name: page.get_attribute(f"#navigate a.{name}", "href") for name in ("amap", "tencent", "baidu", "geo")}
    assert [page.inner_text(f"#navigate a.{n}") for n in links] == ["高德地图", "腾讯地图", "百度地图", "其他地图应用"]

    gcj = coords.from_wgs84(SITE_LON, SITE_LAT, "gcj02")
    bd = coords.from_wgs84(SITE_LON, SITE_LAT, "bd09")
    here_gcj = coords.from_wgs84(HERE["longitude"], HERE["latitude"], "gcj02")
    amap = parse_qs(urlsplit(links["amap"]).query)
    assert links["amap"].startswith("amapuri://route/plan/") and amap["dev"] == ["0"]
    assert abs(float(amap["dlon"][0]) - gcj[0]) < 2e-6 and abs(float(amap["dlat"][0]) - gcj[1]) < 2e-6
    assert abs(float(amap["slon"][0]) - here_gcj[0]) < 2e-6
    tencent = parse_qs(urlsplit(links["tencent"]).query)
    lat, lon = map(float, tencent["tocoord"][0].split(","))
    assert abs(lon - gcj[0]) < 2e-6 and abs(lat - gcj[1]) < 2e-6
    baidu = parse_qs(urlsplit(links["baidu"]).query)
    assert baidu["coord_type"] == ["bd09ll"]
    lat, lon = map(float, baidu["destination"][0].split("|")[0].removeprefix("latlng:").split(","))
    assert abs(lon - bd[0]) < 2e-6 and abs(lat - bd[1]) < 2e-6
    assert unquote(links["geo"]).startswith(f"geo:{SITE_LAT:.6f},{SITE_LON:.6f}?q=")
    assert "市南区香港中路 90 号" in unquote(links["geo"])

    # The page's maths is geo/coords.py's, point for point, across China and outside it.
    points = [(SITE_LON, SITE_LAT), (116.397, 39.909), (121.47, 31.23), (87.6, 43.8), (113.26, 23.13),
              (126.6, 45.75), (139.69, 35.69), (2.35, 48.86)]
    in_page = page.evaluate("(ps) => ps.map(([x, y]) => [Coords.toGcj02(x, y), Coords.toBd09(x, y)])", points)
    for (lon, lat), (page_gcj, page_bd) in zip(points, in_page, strict=True):
        for got, crs in ((page_gcj, "gcj02"), (page_bd, "bd09")):
            want = coords.from_wgs84(lon, lat, crs)
            assert abs(got[0] - want[0]) < 1e-9 and abs(got[1] - want[1]) < 1e-9, (lon, lat, crs)

    # The way from the inspector's position: their marker and a line to the site.
    assert page.locator("#map path.way").count() == 1 and page.locator("#map path.me").count() == 1
    _shot(page, "site")
    watch.check()
    context.close()


def test_tasks_sort_by_due_time_or_distance_with_the_year_when_not_this_year(browser, live_server, inspector):
    with live_server.session() as session:
        for case in session.scalars(select(Case).where(Case.assigned_to_id == inspector)):
            case.status = "closed"
        session.commit()
    next_year = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1, month=3, day=1)
    far_overdue = _seed(live_server, inspector, lon=SITE_LON + 0.05, due_in_hours=-30)
    near_next_year = _seed(live_server, inspector,
                           due_in_hours=(next_year - datetime.now(UTC)).total_seconds() / 3600)
    mid_soon = _seed(live_server, inspector, lon=SITE_LON + 0.01, due_in_hours=5)
    overdue_less = _seed(live_server, inspector, lon=SITE_LON + 0.03, due_in_hours=-2)
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)

    def order() -> list[int]:
        return [int(x) for x in page.eval_on_selector_all("#tasks .task", "els => els.map(e => e.dataset.caseId)")]

    assert order() == [far_overdue.case_id, overdue_less.case_id, mid_soon.case_id, near_next_year.case_id]
    assert page.locator(f'.task[data-case-id="{far_overdue.case_id}"] .tag.over').count() == 1
    assert str(next_year.year) in page.inner_text(f'.task[data-case-id="{near_next_year.case_id}"] .due')
    assert str(datetime.now(UTC).year) not in page.inner_text(f'.task[data-case-id="{mid_soon.case_id}"] .due')
    page.click('#sort button[data-sort="distance"]')
    page.wait_for_selector('#sort button.on[data-sort="distance"]')
    page.wait_for_selector("#tasks")
    assert order() == [near_next_year.case_id, mid_soon.case_id, overdue_less.case_id, far_overdue.case_id]
    assert "公里" in page.inner_text(f'.task[data-case-id="{far_overdue.case_id}"] .distance')
    _shot(page, "tasks-by-distance")
    page.reload()
    page.wait_for_selector("#tasks")
    assert order()[0] == near_next_year.case_id  # the choice is kept
    watch.check()
    context.close()


def test_rectification_order_and_reply_from_the_phone_and_the_unit_is_not_cut_off(browser, live_server, inspector):
    seeded = _seed(live_server, inspector, status="in_progress")
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    _open_and_start(page, seeded.case_id)
    _add_noise_reading(page, "58")
    # "dB(A)" is shown whole in its box.
    fits = page.evaluate("""() => {
        const s = document.querySelector('.reading .unit');
        const c = document.createElement('canvas').getContext('2d');
        const st = getComputedStyle(s);
        c.font = `${st.fontSize} ${st.fontFamily}`;
        const text = c.measureText(s.options[s.selectedIndex].text).width;
        const room = s.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight) - 20;
        return [text, room];
    }""")
    assert fits[0] <= fits[1], fits
    page.fill("#requirement", "夜间22时后停止营业性音响")
    page.fill("#rectify-due", (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#rectify")
    page.wait_for_selector("#rectify-form", state="detached")
    # 复查: no reply until a visit that began after the order; the phone says so.
    page.wait_for_selector("#recheck-needed")
    assert page.locator("#reply-form").count() == 0 and "待复查" in page.inner_text("#recheck-needed")
    assert "责令整改 · 已提交" in page.inner_text("#notice")
    with live_server.session() as session:
        case = session.get(Case, seeded.case_id)
        assert case.status == "rectification" and case.rectification_due_at is not None
    # The visit of the order is sent; it began before the order, so it is not the re-check.
    page.fill("#findings", "夜间营业性音响超标")
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    _open_and_start(page, seeded.case_id)
    assert page.locator("#reply-form").count() == 0
    page.fill("#findings", "复查：已停止营业性音响")
    page.check("input[value=not_confirmed]")
    page.click("#submit")
    page.wait_for_selector("#tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    assert len(_inspections(live_server, seeded.case_id)) == 2
    page.goto(f"{live_server.url}/m/#/case/{seeded.case_id}")
    page.wait_for_selector("#reply-form")
    assert page.locator("#recheck-needed").count() == 0
    page.fill("#reply-summary", "已整改，复测达标")
    page.click("#reply")
    page.wait_for_selector("#tasks, #no-tasks")
    with live_server.session() as session:
        assert session.get(Case, seeded.case_id).status == "replied"
    assert page.locator(f'.task[data-case-id="{seeded.case_id}"]').count() == 0
    watch.check()
    context.close()


def test_offline_the_form_says_in_chinese_what_is_missing_and_never_loads_forever(browser, live_server, inspector):
    seeded = _seed(live_server, inspector)
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    watch.offline = True
    context.set_offline(True)
    page.goto(f"{live_server.url}/m/#/case/{seeded.case_id}")
    page.wait_for_selector("#case-error")
    assert "离线" in page.inner_text("#case-error") and "离线准备" in page.inner_text("#case-error")
    assert page.inner_text("#net") == "离线"
    body = page.inner_text("body")
    assert "Failed to fetch" not in body and "加载中" not in body
    _shot(page, "offline-case")
    context.set_offline(False)
    watch.offline = False
    context.close()


def test_a_full_offline_day_of_ten_visits_is_sent_once_in_order_with_verdicts(browser, live_server, inspector):
    with live_server.session() as session:
        for case in session.scalars(select(Case).where(Case.assigned_to_id == inspector)):
            case.status = "closed"
        session.commit()
    cases = [_seed(live_server, inspector, due_in_hours=10 + i, noise_class="2", category="noise_social")
             for i in range(10)]
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    page.click("#prepare")
    page.wait_for_function("() => /已缓存/.test(document.querySelector('#notice').textContent)")

    watch.offline = True
    context.set_offline(True)
    for i, seeded in enumerate(cases):
        _open_and_start(page, seeded.case_id)
        assert "KTV music" in page.inner_text("#complaints")
        page.set_input_files("#photo-input", files=[_photo(f"v{i}-{n}.jpg") for n in range(3)])
        _add_noise_reading(page, str(45 + i))  # night limit 50: visits 6..9 exceed
        page.fill("#findings", f"visit {i}")
        page.check("input[value=problem_confirmed]")
        page.click("#submit")
        page.wait_for_url("**/m/#/tasks")
        page.wait_for_selector("#tasks")
        page.wait_for_function(f"() => document.querySelector('#pending-count').textContent === '{i + 1}'")
    assert page.locator("#sync .waiting-list li").count() == 10
    _shot(page, "offline-day-waiting")
    with live_server.session() as session:
        assert session.scalar(select(func.count()).select_from(Inspection).where(
            Inspection.case_id.in_([c.case_id for c in cases]))) == 0

    context.set_offline(False)
    watch.offline = False
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'", timeout=120_000)
    page.evaluate("flushOutbox()")  # a further retry sends nothing again
    page.wait_for_selector("#sync .sent-list li")
    sent = page.inner_text("#sync .sent-list")
    assert "超标" in sent and "达标" in sent
    _shot(page, "offline-day-sent")
    watch.check()
    context.close()

    with live_server.session() as session:
        rows = session.execute(
            select(Inspection.case_id, Inspection.findings, Inspection.id)
            .where(Inspection.case_id.in_([c.case_id for c in cases])).order_by(Inspection.submitted_at)).all()
        assert [r.case_id for r in rows] == [c.case_id for c in cases]  # once each, in the order recorded
        assert [r.findings for r in rows] == [f"visit {i}" for i in range(10)]
        photos = session.execute(select(Photo.inspection_id, func.count()).where(
            Photo.inspection_id.in_([r.id for r in rows])).group_by(Photo.inspection_id)).all()
        assert sorted(n for _, n in photos) == [3] * 10
        exceeded = [session.get(Case, c.case_id).exceedance for c in cases]
        assert exceeded == [False] * 6 + [True] * 4


def test_the_days_route_is_on_the_phone_and_a_stop_is_done_by_its_visit(browser, live_server, inspector):
    from ecogrid.core.time import BEIJING
    from ecogrid.patrols import service as patrol_service

    seeded = _seed(live_server, inspector, address="李村工业园 3 号")
    with live_server.session() as session:
        session.get(Source, seeded.source_id).categories = ["noise_industrial"]
        session.commit()
        plan = patrol_service.create_route(session, settings=live_server.settings, actor_id=None,
                                           actor_name="planner", on=datetime.now(BEIJING).date(),
                                           source_ids=[seeded.source_id], inspector_ids=[inspector])
        plan_id = plan.id
    context, watch = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server.url)
    route = page.locator(f'#patrol .route[data-route-id="{plan_id}"]')
    assert "0/1" in route.inner_text() and "李村工业园 3 号" in route.inner_text()
    route.locator("li a").first.click()
    page.wait_for_selector("#start")
    assert "巡查 1." in page.inner_text("h2")
    assert page.locator("#navigate a.amap").count() == 1
    page.click("#start")
    page.wait_for_selector("#inspection-form")
    assert page.locator("input[value=source_identified]").count() == 0
    _add_noise_reading(page, "56", point="boundary")
    page.fill("#findings", "风机夜间运行")
    page.check("input[value=problem_confirmed]")
    page.click("#submit")
    page.wait_for_url("**/m/#/tasks")
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'")
    page.wait_for_selector(f'#patrol .route[data-route-id="{plan_id}"] li.done')
    assert "1/1" in page.inner_text(f'#patrol .route[data-route-id="{plan_id}"]')
    _shot(page, "patrol")
    with live_server.session() as session:
        [visit] = session.scalars(select(Inspection).where(Inspection.source_id == seeded.source_id,
                                                           Inspection.case_id.is_(None))).all()
        assert visit.patrol_target_id is not None and visit.findings == "风机夜间运行"
        assert session.get(Case, seeded.case_id).status == "dispatched"  # the nearby case is untouched
    watch.check()
    context.close()
