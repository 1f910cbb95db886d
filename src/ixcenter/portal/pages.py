"""The portal's pages: Jinja2 templates from the package, rendered with ``StrictUndefined``."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ixcenter.api.policy import AnyCaller, RegistryDep
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
def overview_page(caller: AnyCaller, registry: RegistryDep) -> HTMLResponse:
    """Exchange centers with nodes, LANs and member counts, and the long-distance links."""
    with registry.read() as session:
        data = overview(session)
    page = templates.get_template("overview.html").render(
        overview=data, static=STATIC_PATH, title="Exchange overview"
    )
    return HTMLResponse(page)
