"""The application factory: ``uvicorn api.factory:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api import errors
from api.body_limit import BodyLimit
from api.routers import discover_routers
from ecogrid.database import Database, resolve_url
from ecogrid.settings import Settings, get_settings
from maps import assets


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.db = database or Database.from_url(resolve_url(settings))
        try:
            yield
        finally:
            if owned:
                app.state.db.dispose()

    app = FastAPI(
        title="ecogrid",
        version="0.1.0",
        description="Environmental complaint handling: intake, jurisdiction zones, suspects, "
        "inspections, hotspots and patrols.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    if database is not None:
        app.state.db = database
    errors.install(app)
    app.add_middleware(BodyLimit, settings=settings)
    for router in discover_routers():
        app.include_router(router)
    # Leaflet and friends, installed from the npm registry at set-up: no page loads anything from the internet.
    app.mount(assets.STATIC_URL_PREFIX, StaticFiles(directory=assets.vendor_dir(), check_dir=False), name="vendor")

    docs_assets = f"{assets.STATIC_URL_PREFIX}/swagger-ui"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="ecogrid API",
                                   swagger_js_url=f"{docs_assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{docs_assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{docs_assets}/favicon-32x32.png",
                                   oauth2_redirect_url="/docs/oauth2-redirect")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
