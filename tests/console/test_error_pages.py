"""A refusal on a console address is an HTML page in the console's language with the status kept; the API
keeps its JSON."""

from __future__ import annotations

import re

from fastapi import Depends
from fastapi.testclient import TestClient

from api import console
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, sign_in
from tests.staffing import person


def _is_console_page(r) -> None:
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self' 'nonce-" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def _back(html: str) -> str:
    found = re.search(r'id="error-back" href="([^"]*)"', html)
    assert found, html
    return found.group(1)


def test_a_missing_case_is_a_chinese_404_page_with_a_way_back(client, db, auth):
    person(db, "clerk", username="err-clerk")
    sign_in(client, "err-clerk")
    r = client.get("/cases/999999")
    assert r.status_code == 404
    _is_console_page(r)
    assert '<html lang="zh-CN">' in r.text and "<h1>未找到" in r.text and 'data-status="404"' in r.text
    assert 'id="nav"' in r.text and 'href="/intake"' in r.text  # inside the console, the clerk's navigation
    assert _back(r.text) == "/cases"
    english = client.get("/cases/999999", params={"lang": "en"})
    assert english.status_code == 404 and "<h1>Not found" in english.text and '<html lang="en">' in english.text
    assert client.get("/cases/1/nothing").status_code == 404  # an address under the console matching no route
    assert "Not found" in client.get("/cases/1/nothing").text
    api = client.get("/api/v1/cases/999999", headers=auth("clerk"))
    assert api.status_code == 404 and api.json() == {"detail": "case 999999 not found"}


def test_a_forbidden_page_is_a_403_page_in_the_layout(client, db, auth):
    person(db, "clerk", username="err-clerk-403")
    sign_in(client, "err-clerk-403")
    for path in ("/patrols", "/admin"):
        r = client.get(path)
        assert r.status_code == 403, path
        _is_console_page(r)
        assert "<h1>无权访问" in r.text and _back(r.text) == "/"
        assert "err-clerk-403" in r.text  # the viewer is known: the page is the console's, with sign-out
    api = client.get("/api/v1/users", headers=auth("clerk"))
    assert api.status_code == 403 and "detail" in api.json()


def test_a_bad_value_in_the_address_is_a_422_page_naming_the_field(client, db):
    person(db, "chief", username="err-chief")
    sign_in(client, "err-chief")
    r = client.get("/cases/abc")
    assert r.status_code == 422
    _is_console_page(r)
    assert 'data-field="case_id"' in r.text and "案件编号" in r.text and "<h1>输入有误" in r.text
    bad = client.get("/cases", params={"opened_from": "2026-01-01\x01", "category": HOSTILE[0]})
    assert bad.status_code == 422
    _is_console_page(bad)
    assert 'data-field="opened_from"' in bad.text and "起始日期" in bad.text
    assert _back(bad.text) == "/cases"  # the list again, without the address's filters
    assert "<img src=x" not in bad.text
    english = client.get("/cases/abc?lang=en")
    assert "<h1>Invalid input" in english.text and "case number" in english.text


def test_a_refused_form_answers_with_a_page_back_to_the_form(client, db):
    person(db, "clerk", username="err-form-clerk")
    row = new_case(db)
    sign_in(client, "err-form-clerk")
    r = client.post(f"/cases/{row.id}/act", data={"csrf": "forged", "action": "accept"},
                    headers={"Referer": f"http://testserver/cases/{row.id}"})
    assert r.status_code == 403
    _is_console_page(r)
    assert "无权访问" in r.text and _back(r.text) == f"/cases/{row.id}"
    elsewhere = client.post(f"/cases/{row.id}/act", data={"csrf": "forged"},
                            headers={"Referer": "http://evil.example/cases"})
    assert elsewhere.status_code == 403 and _back(elsewhere.text) == "/cases"  # never back to another site


def test_a_server_error_on_the_console_is_a_500_page_and_the_api_keeps_its_answer(app, db):
    def broken_page(page: console.Page = Depends(console.console_page("clerk"))) -> None:  # noqa: B008
        raise RuntimeError(f"a bug seen by {page.principal.name}")

    def broken_api() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/reports/broken", broken_page, include_in_schema=False)
    app.add_api_route("/api/v1/broken", broken_api, include_in_schema=False)
    person(db, "clerk", username="err-500-clerk")
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "err-500-clerk")
        r = client.get("/reports/broken")
        assert r.status_code == 500
        _is_console_page(r)
        assert "<h1>系统出错" in r.text and "a bug" not in r.text and _back(r.text) == "/reports"
        api = client.get("/api/v1/broken")
        assert api.status_code == 500 and api.text == "Internal Server Error"
