"""The security headers of every response, decided in one place.

- Every HTML page gets a Content-Security-Policy whose scripts are this server's files plus the
  inline scripts marked with this request's nonce (:func:`csp_nonce`; the map pages and /docs put
  it on their own scripts). Injected markup cannot carry the nonce, so it cannot run, and the
  page can be framed by nobody (``frame-ancestors 'none'``, and ``X-Frame-Options`` for older
  browsers). Images may come from this server and from the chosen base map's tile hosts only.
- Styles: folium writes ``<style>`` blocks and ``style=""`` attributes, Leaflet's DivIcons and
  Swagger UI carry style attributes, and the bulletin has its own ``<style>``; so HTML pages allow
  inline styles. A style cannot run script, and every user string is encoded before it reaches
  markup, so what inline styles leave open is restyling, not code. The inspector's form at ``/m/``
  allows no style attribute and no ``<style>`` but its own, marked with the nonce (it arrives written
  into the page, to save a phone a round trip).
- Other responses get ``default-src 'none'``: a JSON answer or a photo opened on its own runs
  nothing. JavaScript files are the exception: a service worker runs under the policy of its
  own script's response, and ``'none'`` would stop it from fetching.
- ``nosniff`` and ``Referrer-Policy: same-origin`` on every response: addresses never leave for other sites, while
  same-site form posts keep the Origin the sign-in form checks (``no-referrer`` makes it ``null``).
- Everything under ``/api/`` and ``/maps/`` (cases, complaints, ledger exports, reports, maps of
  sources) is ``Cache-Control: no-store`` unless the handler gave the browser a ``private``
  lifetime on purpose (photos and vector tiles, kept for the signed-in user only).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_STATE_KEY = "csp_nonce"
# Pages under these prefixes carry personal data or their JSON does.
NO_STORE_PREFIXES = ("/api/", "/maps/")
STRICT_STYLE_PREFIXES = ("/m/",)
_NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def page_policy(*, nonce: str, img_origins: Sequence[str] = (), inline_styles: bool = True) -> str:
    """The Content-Security-Policy of an HTML page."""
    directives: list[tuple[str, Sequence[str]]] = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", f"'nonce-{nonce}'"]),
        ("style-src", ["'self'", "'unsafe-inline'"] if inline_styles else ["'self'", f"'nonce-{nonce}'"]),
        ("img-src", ["'self'", "data:", "blob:", *img_origins]),
        ("connect-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


def csp_nonce(request: Request) -> str | None:
    """This request's script nonce (None when the middleware is not installed)."""
    return getattr(request.state, NONCE_STATE_KEY, None)


CspNonce = Annotated[str | None, Depends(csp_nonce)]


def _is_javascript(content_type: str) -> bool:
    return "javascript" in content_type or "ecmascript" in content_type


class SecurityHeaders:
    """ASGI middleware: a fresh nonce per request, the headers above on its response."""

    def __init__(self, app: ASGIApp, *, img_origins: Sequence[str] = ()) -> None:
        self.app = app
        self.img_origins = tuple(img_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope["state"] = {**scope.get("state", {}), NONCE_STATE_KEY: nonce}
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message), path=path, nonce=nonce)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add_headers(self, headers: MutableHeaders, *, path: str, nonce: str) -> None:
        content_type = headers.get("content-type", "").lower()
        if content_type.startswith("text/html"):
            headers["Content-Security-Policy"] = page_policy(
                nonce=nonce, img_origins=self.img_origins,
                inline_styles=not path.startswith(STRICT_STYLE_PREFIXES))
        elif not _is_javascript(content_type):
            headers["Content-Security-Policy"] = _NON_PAGE_POLICY
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        if path.startswith(NO_STORE_PREFIXES):
            chosen = headers.get("cache-control", "").lower()
            if "no-store" not in chosen and "private" not in chosen:
                headers["Cache-Control"] = "no-store"
