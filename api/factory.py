"""The application factory: ``uvicorn api.factory:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import console, errors, health, openapi_responses, page_auth, templating
from api.body_limit import BodyLimit
from api.disconnect import CancelOnDisconnect
from api.input_guard import refuse_unsafe_text
from api.operation_ids import operation_id
from api.request_id import RequestId
from api.request_metrics import RequestMetrics
from api.security_headers import CspNonce, SecurityHeaders
from ecogrid.core import log_redaction, signing_secret
from ecogrid.core.database import Database, connect
from ecogrid.core.settings import Settings, get_settings
from ecogrid.domains import web_modules
from ecogrid.operations import logs, pool_metrics
from ecogrid.webhooks.dispatcher import Dispatcher
from maps import assets, render, safe_html

API_DESCRIPTION = """Environmental complaint handling: intake, jurisdiction zones, suspects, inspections, hotspots
and patrols.

- **Sign in** with a bearer token (`POST /api/v1/auth/token`, scheme `bearer`) or an integration's API key
  (`X-API-Key`, scheme `apiKey`). Operations that need either list both; 401 means no or bad credentials,
  403 a role that may not do this.
- **Errors** are `{"detail": "reason"}`, or `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}` when a
  value is to blame (`loc` names it); 409 says why an action is not possible now; 503 carries `Retry-After`.
- **Times** are RFC 3339 in Beijing time (`2026-05-01T09:30:00+08:00`); a time sent without an offset is
  Beijing time.
- **Zones** are filtered by their code (`zone=370299005`: that zone and every zone in it).
- **GeoJSON** answers are `application/geo+json`; files (CSV, XLSX, photos, vector tiles) say their type.
- **Operation ids** (`list_cases`, `dispatch_case`) are stable: generated clients keep their method names.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    # With no configured secret, the one generated in data_dir on first start (never a built-in one).
    settings = signing_secret.resolve(settings or get_settings())
    # Now (``uvicorn --factory`` has configured its loggers already) and again at start-up (``ecogrid serve``
    # builds the app before uvicorn configures them), so every line is in the configured format.
    logs.configure(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here rather than in ``ecogrid serve`` alone: ``uvicorn --factory`` configures its logging first too.
        log_redaction.install()
        logs.configure(settings)
        owned = database is None
        app.state.db = database or connect(settings)
        # Webhook deliveries leave from here, never from a request: a dead endpoint cannot slow intake.
        dispatcher = Dispatcher(app.state.db.sessionmaker, settings).start() if settings.webhook_dispatch else None
        pool_metrics.instrument(app.state.db.engine)
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            if owned:
                app.state.db.dispose()

    app = FastAPI(
        title="ecogrid",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # Control characters in any path, query or body text: 422 naming the field, on every route.
        dependencies=[Depends(refuse_unsafe_text)],
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    if database is not None:
        app.state.db = database
    errors.install(app)
    # Inside SecurityHeaders, so a 413 carries the same headers as every other answer.
    app.add_middleware(BodyLimit, settings=settings)
    page_auth.install(app)
    app.add_middleware(SecurityHeaders, img_origins=render.tile_origins(settings.base_map))
    app.add_middleware(CancelOnDisconnect)
    # Outermost: counts and times every answer, a 413 or a 503 included, each with its request id.
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestId)
    app.include_router(health.router)
    for router in discover_routers():
        app.include_router(router)
    openapi_responses.install(app)
    # Leaflet and friends, installed from the npm registry at set-up: no page loads anything from the internet.
    app.mount(assets.STATIC_URL_PREFIX, StaticFiles(directory=assets.vendor_dir(), check_dir=False), name="vendor")
    # The staff console's own stylesheet and scripts (plain files, no build step).
    app.mount(console.STATIC_PREFIX, StaticFiles(directory=templating.STATIC_DIR / "console"), name="console")

    docs_assets = f"{assets.STATIC_URL_PREFIX}/swagger-ui"

    @app.get("/docs", include_in_schema=False)
    def docs(nonce: CspNonce) -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="ecogrid API",
                                   swagger_js_url=f"{docs_assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{docs_assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{docs_assets}/favicon-32x32.png",
                                   oauth2_redirect_url="/docs/oauth2-redirect")
        return _with_nonce(page, nonce)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect(nonce: CspNonce) -> HTMLResponse:
        return _with_nonce(get_swagger_ui_oauth2_redirect_html(), nonce)

    return app


def _with_nonce(page: HTMLResponse, nonce: str | None) -> HTMLResponse:
    # Swagger UI starts from an inline script; the page's policy runs it only with the nonce.
    return HTMLResponse(safe_html.with_script_nonce(bytes(page.body).decode("utf-8"), nonce))


def discover_routers() -> list[APIRouter]:
    """Every domain's ``views``/``pages`` modules' routers (see ``ecogrid.domains``)."""
    return [module.router for module in web_modules() if isinstance(getattr(module, "router", None), APIRouter)]
