"""The phone's shell arrives in one answer: a weak signal pays one round trip before the form is drawn."""

from __future__ import annotations

import re

import pytest

from api.templating import STATIC_DIR
from maps import assets


def test_the_page_carries_its_stylesheet_and_scripts_under_its_nonce(client) -> None:
    page = client.get("/m/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-cache"
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"]).group(1)
    html = page.text
    # Nothing the form needs to draw itself is a further request: only the manifest and icon are referenced.
    assert re.findall(r'(?:src|href)="(/m/[^"]*)"', html) == ["/m/manifest.webmanifest", "/m/icon.svg"]
    tags = re.findall(r"<(script|style)\b([^>]*)>", html)
    assert [name for name, _ in tags] == ["style", "script", "script", "script"]
    assert all(attrs == f' nonce="{nonce}"' for _, attrs in tags)
    written = re.sub(r"/m/leaflet\.[0-9a-f]{16}\.", "/m/leaflet.", html)  # Leaflet by its digest (below)
    for name in ("app.css", "outbox.js", "coords.js", "app.js"):
        assert (STATIC_DIR / "mobile" / name).read_text(encoding="utf-8") in written, name
    # A new nonce each time, and the files themselves still answer on their own.
    assert client.get("/m/").headers["content-security-policy"] != page.headers["content-security-policy"]
    script = client.get("/m/app.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"


def test_the_service_worker_keeps_the_page_and_leaflet_not_the_files_written_into_it() -> None:
    worker = (STATIC_DIR / "mobile" / "sw.js").read_text(encoding="utf-8")
    shell = re.search(r"const SHELL = \[(.*?)\];", worker, flags=re.DOTALL).group(1)
    kept = re.findall(r'"([^"]+)"', shell)
    assert kept == ["/m/", "/m/manifest.webmanifest", "/m/icon.svg", "/m/leaflet.js", "/m/leaflet.css"]


def test_an_unchanged_file_is_revalidated_for_a_304_not_sent_again(client) -> None:
    first = client.get("/m/app.js", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["etag"]
    again = client.get("/m/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/m/coords.js", headers={"If-None-Match": first.headers["etag"]}).status_code == 200


@pytest.mark.skipif(not assets.is_installed(), reason="map assets not installed (python -m maps.assets install)")
def test_leaflet_goes_by_its_digest_and_is_kept_for_good(client) -> None:
    page = client.get("/m/").text
    names = re.findall(r'"/m/(leaflet\.[0-9a-f]{16}\.(?:js|css))"', page)
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["css", "js"]
    assert '"/m/leaflet.js"' not in page
    script = next(n for n in names if n.endswith(".js"))
    kept = client.get(f"/m/{script}")
    assert kept.status_code == 200 and kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert kept.content == client.get("/m/leaflet.js").content
    # A page from before an upgrade still gets a map, but that name is no longer kept for good.
    old = client.get("/m/leaflet.0123456789abcdef.js")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    # The service worker keeps the same names, so a new Leaflet is a new service worker.
    worker = client.get("/m/sw.js")
    assert worker.headers["service-worker-allowed"] == "/m/"
    assert f'"/m/{script}"' in worker.text and '"/m/leaflet.js"' not in worker.text
