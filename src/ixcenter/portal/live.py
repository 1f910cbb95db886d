"""The overview page's live part: route servers with their sessions and filtered routes, and
each exchange center's traffic over the last hour, drawn as an SVG chart.

Computed from the route servers' control sockets (``routing.looking_glass``) and the flow store
(``telemetry.analytics``) when the page is asked for, and kept for ``TTL_S`` so that reloading
the page does not ask the daemons again each time. Where there is nothing to show (no route
server deployed, no flow store yet, sockets not reachable) the part is simply empty.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from ixcenter.config import Settings
from ixcenter.core.errors import IxcError
from ixcenter.registry.db import Registry
from ixcenter.registry.models import ExchangeCenter
from ixcenter.routing import route_servers
from ixcenter.routing.control.model import DaemonError, RouteSet
from ixcenter.routing.looking_glass import LookingGlass

logger = logging.getLogger(__name__)

TTL_S = 20.0
WIDTH, HEIGHT = 600, 120
MINUTES = 60
FILTERED_SHOWN = 12


@dataclass(frozen=True, slots=True)
class ServerRow:
    label: str
    daemon: str
    running: bool
    established: int
    sessions: int
    filtered: int


@dataclass(frozen=True, slots=True)
class FilteredRoute:
    server: str
    session: str
    prefix: str
    reasons: str


@dataclass(frozen=True, slots=True)
class Chart:
    """One center's traffic: an SVG polyline of bits per second, minute by minute."""

    center: str
    points: str  # "x,y x,y ..." in a WIDTH x HEIGHT box
    peak_bps: float
    last_bps: float


@dataclass(frozen=True, slots=True)
class Live:
    servers: tuple[ServerRow, ...]
    filtered: tuple[FilteredRoute, ...]
    charts: tuple[Chart, ...]
    at: dt.datetime

    @property
    def empty(self) -> bool:
        return not self.servers and not self.charts


class LiveCache:
    """``Live`` of the registry and settings, recomputed at most every ``TTL_S`` seconds."""

    def __init__(self, registry: Registry, settings: Settings) -> None:
        self.registry = registry
        self.settings = settings
        self._lock = threading.Lock()
        self._value: Live | None = None
        self._at = 0.0

    def get(self) -> Live:
        with self._lock:
            if self._value is None or time.monotonic() - self._at > TTL_S:
                self._value = live(self.registry, self.settings)
                self._at = time.monotonic()
            return self._value


def live(registry: Registry, settings: Settings) -> Live:
    servers, filtered = _route_servers(registry, settings)
    return Live(tuple(servers), tuple(filtered), tuple(_charts(registry, settings)),
                dt.datetime.now(dt.UTC))  # fmt: skip


def _route_servers(
    registry: Registry, settings: Settings
) -> tuple[list[ServerRow], list[FilteredRoute]]:
    root = settings.route_server_root
    rows: list[ServerRow] = []
    filtered: list[FilteredRoute] = []
    if not root.is_dir():
        return rows, filtered
    try:
        found = route_servers.status(registry, root)
    except IxcError as exc:
        logger.info("portal: no route-server status: %s", exc)
        return rows, filtered
    for server in found:
        if server.deployed_version is None:
            continue
        count = 0
        if server.running:
            try:
                glass = LookingGlass.for_server(root, server.spec.label)
                for session in server.sessions:
                    for route in glass.routes(session.name, RouteSet.FILTERED):
                        count += 1
                        words = ", ".join(reason.words for reason in route.reasons)
                        filtered.append(FilteredRoute(server.spec.label, session.name,
                                                      str(route.route.prefix), words))  # fmt: skip
            except (IxcError, DaemonError) as exc:
                logger.info("portal: %s: %s", server.spec.label, exc)
        rows.append(
            ServerRow(
                server.spec.label,
                server.spec.kind.value,
                server.running,
                sum(1 for s in server.sessions if s.established),
                len(server.sessions),
                count,
            )
        )
    return rows, filtered[:FILTERED_SHOWN]


def _charts(registry: Registry, settings: Settings) -> list[Chart]:
    from ixcenter.telemetry.analytics.results import SubjectKind
    from ixcenter.telemetry.analytics.series import series
    from ixcenter.telemetry.analytics.window import Window
    from ixcenter.telemetry.store import open_reader

    if not (settings.flow_store_path / "manifest.json").exists():
        return []
    with registry.read() as session:
        centers = session.execute(
            select(ExchangeCenter.id, ExchangeCenter.code).order_by(ExchangeCenter.code)
        ).all()
    # up to the end of the current minute: a lab up for seconds already draws its first point
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    window = Window(end - dt.timedelta(minutes=MINUTES), end)
    charts = []
    try:
        with open_reader(settings) as reader:
            for center_id, code in centers:
                points = series(reader, SubjectKind.CENTER, center_id, window, 60).points
                rates = [p.sent_bps for p in points]
                if any(rates):
                    charts.append(Chart(code, polyline(rates), max(rates), rates[-1]))
    except IxcError as exc:
        logger.info("portal: no traffic charts: %s", exc)
        return []
    return charts


def polyline(values: list[float], width: int = WIDTH, height: int = HEIGHT) -> str:
    """SVG polyline points for ``values`` left to right, the largest at the top."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{n * step:.1f},{height - value / top * (height - 4) - 2:.1f}"
        for n, value in enumerate(values)
    )
