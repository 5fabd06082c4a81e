"""Benchmark of the inspector's form at /m/ on a phone: the shell's weight, time to interactive on 3G, and
how much IndexedDB a day's drafts take.

Starts a private PostgreSQL cluster (a temp folder) and ecogrid on 127.0.0.1 with one inspector and ten
open cases, then drives headless Chromium at 390x844, zh-CN, with the network throttled through the
DevTools protocol (Network.emulateNetworkConditions):

- weight: bytes on the wire for the shell (page, scripts, styles, Leaflet) on a first visit;
- time to interactive: from navigation to the sign-in form ready (first visit, nothing cached), and to
  the task list drawn for a signed-in inspector (second visit, service worker cache warm), as the test
  driver sees it and on the page's own clock (performance.mark when the element appears; the driver's
  figure adds its own round trips, which a loaded machine makes long). Each is set against the page
  alone fetched over the same throttled link in the same run (everything else refused: the floor set
  by the link and the page's own bytes), as a ratio;
- ``--waterfall``: one visit of each kind, request by request;
- drafts: ten open visits with three photos each written as drafts; IndexedDB use
  (navigator.storage.estimate) against the photos' own bytes.

Run: .venv/bin/python -m bench.mobile_shell [--profile fast3g|regular3g|slow3g] [--photo-kb 1500] [--runs 3]
     [--waterfall]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import sessionmaker

from api.factory import create_app
from ecogrid.accounts import service as user_service
from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.inspection_seed import SITE_LAT, SITE_LON, seed_case

# Chromium DevTools presets: latency ms, download and upload bytes per second.
PROFILES = {
    "fast3g": (562.5, 1.44e6 / 8, 675e3 / 8),
    "regular3g": (100.0, 750e3 / 8, 250e3 / 8),
    "slow3g": (2000.0, 400e3 / 8, 400e3 / 8),
}
PASSWORD = "bench-pass-123"
PHONE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844},
         "geolocation": {"longitude": SITE_LON + 0.002, "latitude": SITE_LAT}, "permissions": ["geolocation"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _throttle(context, page, profile: str):
    latency, down, up = PROFILES[profile]
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency,
                                                  "downloadThroughput": down, "uploadThroughput": up})
    return cdp


def bare_html(browser, url: str, profile: str) -> float:
    """Seconds to navigate to /m/ fetching the HTML alone (every other request refused): the link's floor."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _throttle(context, page, profile)
    page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).path == "/m/"
               else route.abort())
    t0 = time.perf_counter()
    page.goto(f"{url}/m/", wait_until="load")
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


_MARK_READY = """(selector) => {
    const look = () => {
        const seen = performance.getEntriesByName("ready").length;
        if (!seen && document.querySelector(selector)) performance.mark("ready");
    };
    new MutationObserver(look).observe(document, {subtree: true, childList: true});
}"""


def _mark_ready(page, selector: str) -> None:
    """The page marks the moment ``selector`` appears, on its own clock (0 = its navigation's start)."""
    page.add_init_script(f"({_MARK_READY})({selector!r})")


def _page_ready(page) -> float:
    return page.evaluate("performance.getEntriesByName('ready')[0].startTime") / 1000


def first_visit(browser, url: str, profile: str) -> tuple[float, int, float]:
    """(sign-in form ready s as the test driver sees it, bytes on the wire, ready s on the page's own clock)
    for a phone that never saw the form."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _mark_ready(page, "#sign-in")
    cdp = _throttle(context, page, profile)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    t0 = time.perf_counter()
    page.goto(f"{url}/m/")
    page.wait_for_selector("#sign-in", state="visible")
    ready = time.perf_counter() - t0
    page.wait_for_load_state("networkidle")
    weight = int(sum(sizes.values()))
    own = _page_ready(page)
    context.close()
    return ready, weight, own


def waterfall(browser, url: str, profile: str, *, signed_in: bool = False) -> list[str]:
    """One visit's requests: when each started and ended (ms from navigation), bytes, and the view ready.

    The first visit (to the sign-in form), or with ``signed_in`` an inspector's opening with the service
    worker warm (to the task list; "(sw)" marks an answer the service worker gave)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    if signed_in:
        page.goto(f"{url}/m/")
        page.fill("#username", "bench_inspector")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_selector("#tasks")
        page.evaluate("navigator.serviceWorker.ready")
        page.reload()
        page.wait_for_selector("#tasks")
    cdp = _throttle(context, page, profile)
    rows: dict[str, dict[str, float | str]] = {}
    t0 = time.perf_counter()
    at = lambda: (time.perf_counter() - t0) * 1000  # noqa: E731
    cdp.on("Network.requestWillBeSent",
           lambda e: rows.setdefault(e["requestId"], {"url": urlsplit(e["request"]["url"]).path, "start": at()}))
    cdp.on("Network.loadingFinished",
           lambda e: rows.get(e["requestId"], {}).update(end=at(), bytes=e["encodedDataLength"]))
    cdp.on("Network.responseReceived",
           lambda e: rows.get(e["requestId"], {}).update(sw=" (sw)" if e["response"].get("fromServiceWorker") else ""))
    t0 = time.perf_counter()
    if signed_in:
        page.reload()
        page.wait_for_selector("#tasks .task")
    else:
        page.goto(f"{url}/m/")
        page.wait_for_selector("#sign-in", state="visible")
    ready = at()
    page.wait_for_load_state("networkidle")
    context.close()
    lines = [f"  {r['start']:7.0f} {r.get('end', float('nan')):7.0f} ms {int(r.get('bytes', 0)):7d} B  "
             f"{r['url']}{r.get('sw', '')}" for r in sorted(rows.values(), key=lambda r: r["start"])]
    return [*lines, f"  {'task list' if signed_in else 'sign-in form'} ready at {ready:.0f} ms"]


def signed_in_visit(browser, url: str, profile: str) -> tuple[float, float]:
    """Seconds to the task list drawn for a signed-in inspector opening the form again (cache warm): as the
    test driver sees it, and on the page's own clock.

    Chromium throttles the page's own requests only: what the service worker fetches for it (the task
    list) comes unthrottled, but the day's routes, asked for alongside, are the page's, so one throttled
    round trip stays on the path, as on a phone."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{url}/m/")
    page.fill("#username", "bench_inspector")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#tasks")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_selector("#tasks")
    _throttle(context, page, profile)
    _mark_ready(page, "#tasks .task")
    t0 = time.perf_counter()
    page.reload()
    page.wait_for_selector("#tasks .task")
    ready = time.perf_counter() - t0
    own = _page_ready(page)
    context.close()
    return ready, own


def drafts_size(browser, url: str, case_ids: list[int], photo_kb: int) -> tuple[int, int, float]:
    """(IndexedDB bytes used, photo bytes, seconds to write) for a day's drafts: 10 visits x 3 photos.

    The photos are random bytes made in the page: as incompressible as JPEG, without shipping 45 MB
    through the test driver."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{url}/m/")
    page.wait_for_selector("#sign-in")
    before = page.evaluate("navigator.storage.estimate().then(e => e.usage)")
    t0 = time.perf_counter()
    raw = page.evaluate("""async ([caseIds, size]) => {
        const photo = () => {
            const bytes = new Uint8Array(size);
            for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
            return new Blob([bytes], {type: "image/jpeg"});
        };
        let total = 0;
        for (const caseId of caseIds) {
            const photos = [0, 1, 2].map((n) => ({client_id: crypto.randomUUID(), name: `p${n}.jpg`, done: false,
                                                  blob: photo()}));
            total += photos.reduce((sum, p) => sum + p.blob.size, 0);
            await Drafts.put({
                key: caseId, case_id: caseId, client_id: crypto.randomUUID(), started_at: new Date().toISOString(),
                lon: 120.38, lat: 36.06, findings: "夜间施工，噪声明显".repeat(10), conclusion: "problem_confirmed",
                source_id: null, updated_at: new Date().toISOString(), photos,
                readings: [{client_id: crypto.randomUUID(), parameter: "noise_laeq", value: "58", unit: "dB(A)",
                            noise_point: "boundary", measured_at: "2026-05-01T23:00", background: "",
                            instrument: ""}],
            });
        }
        return total;
    }""", [case_ids, photo_kb * 1024])
    elapsed = time.perf_counter() - t0
    after = page.evaluate("navigator.storage.estimate().then(e => e.usage)")
    count = page.evaluate("Drafts.count()")
    assert count == len(case_ids), count
    context.close()
    return int(after - before), int(raw), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="fast3g")
    parser.add_argument("--photo-kb", type=int, default=1500, help="size of each draft photo")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--waterfall", action="store_true", help="also print one first visit's requests")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ecogrid-bench-m-", dir="/tmp"))
    os.chmod(folder, 0o755)
    cluster = EmbeddedCluster(folder / "pg", extra_options=("-c fsync=off", "-c synchronous_commit=off"))
    cluster.ensure_running()
    try:
        url = cluster.url()
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with sessionmaker(bind=database.engine)() as session:
            user = user_service.create(session, username="bench_inspector", role="inspector", password=PASSWORD)
            session.flush()
            case_ids = [seed_case(session, inspector_id=user.id, due_in_hours=5 + i).case_id for i in range(10)]
            session.commit()
        settings = Settings(secret_key="bench-secret-" + "x" * 40, database_url=url, upload_dir=folder / "up")
        import uvicorn

        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"

        with playwright_started() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if args.waterfall:
                print("first visit, requests (start, end, bytes on the wire):")
                print("\n".join(waterfall(browser, base, args.profile)))
                print("signed in, service worker warm:")
                print("\n".join(waterfall(browser, base, args.profile, signed_in=True)))
            bares = [bare_html(browser, base, args.profile) for _ in range(args.runs)]
            firsts = [first_visit(browser, base, args.profile) for _ in range(args.runs)]
            agains = [signed_in_visit(browser, base, args.profile) for _ in range(args.runs)]
            used, raw, write_s = drafts_size(browser, base, case_ids, args.photo_kb)
            browser.close()
        server.should_exit = True

        latency, down, up = PROFILES[args.profile]
        print(f"profile {args.profile}: {latency:g} ms latency, {down * 8 / 1e3:g} kbit/s down, "
              f"{up * 8 / 1e3:g} kbit/s up; median of {args.runs} runs")
        bare = statistics.median(bares)
        ready1 = statistics.median(f[0] for f in firsts)
        weight = statistics.median(f[1] for f in firsts)
        own1 = statistics.median(f[2] for f in firsts)
        ready2 = statistics.median(a[0] for a in agains)
        own2 = statistics.median(a[1] for a in agains)
        print(f"shell weight on the wire (first visit): {weight / 1024:.1f} KiB")
        print(f"bare HTML alone: {bare:.2f} s")
        print(f"first visit, sign-in form ready: {ready1:.2f} s (ratio to bare HTML {ready1 / bare:.1f}); "
              f"on the page's own clock {own1:.2f} s")
        print(f"signed in, task list drawn (service worker warm, tasks from the server): {ready2:.2f} s "
              f"(ratio {ready2 / bare:.1f}); on the page's own clock {own2:.2f} s")
        print(f"runs, first visit: {' '.join(f'{f[0]:.2f}' for f in firsts)} s; "
              f"signed in: {' '.join(f'{a[0]:.2f}' for a in agains)} s")
        print(f"a day's drafts (10 visits x 3 photos of {args.photo_kb} KB): IndexedDB {used / 2**20:.1f} MiB "
              f"for {raw / 2**20:.1f} MiB of photos (ratio {used / raw:.2f}), written in {write_s:.2f} s")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
