from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import text

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from ecogrid.core.models import Source, Zone
from maps import assets
from tests.browser_support import playwright_started


def _box(w: float, s: float, e: float, n: float) -> str:
    return f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


def seed_city(session, *, complaints: int) -> None:
    """A district of two streets, a few sources, and ``complaints`` complaints from SQL (clustered + spread)."""
    district = Zone(code="HD", name="示范区", level="district", geom=_box(120.30, 36.00, 120.45, 36.12))
    session.add(district)
    session.flush()
    session.add_all([
        Zone(code="HD-W", name="西街道", level="street", parent_id=district.id,
             geom=_box(120.30, 36.00, 120.375, 36.12)),
        Zone(code="HD-E", name="东街道", level="street", parent_id=district.id,
             geom=_box(120.375, 36.00, 120.45, 36.12)),
    ])
    for n in range(12):
        session.add(Source(name=f"化工厂{n}", credit_code=f"91370200MA3C{n:05d}X"[:18], industry="chemical",
                           categories=["odour", "voc"], geom=f"SRID=4326;POINT({120.31 + n * 0.01} 36.05)"))
    session.flush()
    session.execute(text("""
        INSERT INTO complaints (channel, kind, category, description, received_at, geom, zone_id, is_repeat)
        SELECT 'hotline_12345', 'complaint', CASE WHEN g % 3 = 0 THEN 'odour' ELSE 'noise_social' END, 'x',
               now() - (g % 300) * interval '1 day',
               CASE WHEN g % 4 = 0
                    THEN ST_SetSRID(ST_MakePoint(120.40 + (g % 97) * 0.00003, 36.08 + (g % 89) * 0.00003), 4326)
                    ELSE ST_SetSRID(ST_MakePoint(120.30 + ((g * 7919) % 15000) * 0.00001,
                                                 36.00 + ((g * 104729) % 12000) * 0.00001), 4326) END,
               NULL, g % 10 = 0
        FROM generate_series(1::bigint, :n) g
    """), {"n": complaints})
    session.execute(text("""
        UPDATE complaints c SET zone_id = z.id FROM zones z
        WHERE z.level = 'street' AND ST_Covers(z.geom, c.geom) AND c.zone_id IS NULL
    """))


def _token(settings, user) -> str:
    return security.issue_token(settings=settings, user_id=user.id, role=user.role)


def test_page_needs_a_signed_in_reader(client, make_user, settings):
    r = client.get("/maps/heatmap", params={"lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2Fmaps%2Fheatmap%3Flang%3Den&lang=en"
    inspector = make_user("inspector")
    r = client.get("/maps/heatmap", headers={"Authorization": f"Bearer {_token(settings, inspector)}"})
    assert r.status_code == 403


def test_sign_in_form_sets_the_page_cookie_and_returns_to_the_page(client, db, make_user):
    seed_city(db, complaints=200)
    make_user("chief", username="page-chief", password="correct-horse-9")
    form = client.get("/signin", params={"next": "/maps/heatmap?lang=en", "lang": "en"})
    assert form.status_code == 200 and "Staff sign-in" in form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/signin", data={"username": "page-chief", "password": "correct-horse-9", "csrf": csrf,
                                     "next": "/maps/heatmap?lang=en"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/maps/heatmap?lang=en"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ecogrid_token="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    page = client.get("/maps/heatmap?lang=en")
    assert page.status_code == 200
    assert "Complaint heatmap and hotspots" in page.text
    assert assets.external_urls(page.text) == []


def test_page_stays_small_with_many_complaints(client, db, make_user, settings):
    seed_city(db, complaints=50_000)
    chief = make_user("chief")
    headers = {"Authorization": f"Bearer {_token(settings, chief)}"}
    r = client.get("/maps/heatmap", headers=headers)
    assert r.status_code == 200
    assert len(r.content) < 2_000_000
    assert "投诉热力图与热点" in r.text  # Chinese by default
    # The heat layer holds cell weights, not 50,000 points.
    heat = re.search(r"L\.heatLayer\(\s*(\[.*?\]\]),", r.text, re.S)
    assert heat is not None
    assert 10 < heat.group(1).count("],") < 2500
    filtered = client.get("/maps/heatmap", headers=headers, params={"category": "odour", "status": "closed",
                                                                     "from": "2020-01-01", "to": "2020-12-31"})
    assert filtered.status_code == 200


@pytest.mark.parametrize(("params", "field"), [({"category": "smell"}, "category"), ({"from": "soon"}, "from")])
def test_bad_page_filters_name_the_field(client, make_user, settings, params, field):
    headers = {"Authorization": f"Bearer {_token(settings, make_user('chief'))}"}
    r = client.get("/maps/heatmap", headers=headers, params=params)
    assert r.status_code == 422
    assert field in r.text


def test_overlays_shift_to_gcj02_over_a_gcj02_base_map(db, settings):
    from ecogrid.cases import figures as case_figures
    from ecogrid.hotspots import aggregates, heatmap
    from maps import render

    seed_city(db, complaints=500)
    gcj = next(p for p in render.load_base_layers() if render.provider_crs(p) == "gcj02")
    now = datetime.now(UTC)
    data = aggregates.collect_heatmap(db, filters=aggregates.Filters(),
                                      period=aggregates.Period(now - timedelta(days=365), now),
                                      suspect_radii_m=settings.suspect_radius_m)
    counted = case_figures.zone_map(db, level="street", parent_code=None, start=now - timedelta(days=365), end=now,
                                    now=now)
    case_figures.add_to_zone_rows(data["zones"], counted["zones"])
    view = heatmap.HeatmapView(centre=(36.06, 120.375), bounds=data["bounds"], cell_m=data["cell_m"],
                               heat=data["heat"], zones=data["zones"], hotspots=data["hotspots"],
                               sources=data["sources"])
    plain = heatmap.render_heatmap_page(view, lang="en", provider="none")
    shifted = heatmap.render_heatmap_page(view, lang="en", provider=gcj)
    # The first source sits at (120.31, 36.05) in WGS-84; over GCJ-02 tiles it is drawn ~500 m off.
    assert "[36.05, 120.31]" in plain
    assert "[36.05, 120.31]" not in shifted
    assert data["sources"][0]["suspect_cases"] == 0


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_heatmap_page_loads_offline_with_its_layers(live_server):
    with live_server.session() as session:
        seed_city(session, complaints=5000)
        user_service.create(session, username="browser-chief", role="chief", password="correct-horse-9")
        session.commit()

    failed: list[str] = []
    outside: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def on_request(request) -> None:
                host = urlparse(request.url).hostname
                if request.url.startswith(("http:", "https:")) and host != "127.0.0.1":
                    outside.append(request.url)

            page.on("request", on_request)
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(f"{live_server.url}/maps/heatmap?lang=en")
            assert urlparse(page.url).path == "/signin"
            page.fill("#username", "browser-chief")
            page.fill("#password", "correct-horse-9")
            with page.expect_navigation():
                page.click("#signin-form button[type=submit]")
            assert urlparse(page.url).path == "/maps/heatmap"
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(".leaflet-control-layers")
            labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
            assert [label.strip() for label in labels] == ["Heat", "Zones", "Hot and cold spots", "Pollution sources"]
            assert page.evaluate("typeof L !== 'undefined' && typeof L.heatLayer === 'function'")
            assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
            # Two street polygons at least, plus outlined hotspot cells.
            assert page.locator("path.leaflet-interactive").count() >= 3
            assert page.locator(".marker-cluster, .leaflet-marker-icon, path").count() > 0
            assert page.locator("#heatmap-legend").is_visible()
            page.select_option("#heatmap-filters select[name=category]", "odour")
            page.click("#heatmap-filters button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "category=odour" in page.url
            assert page.locator(".leaflet-control-layers").count() == 1
            page.screenshot(path=str(ARTIFACTS / "heatmap.png"))
        finally:
            browser.close()
    assert outside == []
    assert failed == []
