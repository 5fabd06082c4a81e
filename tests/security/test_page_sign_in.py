"""Pages are signed in by a form, never by a token in the address; the form resists forged posts and
open redirects; the cookie is Secure over HTTPS, also behind a trusted proxy."""

from __future__ import annotations

import pytest

from ecogrid.core import security
from tests.security.sign_in_support import PASSWORD, client_on, sign_in_by_form, sign_in_form_csrf


def _token_cookie(response) -> str | None:
    return next((c for c in response.headers.get_list("set-cookie") if c.startswith("ecogrid_token=")), None)


@pytest.mark.parametrize("page", ["/maps/heatmap", "/maps/routes/1"])
def test_a_token_in_the_address_signs_nobody_in(client, make_user, settings, page):
    # A link carrying the attacker's token must not put the victim into the attacker's account.
    attacker = make_user("chief")
    token = security.issue_token(settings=settings, user_id=attacker.id, role=attacker.role)
    r = client.get(page, params={"token": token, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/signin?next=")
    assert token not in r.headers["location"]
    assert _token_cookie(r) is None and "ecogrid_token" not in client.cookies


def test_the_form_is_chinese_first_with_english_on_request(client):
    assert "工作人员登录" in client.get("/signin").text
    english = client.get("/signin", params={"lang": "en"})
    assert "Staff sign-in" in english.text
    assert english.headers["cache-control"] == "no-store"


def test_a_wrong_password_on_the_form_says_so_and_sets_no_cookie(client, make_user):
    make_user("chief", username="form-chief")
    r = sign_in_by_form(client, "form-chief", "not-the-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert _token_cookie(r) is None


@pytest.mark.parametrize("forgery", ["no_form_value", "other_value", "foreign_origin", "foreign_referer",
                                     "null_origin"])
def test_a_forged_sign_in_post_is_refused(client, make_user, forgery):
    make_user("chief", username="csrf-chief")
    csrf = sign_in_form_csrf(client)
    data = {"username": "csrf-chief", "password": PASSWORD, "csrf": csrf, "next": "/maps/heatmap"}
    headers = {}
    if forgery == "no_form_value":
        data.pop("csrf")
    elif forgery == "other_value":
        data["csrf"] = "a" * 43
    elif forgery == "foreign_origin":
        headers["Origin"] = "https://evil.example"
    elif forgery == "foreign_referer":
        headers["Referer"] = "https://evil.example/login.html"
    else:
        headers["Origin"] = "null"
    r = client.post("/signin", data=data, headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert _token_cookie(r) is None


def test_a_post_without_the_form_cookie_is_refused(client, make_user):
    make_user("chief", username="cookieless")
    csrf = sign_in_form_csrf(client)
    client.cookies.clear()
    r = client.post("/signin", data={"username": "cookieless", "password": PASSWORD, "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 403


def test_a_same_site_post_with_origin_signs_in(client, make_user):
    make_user("chief", username="origin-chief")
    r = sign_in_by_form(client, "origin-chief", Origin="http://testserver")
    assert r.status_code == 303 and _token_cookie(r) is not None


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                       "http:/evil.example", "javascript:alert(1)", "/signin?next=//evil.example"])
def test_the_form_returns_only_to_this_site(client, make_user, next_path):
    make_user("chief", username="redirect-chief")
    r = sign_in_by_form(client, "redirect-chief", next_path=next_path)
    assert r.status_code == 303
    assert r.headers["location"] == "/"  # the workspace


def test_the_form_returns_to_the_page_asked_for(client, make_user):
    make_user("planner", username="route-reader")
    r = sign_in_by_form(client, "route-reader", next_path="/maps/heatmap?category=odour&lang=en")
    assert r.headers["location"] == "/maps/heatmap?category=odour&lang=en"


def test_the_cookie_is_secure_over_https(db, engine, settings, make_user):
    make_user("chief", username="tls-chief")
    with client_on(db, engine, settings, base_url="https://testserver") as client:
        cookie = _token_cookie(sign_in_by_form(client, "tls-chief", Origin="https://testserver"))
    assert cookie is not None and "Secure" in cookie and "HttpOnly" in cookie


def test_the_cookie_is_secure_behind_a_trusted_proxy_that_says_https(db, engine, settings, make_user):
    make_user("chief", username="proxy-chief")
    proxied = {"X-Forwarded-Proto": "https"}
    trusting = settings.model_copy(update={"trust_proxy_headers": True, "forwarded_allow_ips": ["testclient"]})
    with client_on(db, engine, trusting) as client:
        cookie = _token_cookie(sign_in_by_form(client, "proxy-chief", **proxied))
    assert cookie is not None and "Secure" in cookie
    # Without trust in the proxy the header is anybody's claim, and plain HTTP gets no Secure flag.
    with client_on(db, engine, settings) as client:
        cookie = _token_cookie(sign_in_by_form(client, "proxy-chief", **proxied))
    assert cookie is not None and "Secure" not in cookie


def test_behind_a_trusted_proxy_the_origin_is_checked_against_the_forwarded_host(db, engine, settings, make_user):
    make_user("chief", username="nginx-chief")
    browser = {"Origin": "https://ecogrid.bureau.example", "X-Forwarded-Host": "ecogrid.bureau.example"}
    trusting = settings.model_copy(update={"trust_proxy_headers": True, "forwarded_allow_ips": ["testclient"]})
    with client_on(db, engine, trusting) as client:
        assert sign_in_by_form(client, "nginx-chief", **browser).status_code == 303
    with client_on(db, engine, settings) as client:
        assert sign_in_by_form(client, "nginx-chief", **browser).status_code == 403
