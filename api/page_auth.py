"""Who is looking at a staff page (the heatmap, a route map): the page cookie, or explicit credentials.

A browser opening a page cannot send a bearer header, so pages are signed in by the form at
``/signin``, which puts the token into an HttpOnly, SameSite=Strict cookie (Secure over HTTPS).
A token is never taken from the address: an address is logged, kept in history, sent on in Referer
headers, and a link carrying an attacker's token would sign the victim in as the attacker.

A page request without a usable cookie is redirected to the sign-in form, which comes back to the
page afterwards. An Authorization or X-API-Key header, when present, is used instead of the cookie
and answered like the API (401 when wrong), for scripts and tests.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import APIKeyCookie

from api import forwarded
from api.deps import DbSession, Principal, SettingsDep, api_key_scheme, check_role, get_principal, oauth2_scheme
from ecogrid.accounts import service as user_service
from ecogrid.core.errors import NotAuthenticated
from ecogrid.core.settings import Settings

TOKEN_COOKIE = "ecogrid_token"
SIGN_IN_PATH = "/signin"
# Documents the page cookie as a third way in (pages only); the cookie itself is read below.
page_cookie_scheme = APIKeyCookie(name=TOKEN_COOKIE, auto_error=False, scheme_name="pageCookie",
                                  description="The HttpOnly cookie the sign-in form at /signin sets, for pages.")
# Never carried over into the address the sign-in form returns to.
SECRET_PARAMETERS = frozenset({"token", "access_token", "api_key", "password"})


class SignInRequired(Exception):
    """The page needs a signed-in user: answered with a redirect to the sign-in form."""

    def __init__(self, back_to: str, lang: str | None) -> None:
        super().__init__(back_to)
        self.back_to = back_to
        self.lang = lang


def set_token_cookie(response: Response, *, token: str, request: Request, settings: Settings) -> None:
    response.set_cookie(TOKEN_COOKIE, token, max_age=settings.token_minutes * 60, httponly=True,
                        samesite="strict", secure=forwarded.is_https(request, settings), path="/")


def clear_token_cookie(response: Response, *, request: Request, settings: Settings) -> None:
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=forwarded.is_https(request, settings))


def sign_in_address(back_to: str, lang: str | None = None) -> str:
    query = {"next": back_to, **({"lang": lang} if lang in ("zh", "en") else {})}
    return f"{SIGN_IN_PATH}?{urlencode(query)}"


def _back_to(request: Request) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in SECRET_PARAMETERS]
    return request.url.path + ("?" + urlencode(kept) if kept else "")


def get_page_principal(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)] = None,
    _cookie: Annotated[str | None, Depends(page_cookie_scheme)] = None,
) -> Principal:
    if token or x_api_key:
        return get_principal(session, settings, token, x_api_key)
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie:
        try:
            user = user_service.user_for_token(session, settings=settings, token=cookie)
        except NotAuthenticated:
            pass  # expired or revoked: sign in again
        else:
            return Principal(user.id, user.username, user.role)
    raise SignInRequired(_back_to(request), request.query_params.get("lang"))


def require_page_roles(*roles: str):
    """Like ``require_roles``, for pages: no sign-in means a redirect to the form, a wrong role 403."""

    def check(principal: Annotated[Principal, Depends(get_page_principal)]) -> Principal:
        return check_role(principal, roles)

    return check


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    response = RedirectResponse(sign_in_address(exc.back_to, exc.lang), status_code=303)
    if TOKEN_COOKIE in request.cookies:
        clear_token_cookie(response, request=request, settings=request.app.state.settings)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _to_sign_in)
