"""Interactive API docs (Swagger UI) served from a package, so nothing is fetched at run time.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN; this module serves the copy of Swagger
UI that the ``fastapi-offline`` package ships, under ``/docs/assets``, and ``/docs`` points at it.
When that package is missing, ``/docs`` is not served at all (``/openapi.json`` always is).
"""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ixcenter.api.policy import AnyCaller

logger = logging.getLogger(__name__)

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def assets_dir() -> Path | None:
    """The folder holding ``swagger-ui-bundle.js`` and ``swagger-ui.css``, if installed."""
    try:
        folder = Path(str(importlib.resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    if (folder / "swagger-ui-bundle.js").is_file() and (folder / "swagger-ui.css").is_file():
        return folder
    return None


def install(app: FastAPI) -> bool:
    """Serve ``/docs`` from packaged assets; returns False (and serves nothing) without them."""
    folder = assets_dir()
    if folder is None:
        logger.warning("Swagger UI assets not installed: /docs is off, /openapi.json is on")
        return False
    app.mount(ASSETS_PATH, StaticFiles(directory=folder), name="docs-assets")
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(caller: AnyCaller) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    return True
