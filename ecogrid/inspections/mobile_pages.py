"""The inspector's mobile web form at ``/m``: plain files served by ecogrid, nothing from the internet.

Files are served by explicit routes (an APIRouter cannot carry a StaticFiles mount). The service
worker is served from ``/m/sw.js`` so that its scope is ``/m/``; every response is revalidated
(``no-cache``) because the service worker, not the HTTP cache, keeps the offline copy.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from api import templating
from ecogrid.core.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC_DIR = templating.STATIC_DIR / "mobile"

_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "outbox.js": "text/javascript; charset=utf-8",
    "coords.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
}

# nosniff, the page's Content-Security-Policy and the rest come from api.security_headers.
_HEADERS = {"Cache-Control": "no-cache"}


@router.get("/m")
def mobile_root() -> RedirectResponse:
    return RedirectResponse("/m/")


@router.get("/m/")
def mobile_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/m/{name}")
def mobile_file(name: str) -> FileResponse:
    media_type = _FILES.get(name)
    if media_type is None:
        raise NotFound(f"no file {name!r} in the mobile form")
    headers = dict(_HEADERS)
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/m/"
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=headers)
