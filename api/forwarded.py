"""What a request says about its client when a reverse proxy stands in front of the server.

Behind a proxy every request comes from the proxy's address and over plain HTTP; the proxy tells
the truth in ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host``. Anybody can send
those headers, so they are believed only when the operator says so (``trust_proxy_headers``) and
only from the peers in ``forwarded_allow_ips``. (``ecogrid serve`` passes the same two settings to uvicorn, which then
rewrites the address and scheme itself; reading the headers here as well keeps the answer right when
the app is served some other way.)
"""

from __future__ import annotations

from fastapi import Request

from ecogrid.core.settings import Settings


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""


def _proxy_trusted(request: Request, settings: Settings) -> bool:
    if not settings.trust_proxy_headers:
        return False
    allowed = settings.forwarded_allow_ips
    return "*" in allowed or _peer(request) in allowed


def client_address(request: Request, settings: Settings) -> str:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and _proxy_trusted(request, settings):
        # The proxy appends the address it saw; anything left of it came from the client itself.
        return forwarded.split(",")[-1].strip() or _peer(request)
    return _peer(request)


def hosts(request: Request, settings: Settings) -> set[str]:
    """The names this request was addressed to: Host, and X-Forwarded-Host from a trusted proxy (a proxy
    that rewrites Host to its upstream's address says the name the browser used there)."""
    names = {request.headers.get("host", "")}
    forwarded_host = request.headers.get("x-forwarded-host")
    if forwarded_host and _proxy_trusted(request, settings):
        names.add(forwarded_host.split(",")[0].strip())
    return names - {""}


def is_https(request: Request, settings: Settings) -> bool:
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto")
    if not proto:
        return False
    return proto.split(",")[0].strip().lower() == "https" and _proxy_trusted(request, settings)
