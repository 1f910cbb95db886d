"""The operator views: the exchange map, the peering matrix, the health of the route servers and
the collector, and the audit log. Operator and supervisor only (``Rule.STAFF``: the public gets
401, a member 403).

Each page computes its values in a module of its own (``exchange_map``, ``peering_matrix``,
``health``, ``audit_log``) and the template only prints them. Route servers are read from the
looking glass's snapshot, traffic from the flow store of the app's data directory; an app
without one (no settings) shows the pages without traffic and says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ixcenter.api.looking_glass_access import current_snapshot
from ixcenter.api.policy import RegistryDep, Staff
from ixcenter.config import Settings
from ixcenter.core.clock import Clock
from ixcenter.portal import audit_log, health
from ixcenter.portal.charts import rate_text
from ixcenter.portal.exchange_map import exchange_map, percent_text
from ixcenter.portal.i18n import gettext as _
from ixcenter.portal.peering_matrix import members, peering_matrix
from ixcenter.portal.render import page
from ixcenter.routing.lg_snapshot import EMPTY

router = APIRouter(tags=["portal"])

Period = Annotated[str, Query(pattern="^(day|week)$")]


def _settings(request: Request) -> Settings | None:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings


def _snapshot_clock(request: Request, fallback: Clock) -> Clock:
    """The clock that stamped the snapshot's read times (ages are measured against it)."""
    refresher = getattr(request.app.state, "looking_glass", None)
    clock: Clock = getattr(refresher, "clock", fallback)
    return clock


def age_text(seconds: float | None) -> str:
    """``75`` -> ``1 min 15 s``; ``None`` -> ``–`` (numbers and units only)."""
    if seconds is None:
        return "–"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def time_text(at: dt.datetime | None) -> str:
    return "–" if at is None else at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@router.get("/ops/map", response_class=HTMLResponse, summary="Exchange map page")
def map_page(caller: Staff, registry: RegistryDep, request: Request) -> HTMLResponse:
    """The centers and long-distance links, with the last hour's traffic on each link."""
    with registry.read() as session:
        drawn = exchange_map(session, _settings(request), registry.clock.now())
    return page(
        request,
        caller,
        "ops_map.html",
        title=_("Exchange map"),
        private=True,
        map=drawn,
        rate_text=rate_text,
        percent_text=percent_text,
        time_text=time_text,
    )


@router.get("/ops/peering", response_class=HTMLResponse, summary="Peering matrix page")
def peering_page(
    caller: Staff, registry: RegistryDep, request: Request, period: Period = "day"
) -> HTMLResponse:
    """Which members' routes reach which through the route servers, and their traffic."""
    snapshot = current_snapshot(request)
    with registry.read() as session:
        everyone = members(session)
    now = registry.clock.now()
    matrix = peering_matrix(everyone, snapshot or EMPTY, _settings(request), period, now)
    return page(
        request,
        caller,
        "ops_peering.html",
        title=_("Peering matrix"),
        private=True,
        matrix=matrix,
        period=period,
        reading=snapshot is None,
        rate_text=rate_text,
        time_text=time_text,
    )


@router.get("/ops/health", response_class=HTMLResponse, summary="Route server and collector health")
def health_page(caller: Staff, registry: RegistryDep, request: Request) -> HTMLResponse:
    """Each route server as last read, and the flow collector."""
    snapshot = current_snapshot(request)
    servers: tuple[health.ServerHealth, ...] = ()
    if snapshot is not None:
        now = _snapshot_clock(request, registry.clock).now()
        servers = health.route_servers(snapshot, now)
    settings = _settings(request)
    collector = None if settings is None else health.collector(settings, registry.clock.now())
    return page(
        request,
        caller,
        "ops_health.html",
        title=_("Route servers and collector"),
        private=True,
        servers=servers,
        reading=snapshot is None,
        collector=collector,
        loss_words=health.LOSS_WORDS,
        age_text=age_text,
        time_text=time_text,
    )


@router.get("/ops/audit", response_class=HTMLResponse, summary="Audit log page")
def audit_page(
    caller: Staff,
    registry: RegistryDep,
    request: Request,
    actor: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    """The audit log, newest first, a page at a time, by actor and kind of object."""
    actor, kind = actor.strip(), kind.strip()
    with registry.read() as session:
        found = audit_log.audit_page(session, actor or None, kind or None, offset)
    size = audit_log.PAGE_SIZE

    def link(to: int) -> str:
        query = {k: v for k, v in (("actor", actor), ("kind", kind)) if v}
        if to:
            query["offset"] = str(to)
        return "?" + urlencode(query) if query else "?"

    return page(
        request,
        caller,
        "ops_audit.html",
        title=_("Audit log"),
        private=True,
        log=found,
        actor=actor,
        kind=kind,
        newer=link(max(offset - size, 0)) if offset else None,
        older=link(offset + size) if found.more else None,
        first=offset + 1,
        last=offset + len(found.entries),
        time_text=time_text,
    )
