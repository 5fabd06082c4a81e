"""Security headers: a script policy on every page, nosniff everywhere, personal data never cached."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_db
from api.factory import create_app
from ecogrid.core.database import Database
from ecogrid.core.models import Source
from ecogrid.sources import credit_code
from maps import assets
from tests.casefactory import new_case

_NONCE_RE = re.compile(r"'nonce-([^']+)'")


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def _route_id(client: TestClient, db, headers: dict[str, str]) -> int:
    source = Source(name="Header unit", credit_code=credit_code.make(org8="H0000001"), industry="printing",
                    geom="SRID=4326;POINT(120.39 36.07)")
    db.add(source)
    db.flush()
    created = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [source.id]},
                          headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _pages(client: TestClient, db, auth) -> dict[str, dict[str, str]]:
    """Every HTML page, with the headers its reader signs in with."""
    chief = auth("chief")
    return {
        "/docs": {},
        "/docs/oauth2-redirect": {},
        "/m/": {},
        "/maps/heatmap": chief,
        f"/maps/routes/{_route_id(client, db, auth('planner'))}": chief,
        "/api/v1/reports/daily?format=html": chief,
    }


@pytest.mark.skipif(not assets.is_installed(), reason="map assets not installed (python -m maps.assets install)")
def test_every_page_has_a_script_policy_with_a_fresh_nonce_and_no_framing(client, db, auth) -> None:
    new_case(db)
    for path, headers in _pages(client, db, auth).items():
        first, second = client.get(path, headers=headers), client.get(path, headers=headers)
        assert first.status_code == 200, (path, first.text)
        assert first.headers["content-type"].startswith("text/html")
        policy = _directives(first.headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], path
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], path
        assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"], path
        assert first.headers["x-frame-options"] == "DENY"
        assert first.headers["referrer-policy"] == "same-origin"
        assert first.headers["x-content-type-options"] == "nosniff"
        nonce = _NONCE_RE.search(first.headers["content-security-policy"]).group(1)
        assert nonce != _NONCE_RE.search(second.headers["content-security-policy"]).group(1), path
        # Inline scripts run only with this response's nonce; the rest are files of this server.
        scripts = re.findall(r"<script\b[^>]*>", first.text, flags=re.IGNORECASE)
        inline = [tag for tag in scripts if " src=" not in tag]
        assert all(f'nonce="{nonce}"' in tag for tag in inline), (path, inline)
        assert all(re.search(r'src="/[^/]', tag) for tag in scripts if tag not in inline), (path, scripts)


def test_the_inspectors_form_allows_no_inline_style_but_its_own(client) -> None:
    page = client.get("/m/")
    policy = _directives(page.headers["content-security-policy"])
    nonce = _NONCE_RE.search(page.headers["content-security-policy"]).group(1)
    # No style attribute and no injected <style>: only the form's own stylesheet, written in with the nonce.
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["script-src"][0] == "'self'"
    styles = re.findall(r"<style\b[^>]*>", page.text, flags=re.IGNORECASE)
    assert styles == [f'<style nonce="{nonce}">']


@pytest.mark.skipif(not assets.is_installed(), reason="map assets not installed (python -m maps.assets install)")
def test_map_pages_allow_images_from_the_chosen_base_map_only(settings, db, engine, auth) -> None:
    def same_session() -> Iterator[Session]:
        yield db

    chief = auth("chief")
    for provider, key, expected in (("none", None, []),
                                    ("tianditu", "0123456789abcdef0123456789abcdef",
                                     [f"https://t{n}.tianditu.gov.cn" for n in range(8)]),
                                    ("gaode", None, [f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)])):
        chosen = settings.model_copy(update={"base_map": provider, "tianditu_key": key})
        app = create_app(chosen, Database(engine, sessionmaker(bind=engine)))
        app.dependency_overrides[get_db] = same_session
        with TestClient(app) as client:
            page = client.get("/maps/heatmap", headers=chief)
        assert page.status_code == 200, page.text
        img = _directives(page.headers["content-security-policy"])["img-src"]
        assert img == ["'self'", "data:", "blob:", *expected], provider


def test_personal_data_answers_are_never_stored_by_the_browser(client, db, auth) -> None:
    clerk = auth("clerk")
    case = new_case(db)
    answers = {
        "/api/v1/cases": client.get("/api/v1/cases", headers=clerk),
        "/api/v1/cases/{id}": client.get(f"/api/v1/cases/{case.id}", headers=clerk),
        "/api/v1/complaints": client.get("/api/v1/complaints", headers=clerk),
        "/api/v1/reports/daily": client.get("/api/v1/reports/daily", headers=clerk),
        "/api/v1/reports/ledger.csv": client.get("/api/v1/reports/ledger.csv", headers=clerk),
        "/api/v1/reports/ledger.xlsx": client.get("/api/v1/reports/ledger.xlsx", headers=clerk),
        "/api/v1/cases (signed out)": client.get("/api/v1/cases"),
    }
    for name, answer in answers.items():
        assert answer.headers["cache-control"] == "no-store", name
        assert answer.headers["x-content-type-options"] == "nosniff", name
    assert answers["/api/v1/reports/ledger.csv"].headers["content-type"].startswith("text/csv")
    assert answers["/api/v1/cases (signed out)"].status_code == 401
    # Nothing else runs from a JSON answer opened in the browser.
    assert answers["/api/v1/cases"].headers["content-security-policy"].startswith("default-src 'none'")


def test_nosniff_on_static_files_scripts_and_errors(client) -> None:
    for path in ("/m/app.js", "/m/sw.js", "/m/icon.svg", "/openapi.json", "/m/no-such-file"):
        answer = client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
    # The service worker runs under its own script's policy: it must stay free to fetch.
    assert "content-security-policy" not in client.get("/m/sw.js").headers
    if assets.is_installed():
        vendor = client.get("/static/vendor/leaflet/leaflet.js")
        assert vendor.status_code == 200
        assert vendor.headers["x-content-type-options"] == "nosniff"
        assert "no-store" not in vendor.headers.get("cache-control", "")
