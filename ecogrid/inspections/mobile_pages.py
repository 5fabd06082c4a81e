"""The inspector's mobile web form at ``/m``: plain files served by ecogrid, nothing from the internet.

Files are served by explicit routes (an APIRouter cannot carry a StaticFiles mount). The service
worker is served from ``/m/sw.js`` so that its scope is ``/m/``; every response is revalidated
(``no-cache``, an ETag making an unchanged file a 304) because the service worker, not the HTTP cache,
keeps the offline copy. Leaflet alone is also named by its content's digest (``leaflet.<digest>.js``,
written so into the page and the service worker as they are sent): that name is cached for good.

Phones on a weak signal pay for every byte and, more, for every round trip (over 3G each costs half a
second before the first byte). So the page at ``/m/`` arrives whole: its stylesheet and its three
scripts are written into it, each tag marked with the response's CSP nonce, and the sign-in form or the
task list can be drawn from that one answer. Text goes gzip-compressed to a browser that accepts it
(the files once per version, the page per answer, since its nonce is new each time). Leaflet, a third
of the form's weight, is served here too so it is compressed alike; the form loads it only when a case
page draws its map. The files stay addressable one by one (``/m/app.js`` ...) for tools and tests.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import templating
from api.security_headers import CspNonce
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
# Leaflet is also served under a name holding its content's digest (``leaflet.<digest>.js``): that name
# never changes meaning, so a browser keeps it for good and never asks again.
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_VERSIONED = re.compile(r"^(leaflet)\.([0-9a-f]{16})\.(js|css)$")


@lru_cache(maxsize=32)
def _compressed(path: Path, _mtime_ns: int) -> bytes:
    # mtime in the key: an edited file is compressed again, an unchanged one never twice.
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


@lru_cache(maxsize=32)
def _digest(path: Path, _mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _etag(path: Path, mtime_ns: int) -> str:
    return f'"{_digest(path, mtime_ns)}"'


def _versioned_names() -> dict[str, str]:
    """``/m/leaflet.js`` -> ``/m/leaflet.<digest>.js`` (and the stylesheet); nothing when not installed."""
    names = {}
    for name, (relative, _) in _VENDOR.items():
        path = assets.vendor_dir() / relative
        if path.is_file():
            stem, ext = name.rsplit(".", 1)
            names[f'"/m/{name}"'] = f'"/m/{stem}.{_digest(path, path.stat().st_mtime_ns)}.{ext}"'
    return names


def _with_versioned_names(text: str, names: dict[str, str]) -> str:
    for plain, versioned in names.items():
        text = text.replace(plain, versioned)
    return text


def _send(request: Request, path: Path, media_type: str, headers: dict[str, str]) -> Response:
    if not path.is_file():
        raise NotFound(f"no file {path.name!r} in the mobile form")
    mtime = path.stat().st_mtime_ns
    # Revalidated on every use (no-cache): an unchanged file costs a 304, not its bytes again.
    headers = {**headers, "Vary": "Accept-Encoding", "ETag": _etag(path, mtime)}
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = _compressed(path, mtime)
        headers["Content-Encoding"] = "gzip"
    else:
        body = path.read_bytes()
    return Response(content=body, media_type=media_type, headers=headers)


@router.get("/m")
def mobile_root() -> RedirectResponse:
    return RedirectResponse("/m/")


# What the page refers to, in its order, and the tag it is written into the page with.
_INLINED = (("app.css", "style", '<link rel="stylesheet" href="/m/app.css">'),
            ("outbox.js", "script", '<script src="/m/outbox.js"></script>'),
            ("coords.js", "script", '<script src="/m/coords.js"></script>'),
            ("app.js", "script", '<script src="/m/app.js"></script>'))
_NONCE_MARK = "\x00nonce\x00"


@lru_cache(maxsize=8)
def _whole_page(_mtimes_ns: tuple[int, ...], names: tuple[tuple[str, str], ...]) -> str:
    """index.html with its stylesheet and scripts written in, a mark where each tag's nonce goes, and
    Leaflet asked for by its versioned names."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for name, tag, reference in _INLINED:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        if f"</{tag}" in text.lower() or reference not in page:
            raise RuntimeError(f"{name} cannot be written into the mobile page")
        page = page.replace(reference, f'<{tag} nonce="{_NONCE_MARK}">\n{text}\n</{tag}>')
    return _with_versioned_names(page, dict(names))


def _stamp() -> tuple[int, ...]:
    return tuple((STATIC_DIR / name).stat().st_mtime_ns for name in ("index.html", *(n for n, _, _ in _INLINED)))


@router.get("/m/")
def mobile_page(request: Request, nonce: CspNonce) -> Response:
    if nonce is None:  # no policy to mark the tags with: the page with its files referenced
        return _send(request, STATIC_DIR / "index.html", "text/html; charset=utf-8", _HEADERS)
    names = tuple(sorted(_versioned_names().items()))
    body = _whole_page(_stamp(), names).replace(_NONCE_MARK, nonce).encode()
    headers = {**_HEADERS, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/m/{name}")
def mobile_file(name: str, request: Request) -> Response:
    versioned = _VERSIONED.match(name)
    if versioned:
        relative, media_type = _VENDOR[f"{versioned[1]}.{versioned[3]}"]
        path = assets.vendor_dir() / relative
        current = path.is_file() and _digest(path, path.stat().st_mtime_ns) == versioned[2]
        # An older page's name still answers (with today's file, revalidated); only the current one is kept.
        return _send(request, path, media_type, _IMMUTABLE if current else _HEADERS)
    if name == "sw.js":
        return _service_worker(request)
    if name in _VENDOR:
        relative, media_type = _VENDOR[name]
        return _send(request, assets.vendor_dir() / relative, media_type, _HEADERS)
    file_type = _FILES.get(name)
    if file_type is None:
        raise NotFound(f"no file {name!r} in the mobile form")
    return _send(request, STATIC_DIR / name, file_type, _HEADERS)


def _service_worker(request: Request) -> Response:
    # It keeps Leaflet under the versioned names: a new Leaflet changes this file, so phones install it anew.
    text = _with_versioned_names((STATIC_DIR / "sw.js").read_text(encoding="utf-8"), _versioned_names())
    body = text.encode()
    headers = {**_HEADERS, "Service-Worker-Allowed": "/m/", "Vary": "Accept-Encoding",
               "ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"'}
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type=_FILES["sw.js"], headers=headers)
