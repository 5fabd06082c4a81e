"""The inspector's mobile web form at ``/m``: plain files served by ecogrid, nothing from the internet.

Files are served by explicit routes (an APIRouter cannot carry a StaticFiles mount). The service
worker is served from ``/m/sw.js`` so that its scope is ``/m/``; every response is revalidated
(``no-cache``) because the service worker, not the HTTP cache, keeps the offline copy.

Phones on a weak signal pay for every byte: text files go gzip-compressed to a browser that accepts
it (compressed once per file version), and Leaflet, a third of the shell, is served here too so it
is compressed alike; the form loads it only when a case page draws its map.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import templating
from ecogrid.core.errors import NotFound
from maps import assets

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
# Served from the vendor folder that `ecogrid assets` fills from npm.
_VENDOR = {
    "leaflet.js": ("leaflet/leaflet.js", "text/javascript; charset=utf-8"),
    "leaflet.css": ("leaflet/leaflet.css", "text/css; charset=utf-8"),
}

# nosniff, the page's Content-Security-Policy and the rest come from api.security_headers.
_HEADERS = {"Cache-Control": "no-cache"}


@lru_cache(maxsize=32)
def _compressed(path: Path, _mtime_ns: int) -> bytes:
    # mtime in the key: an edited file is compressed again, an unchanged one never twice.
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def _send(request: Request, path: Path, media_type: str, headers: dict[str, str]) -> Response:
    if not path.is_file():
        raise NotFound(f"no file {path.name!r} in the mobile form")
    headers = {**headers, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = _compressed(path, path.stat().st_mtime_ns)
        headers["Content-Encoding"] = "gzip"
    else:
        body = path.read_bytes()
    return Response(content=body, media_type=media_type, headers=headers)


@router.get("/m")
def mobile_root() -> RedirectResponse:
    return RedirectResponse("/m/")


@router.get("/m/")
def mobile_page(request: Request) -> Response:
    return _send(request, STATIC_DIR / "index.html", "text/html; charset=utf-8", _HEADERS)


@router.get("/m/{name}")
def mobile_file(name: str, request: Request) -> Response:
    if name in _VENDOR:
        relative, media_type = _VENDOR[name]
        return _send(request, assets.vendor_dir() / relative, media_type, _HEADERS)
    file_type = _FILES.get(name)
    if file_type is None:
        raise NotFound(f"no file {name!r} in the mobile form")
    headers = dict(_HEADERS)
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/m/"
    return _send(request, STATIC_DIR / name, file_type, headers)
