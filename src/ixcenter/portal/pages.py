"""The portal's overview page (the environment the pages render with, with the language
helpers ``base.html`` calls: ``portal.templating``)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ixcenter.api.policy import AnyCaller, RegistryDep
from ixcenter.portal.i18n import gettext
from ixcenter.portal.live import LiveCache
from ixcenter.portal.overview import overview
from ixcenter.portal.render import page
from ixcenter.portal.templating import STATIC_DIR, STATIC_PATH, templates

logger = logging.getLogger(__name__)

__all__ = ["STATIC_DIR", "STATIC_PATH", "router", "templates"]


router = APIRouter(tags=["portal"])


@router.get("/", response_class=HTMLResponse, summary="Overview page")
def overview_page(caller: AnyCaller, registry: RegistryDep, request: Request) -> HTMLResponse:
    """Exchange centers with nodes, LANs and member counts, and the long-distance links; the
    route servers and each center's traffic of the last hour when the server knows them."""
    with registry.read() as session:
        data = overview(session)
    cache: LiveCache | None = request.app.state.live
    live = cache.get() if cache is not None else None
    return page(
        request,
        caller,
        "overview.html",
        title=gettext("Exchange overview"),
        overview=data,
        live=live,
        refresh=30 if live is not None and not live.empty else 0,
    )
