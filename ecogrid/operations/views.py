"""``GET /metrics``: Prometheus text format, for the operator's Prometheus and no one else.

Who may read it: with ``ECOGRID_METRICS_TOKEN`` set, a request carrying ``Authorization: Bearer
<token>``; without a token, clients on this machine only (loopback: a Prometheus or an agent beside
the service). Behind a reverse proxy every request comes from loopback, so set the token there (the
proxy's own address would otherwise let the whole internet in), or keep /metrics off the proxy.
The figures hold no personal data, but route names and counts say how the service is used.
"""

from __future__ import annotations

import hmac
import os

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from ecogrid.core.errors import Forbidden, NotAuthenticated
from ecogrid.operations.figures_collector import FiguresCollector

router = APIRouter(tags=["operations"])

LOOPBACK = frozenset({"127.0.0.1", "::1"})


def check_may_read_metrics(request: Request) -> None:
    token = request.app.state.settings.metrics_token
    if token is not None and token.get_secret_value():
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 token.get_secret_value().encode()):
            raise NotAuthenticated("metrics need the metrics token (Authorization: Bearer ...)")
        return
    client = request.client.host if request.client else ""
    if client not in LOOPBACK:
        raise Forbidden("metrics are served to this machine only; set ECOGRID_METRICS_TOKEN to read them remotely")


def _process_registry() -> CollectorRegistry:
    # Several workers: each writes its values to PROMETHEUS_MULTIPROC_DIR and the scrape adds them up.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _figures_registry(request: Request) -> CollectorRegistry:
    state = request.app.state
    registry = getattr(state, "figures_registry", None)
    if registry is None:
        registry = CollectorRegistry()
        registry.register(FiguresCollector(state.db.sessionmaker, cache_s=state.settings.metrics_cache_s))
        state.figures_registry = registry
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    check_may_read_metrics(request)
    body = generate_latest(_process_registry()) + generate_latest(_figures_registry(request))
    return Response(content=body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
