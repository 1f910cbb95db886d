"""The overview page's live part: route servers with their sessions and filtered routes, and
each exchange center's traffic over the last hour, drawn as an SVG chart.

Computed from the route servers' control sockets (``routing.looking_glass``) and the flow store
(``telemetry.analytics``) when the page is asked for, and kept for ``TTL_S`` so that reloading
the page does not ask the daemons again each time. Where there is nothing to show (no route
server deployed, no flow store yet, sockets not reachable) the part is simply empty.

The cache holds no words: each filter reason stays a ``Reason`` and is put in words
(``REASON_WORDS``, marked for translation) when a page is rendered, in that visitor's language.
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
from ixcenter.portal.i18n import N_, gettext
from ixcenter.registry.db import Registry
from ixcenter.registry.models import ExchangeCenter
from ixcenter.routing import route_servers
from ixcenter.routing.control.model import DaemonError, RouteSet
from ixcenter.routing.looking_glass import LookingGlass
from ixcenter.routing.policy.reasons import Reason

logger = logging.getLogger(__name__)

TTL_S = 20.0
WIDTH, HEIGHT = 600, 120
MINUTES = 60
FILTERED_SHOWN = 12

# The words of each filter reason for the portal; the English is ``Reason.words`` (the CLI's).
REASON_WORDS: dict[Reason, str] = {
    Reason.PREFIX_TOO_LONG: N_("prefix length too long"),
    Reason.PREFIX_TOO_SHORT: N_("prefix length too short"),
    Reason.BOGON: N_("bogon prefix (special-purpose or the exchange's own LAN)"),
    Reason.BOGON_ASN: N_("private, reserved or documentation ASN in the AS_PATH"),
    Reason.AS_PATH_TOO_LONG: N_("AS_PATH too long"),
    Reason.AS_PATH_TOO_SHORT: N_("AS_PATH too short"),
    Reason.FIRST_AS_NOT_PEER_AS: N_("first AS in the AS_PATH is not the peer's AS"),
    Reason.NEXT_HOP_NOT_PEER_IP: N_("NEXT_HOP is not the peer's address"),
    Reason.IRR_PREFIX: N_("prefix not covered by route objects of the member's AS-SET"),
    Reason.IRR_ORIGIN: N_("origin AS not in the member's AS-SET"),
    Reason.PREFIX_NOT_IN_ORIGIN_AS: N_("prefix not registered for its origin AS"),
    Reason.RPKI_UNKNOWN: N_("RPKI not found"),
    Reason.RPKI_INVALID: N_("RPKI invalid"),
    Reason.TRANSIT_FREE_ASN: N_("transit-free ASN in the AS_PATH"),
    Reason.TOO_MANY_COMMUNITIES: N_("too many communities"),
    Reason.WRONG_ADDRESS_FAMILY: N_("route of the wrong address family for the session"),
}


def reason_words(reasons: tuple[Reason, ...]) -> str:
    """``reasons`` in words, in the language of the page being rendered."""
    # Translators: separates the reasons why one route was filtered.
    separator = gettext(", ")
    return separator.join(gettext(REASON_WORDS[reason]) for reason in reasons)


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
    reasons: tuple[Reason, ...]

    @property
    def words(self) -> str:
        """Why it was filtered, in the current language."""
        return reason_words(self.reasons)


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
                        prefix = str(route.route.prefix)
                        filtered.append(
                            FilteredRoute(server.spec.label, session.name, prefix, route.reasons)
                        )
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
