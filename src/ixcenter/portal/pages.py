"""The portal's pages: Jinja2 templates from the package, rendered with ``StrictUndefined``."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ixcenter.api.policy import AnyCaller, RegistryDep
from ixcenter.portal.live import LiveCache
from ixcenter.portal.overview import overview

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"

templates = Environment(
    loader=PackageLoader("ixcenter.portal", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

router = APIRouter(tags=["portal"])


@router.get("/", response_class=HTMLResponse, summary="Overview page")
def overview_page(caller: AnyCaller, registry: RegistryDep, request: Request) -> HTMLResponse:
    """Exchange centers with nodes, LANs and member counts, and the long-distance links; the
    route servers and each center's traffic of the last hour when the server knows them."""
    with registry.read() as session:
        data = overview(session)
    cache: LiveCache | None = request.app.state.live
    live = cache.get() if cache is not None else None
    page = templates.get_template("overview.html").render(
        overview=data,
        live=live,
        refresh=30 if live is not None and not live.empty else 0,
        static=STATIC_PATH,
        title="Exchange overview",
    )
    return HTMLResponse(page)
