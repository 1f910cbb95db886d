"""Route-server metrics: is each daemon up, its BGP sessions by state, its routes by filter reason.

Read the way the overview page and ``ixc rs status`` read them: ``route_servers.status`` for the
daemons and their sessions, ``LookingGlass`` for each session's accepted and filtered routes (with
the ``RS:1101:<reason>`` tags turned back into reasons). Only counts per route server leave this
module: session names, peer ASNs and prefixes belong to members and are never labels.

Asking the daemons for every session's routes takes time on a large exchange, so the counts are
taken in a thread of their own at most every ``ttl`` seconds; a scrape waits up to ``wait``
seconds for a fresh count and otherwise answers with the last one (its age is a metric too), so
a slow or hung daemon never holds a scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ixcenter.core.errors import IxcError
from ixcenter.registry.db import Registry
from ixcenter.routing import route_servers
from ixcenter.routing.control.model import DaemonError, RouteSet, SessionState
from ixcenter.routing.looking_glass import ExplainedRoute, LookingGlass

logger = logging.getLogger(__name__)

TTL_S = 15.0
WAIT_S = 2.0
UNKNOWN_REASON = "unknown"  # filtered, but by a reason code this version does not know

StatusReader = Callable[[Registry, Path], Sequence[route_servers.ServerStatus]]
GlassFactory = Callable[[Path, str], LookingGlass]


@dataclass(frozen=True, slots=True)
class ServerCounts:
    """One deployed route server, counted."""

    server: str  # the route server's label, e.g. BJ-rs1
    daemon: str  # bird, openbgpd
    up: bool  # running and answering on its control socket
    sessions: tuple[tuple[str, int], ...]  # (state, sessions in it), every state
    routes: tuple[tuple[str, str, int], ...]  # (accepted|filtered, reason, routes)


def reason_label(route: ExplainedRoute) -> str:
    """The ``reason`` label of a route: empty when accepted, else every reason it was filtered
    for, in code order, joined by ``+`` (each route counts once, so sums over reasons hold)."""
    if route.accepted and not route.route.filtered:
        return ""
    return "+".join(reason.name.lower() for reason in route.reasons) or UNKNOWN_REASON


def count_route_servers(
    registry: Registry,
    root: Path,
    *,
    read_status: StatusReader = route_servers.status,
    glass_for: GlassFactory = LookingGlass.for_server,
) -> tuple[ServerCounts, ...]:
    """Counts of every deployed route server under ``root`` (none when nothing is deployed)."""
    if not root.is_dir():
        return ()
    counted = []
    for server in read_status(registry, root):
        if server.deployed_version is None:
            continue  # built, never deployed: nothing runs, nothing is missed
        up = server.running and server.problem is None
        routes: Counter[tuple[str, str]] = Counter()
        if up:
            try:
                glass = glass_for(root, server.spec.label)
                for session in server.sessions:
                    for which in (RouteSet.ACCEPTED, RouteSet.FILTERED):
                        for route in glass.routes(session.name, which):
                            routes[(which.value, reason_label(route))] += 1
            except (IxcError, DaemonError, OSError) as exc:
                logger.info("metrics: %s: routes not read: %s", server.spec.label, exc)
                up = False
                routes.clear()
        states = Counter(session.state for session in server.sessions)
        counted.append(
            ServerCounts(
                server.spec.label,
                server.spec.kind.value,
                up,
                tuple((state.value, states[state]) for state in SessionState),
                tuple((state, reason, n) for (state, reason), n in sorted(routes.items())),
            )
        )
    return tuple(counted)


class RouteServerMetrics(Collector):
    """The ``ixc_route_server_*``, ``ixc_bgp_sessions`` and ``ixc_routes`` families, from counts
    that ``source`` takes, kept ``ttl`` seconds and refreshed off the scrape's thread."""

    def __init__(
        self,
        source: Callable[[], tuple[ServerCounts, ...]],
        *,
        ttl: float = TTL_S,
        wait: float = WAIT_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self.ttl = ttl
        self.wait = wait
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: tuple[ServerCounts, ...] | None = None
        self._at = 0.0
        self._refreshing: threading.Thread | None = None

    def counts(self) -> tuple[tuple[ServerCounts, ...], float] | None:
        """The latest counts and their age in seconds; None until the first count is done."""
        with self._lock:
            stale = self._value is None or self._monotonic() - self._at > self.ttl
            if stale and self._refreshing is None:
                self._refreshing = threading.Thread(
                    target=self._refresh, name="metrics-route-servers", daemon=True
                )
                self._refreshing.start()
            refreshing = self._refreshing
        if refreshing is not None:
            refreshing.join(self.wait)
        with self._lock:
            if self._value is None:
                return None
            return self._value, max(0.0, self._monotonic() - self._at)

    def _refresh(self) -> None:
        try:
            value = self._source()
        except Exception:  # a scrape must never fail: log it, keep the last counts
            logger.exception("metrics: route servers not counted")
            value = None
        with self._lock:
            if value is not None:
                self._value = value
            self._at = self._monotonic()
            self._refreshing = None

    def collect(self) -> Iterator[Metric]:
        found = self.counts()
        if found is None:
            return
        servers, age = found
        up = GaugeMetricFamily(
            "ixc_route_server_up",
            "1 when the route server's daemon runs and answers on its control socket, else 0.",
            labels=["server", "daemon"],
        )
        sessions = GaugeMetricFamily(
            "ixc_bgp_sessions", "BGP sessions of the route server by state.",
            labels=["server", "state"],
        )  # fmt: skip
        routes = GaugeMetricFamily(
            "ixc_routes",
            "Routes the route server holds from its clients: accepted (reason empty) or "
            "filtered, by every reason the route was tagged with (RS:1101:x, joined by +).",
            labels=["server", "state", "reason"],
        )
        for server in servers:
            up.add_metric([server.server, server.daemon], 1.0 if server.up else 0.0)
            for state, count in server.sessions:
                sessions.add_metric([server.server, state], float(count))
            for which, reason, count in server.routes:
                routes.add_metric([server.server, which, reason], float(count))
        age_family = GaugeMetricFamily(
            "ixc_route_server_metrics_age_seconds",
            "How old the route-server counts of this scrape are.",
            value=age,
        )
        yield from (up, sessions, routes, age_family)
