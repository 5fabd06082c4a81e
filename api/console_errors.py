"""The staff console's error page: a refusal on a console address is a page a person reads, not JSON.

- Which requests: a route whose dependencies include a console viewer (:func:`api.console.console_page`) or
  a console form (:func:`api.console.read_form`), found once per route; and an address of the console
  itself (``/``, ``/cases/...``, ``/admin/...``) whatever it matched. ``/api/...`` never: the API keeps JSON.
- What it says: the status is kept (404, 403, 422, 409, 500 ...); a headline and a sentence in Chinese
  first (English through the same switch as every console page); for 422 the field, by its label and its
  name; the reason in the service's words; a link back (the section's list, the page without the
  address's filters for a bad filter, the form's page for a refused form) and one to the workspace.
- Inside the console's layout (navigation, sign-out) when the viewer was known before the refusal, a plain
  layout otherwise.
- CSP: the security-headers middleware gives every HTML answer its policy. A 500 is answered by Starlette's
  last-resort handler outside that middleware, so that page sets the same policy itself.

The status of each error is still decided by ``api/errors.py`` alone; this module only renders it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse

from api import console, forwarded
from api.security_headers import page_policy
from api.templating import templates

# status -> (headline zh, headline en, sentence zh, sentence en)
STATUS_TEXT: Mapping[int, tuple[str, str, str, str]] = {
    401: ("需要登录", "Sign-in required", "登录已失效，请重新登录。",
          "Your sign-in is no longer valid; please sign in again."),
    403: ("无权访问", "Not allowed", "您的角色不能打开此页面或执行此操作。",
          "Your role may not open this page or do this."),
    404: ("未找到", "Not found", "您要找的页面或记录不存在。", "The page or record you asked for does not exist."),
    405: ("不支持的操作", "Not supported", "此地址不接受这种请求。",
          "This address does not take this kind of request."),
    409: ("当前不能执行", "Not possible now", "此操作在当前状态下不能执行。",
          "This cannot be done in the present state."),
    422: ("输入有误", "Invalid input", "地址或表单中有一项不符合要求。",
          "A value in the address or the form is not accepted."),
    429: ("请求过多", "Too many requests", "请稍后再试。", "Please try again later."),
    500: ("系统出错", "Server error", "服务器处理此请求时出错，错误已记录。请稍后再试。",
          "The server failed to handle this request; the error was logged. Please try again later."),
    503: ("暂时无法使用", "Temporarily unavailable", "数据库暂时不可用，请稍后再试。",
          "The database is not available just now; please try again shortly."),
}
_OTHER = ("出错了", "Error", "请求未能完成。", "The request could not be completed.")
_ROUTE_MARK = "_ecogrid_console_route"
# Section addresses besides the navigation's own: the sign-in form is no console page.
_NOT_SECTIONS = frozenset({"/"})


def _uses_console(dependant: Dependant) -> bool:
    return any(d.call in console.CONSOLE_DEPENDENCIES or _uses_console(d) for d in dependant.dependencies)


def _console_route(route: Any) -> bool:
    marked = getattr(route, _ROUTE_MARK, None)
    if marked is None:
        dependant = getattr(route, "dependant", None)
        marked = isinstance(dependant, Dependant) and _uses_console(dependant)
        setattr(route, _ROUTE_MARK, marked)
    return bool(marked)


def section_of(path: str) -> str | None:
    """The console section (navigation entry) an address belongs to, ``/`` for the workspace itself."""
    if path == "/":
        return "/"
    for href, _zh, _en, _roles in console.NAVIGATION:
        if href not in _NOT_SECTIONS and (path == href or path.startswith((href + "/", href + "."))):
            return href
    return None


def wants_page(request: Request) -> bool:
    """Whether this request's error is answered with the console's HTML page (else the API's JSON)."""
    path = request.url.path
    if path.startswith("/api/"):
        return False
    route = request.scope.get("route")
    return (route is not None and _console_route(route)) or section_of(path) is not None


@dataclass(frozen=True)
class Link:
    href: str
    zh: str
    en: str


def _same_site_referer(request: Request) -> str | None:
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc not in forwarded.hosts(request, request.app.state.settings) or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def back_link(request: Request, status: int) -> Link:
    path = request.url.path
    section = section_of(path) or "/"
    if request.method not in ("GET", "HEAD"):
        return Link(_same_site_referer(request) or section, "返回上一页", "Back to the page")
    if status == 422 and request.url.query:
        return Link(path, "去掉地址中的条件重新打开", "Open it without the address's filters")
    if section != path and status != 403:
        return Link(section, "返回列表", "Back to the list")
    return Link("/", "返回工作台", "Back to the workspace")


def _text(value: str) -> str:
    # A lone surrogate cannot be written as UTF-8: the page must still be sent.
    return value.encode("utf-8", "replace").decode("utf-8")


def _other_language_href(request: Request, lang: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    kept.append(("lang", "zh" if lang == "en" else "en"))
    return request.url.path + "?" + urlencode(kept)


def error_page(request: Request, status: int, *, message: str, field: str | None = None,
               headers: Mapping[str, str] | None = None, own_policy: bool = False) -> HTMLResponse:
    """The console's page for an error of ``status`` (``message`` in the service's words; ``field`` for 422).

    ``own_policy``: the answer bypasses the security-headers middleware (a 500), so it carries the policy."""
    lang = console.language(request)
    page = console.current_page(request)

    def tr(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    head_zh, head_en, say_zh, say_en = STATUS_TEXT.get(status, _OTHER)
    label = None
    if field:
        zh, en = console.FIELD_LABELS.get(field, (field, field))
        label = tr(zh, en)
    back = back_link(request, status)
    body = templates.get_template("console/error.html").render(
        page=page, lang=lang, tr=tr, static=console.STATIC_PREFIX, status=status, headline=tr(head_zh, head_en),
        sentence=tr(say_zh, say_en), field=field, field_label=label, message=_text(message),
        back=back, other_language_href=_other_language_href(request, lang))
    extra = dict(headers or {})
    if own_policy:
        extra.update({"Content-Security-Policy": page_policy(nonce=secrets.token_urlsafe(18)),
                      "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                      "Referrer-Policy": "same-origin"})
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store", **extra})
    console.remember_language(request, response)
    return response
