"""Interactive API pages (/docs, /redoc) served with assets the platform ships itself.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, which commission networks do
not reach, so the pages stayed blank. The assets come from the ``fastapi-offline`` package
and are served under ``/docs-assets``; nothing on either page points outside the service.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
_ASSETS_DIR = files("fastapi_offline") / "static"


def install_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc; the app must be created with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(_ASSETS_DIR)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = "/docs/oauth2-redirect"

    def prefixed(request: Request, path: str) -> str:
        # Behind an ingress path prefix, the browser must ask for the prefixed URL.
        root: str = request.scope.get("root_path", "")
        return root.rstrip("/") + path

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=prefixed(request, openapi_url),
            title=f"{app.title} – Swagger UI",
            oauth2_redirect_url=prefixed(request, oauth2_redirect_url),
            swagger_js_url=prefixed(request, f"{ASSETS_PATH}/swagger-ui-bundle.js"),
            swagger_css_url=prefixed(request, f"{ASSETS_PATH}/swagger-ui.css"),
            swagger_favicon_url=prefixed(request, f"{ASSETS_PATH}/favicon.png"),
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=prefixed(request, openapi_url),
            title=f"{app.title} – ReDoc",
            redoc_js_url=prefixed(request, f"{ASSETS_PATH}/redoc.standalone.js"),
            redoc_favicon_url=prefixed(request, f"{ASSETS_PATH}/favicon.png"),
            with_google_fonts=False,
        )
