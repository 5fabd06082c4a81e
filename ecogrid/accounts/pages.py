"""Signing in and out of the staff pages: ``/`` shows the sign-in form (or, signed in, the workspace),
``GET /signin?next=/maps/heatmap`` shows the form too, ``POST /signin`` checks the password and puts the
token into the page cookie, then returns to ``next`` (same site only); ``POST /signout`` ends the session.

Forged sign-ins (a foreign site posting the attacker's password so the victim works in the
attacker's account) are refused twice over: the form carries a random value that must equal the one
in a SameSite=Strict cookie set with the form (a foreign page can read neither), and a request whose
Origin or Referer names another host is refused outright.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import console, forwarded
from api.deps import DbSession, Principal, SettingsDep
from api.page_auth import (
    SIGN_IN_PATH,
    TOKEN_COOKIE,
    SignInRequired,
    clear_token_cookie,
    get_page_principal,
    set_token_cookie,
)
from api.templating import templates
from ecogrid.accounts import service as user_service
from ecogrid.accounts import sign_in as sign_in_flow
from ecogrid.cases import service as casework
from ecogrid.cases import workspace
from ecogrid.core.errors import NotAuthenticated, TooManyAttempts
from ecogrid.core.settings import Settings

router = APIRouter(tags=["sign-in"])

CSRF_COOKIE = "ecogrid_signin_csrf"
DEFAULT_NEXT = "/"

TEXT = {
    "zh": {"title": "工作人员登录", "docs": "接口文档（集成用）",
           "username": "用户名", "password": "密码", "submit": "登录",
           "other_language": "English", "wrong": "用户名或密码错误。",
           "throttled": "失败次数过多，请 {s} 秒后再试。", "forged": "登录表单已过期或来自其他网站，请重新登录。"},
    "en": {"title": "Staff sign-in", "docs": "API documentation (for integrators)",
           "username": "User name", "password": "Password", "submit": "Sign in",
           "other_language": "中文", "wrong": "Wrong user name or password.",
           "throttled": "Too many failed attempts; try again in {s} seconds.",
           "forged": "The sign-in form expired or came from another site; please sign in again."},
}

_templates = templates


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else the default page: never a redirect elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(SIGN_IN_PATH):
        return DEFAULT_NEXT
    return value


def _lang(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _form(request: Request, settings: Settings, *, lang: str, next_path: str, status: int = 200,
          error: str | None = None, username: str = "", headers: dict[str, str] | None = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    other = "zh" if lang == "en" else "en"
    page = _templates.get_template("signin.html").render(
        t=TEXT[lang], lang=lang, next=next_path, csrf=csrf, error=error, username=username,
        other_language_href=f"{SIGN_IN_PATH}?{urlencode({'next': next_path, 'lang': other})}")
    response = HTMLResponse(page, status_code=status, headers={
        "Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'", **(headers or {})})
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict", path=SIGN_IN_PATH,
                        secure=forwarded.is_https(request, settings))
    return response


def _same_site(request: Request, settings: Settings) -> bool:
    """False when Origin (or, without it, Referer) names another host than the one asked."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return True  # old browsers and privacy settings omit both; the form token still has to match
    if claimed == "null":
        return False
    return urlsplit(claimed).netloc in forwarded.hosts(request, settings)


@router.get(SIGN_IN_PATH, response_class=HTMLResponse, include_in_schema=False)
def sign_in_form(request: Request, settings: SettingsDep,
                 next_path: Annotated[str | None, Query(alias="next")] = None,
                 lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return _form(request, settings, lang=_lang(lang), next_path=safe_next(next_path))


@router.post(SIGN_IN_PATH, response_class=HTMLResponse, include_in_schema=False)
def sign_in(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=256)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()] = "",
    next_path: Annotated[str | None, Form(alias="next")] = None,
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    language, back_to = _lang(lang), safe_next(next_path)
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not (expected and hmac.compare_digest(expected.encode(), csrf.encode()) and _same_site(request, settings)):
        return _form(request, settings, lang=language, next_path=back_to, status=403,
                     error=TEXT[language]["forged"], username=username)
    try:
        user = sign_in_flow.sign_in(session, settings=settings, username=username, password=password,
                                    client=forwarded.client_address(request, settings))
    except TooManyAttempts as exc:
        return _form(request, settings, lang=language, next_path=back_to, status=429, username=username,
                     error=TEXT[language]["throttled"].format(s=exc.retry_after_s),
                     headers={"Retry-After": str(exc.retry_after_s)})
    except NotAuthenticated:
        return _form(request, settings, lang=language, next_path=back_to, status=401,
                     error=TEXT[language]["wrong"], username=username)
    response = RedirectResponse(back_to, status_code=303)
    set_token_cookie(response, token=user_service.issue_token(settings=settings, user=user), request=request,
                     settings=settings)
    response.delete_cookie(CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: DbSession, settings: SettingsDep) -> Response:
    """Signed in: the workspace of the role; otherwise the sign-in form, which comes back here."""
    try:
        principal = get_page_principal(request, session, settings, token=None, x_api_key=None)
    except SignInRequired:
        response = _form(request, settings, lang=console.language(request), next_path="/")
        console.remember_language(request, response)
        return response
    return _workspace(request, session, settings, principal)


def _workspace(request: Request, session: DbSession, settings: Settings, principal: Principal) -> Response:
    page = console.Page(request=request, principal=principal, lang=console.language(request),
                        nonce=None, csrf=console.csrf_token(request))
    viewer = casework.Actor(user_id=principal.user_id, name=principal.name, role=principal.role)
    items = workspace.needs_today(session, viewer=viewer, settings=settings)
    stock = workspace.today_stock(session) if principal.role in ("chief", "admin", "planner") else None
    return console.render(page, "home.html", items=items, stock=stock)


@router.post("/signout", include_in_schema=False)
def sign_out(request: Request, session: DbSession, settings: SettingsDep, _: console.PostedForm) -> Response:
    """Ends this sign-in: the cookie goes, and the token itself is revoked (a copied cookie stops working)."""
    response = RedirectResponse("/", status_code=303)
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie:
        try:
            user = user_service.user_for_token(session, settings=settings, token=cookie)
        except NotAuthenticated:
            pass  # already over
        else:
            user_service.revoke_tokens(session, user=user)
            session.commit()
    clear_token_cookie(response, request=request, settings=settings)
    return response
