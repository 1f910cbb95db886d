"""Prometheus metrics at ``/metrics``: the API's latency, the route servers, the flow collector.

``install(app)`` gives the app a registry of its own (``app.state.metrics``; never the process-
wide default, so several apps in one process, as in the tests, do not share counts), times every
request in a middleware, and, when the app was built with settings, adds the route servers
(``metrics_route_servers``) and the flow collector (``metrics_collector``) of that data dir.

**Access**: ``/metrics`` is public, as Prometheus scrapes it without credentials on an internal
network; so it carries aggregate counts only. No member name, ASN, session name, prefix or
address is ever a label: requests are labelled by route template (``/api/v1/members/{id}``, not
the path asked for), route servers by their label (``BJ-rs1``), the collector by protocol.

Requests are labelled by method, route template and status class (``2xx``...): a path that
matches no route is ``route="unmatched"`` and an unknown method ``method="other"``, so what
clients send cannot grow the number of series.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ixcenter.api.metrics_collector import CollectorMetrics
from ixcenter.api.metrics_route_servers import RouteServerMetrics, count_route_servers
from ixcenter.api.policy import AnyCaller
from ixcenter.telemetry.collector.status import status_path

router = APIRouter(tags=["metrics"])

PATH = "/metrics"
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


@dataclass(frozen=True, slots=True)
class Metrics:
    """One app's metrics: its registry and the request histogram in it."""

    registry: CollectorRegistry
    requests: Histogram

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()  # no auto-describe: registering must not count yet
        requests = Histogram(
            "ixc_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template, "
            "method and status class.",
            labelnames=("method", "route", "status"),
            buckets=BUCKETS_S,
            registry=registry,
        )
        return cls(registry, requests)


def install(app: FastAPI) -> Metrics:
    """Give ``app`` its metrics and time its requests (call once, after ``app.state.live`` is
    set: the route servers and collector of its settings are measured from then on)."""
    metrics = Metrics.create()
    live = getattr(app.state, "live", None)
    if live is not None:
        registry, settings = live.registry, live.settings
        metrics.registry.register(
            RouteServerMetrics(lambda: count_route_servers(registry, settings.route_server_root))
        )
        metrics.registry.register(CollectorMetrics(status_path(settings)))
    app.state.metrics = metrics
    app.add_middleware(RequestTimer, histogram=metrics.requests)
    return metrics


@router.get(
    PATH,
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Exposition text"}},
)
def scrape(request: Request, caller: AnyCaller) -> Response:
    """Aggregate counts in the Prometheus text format: request latency, route servers (up,
    sessions by state, routes accepted and filtered by reason), the flow collector (rates and
    loss). Public: nothing in it names a member."""
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def route_label(scope: Scope, root_path: str = "") -> str:
    """The template of the route that served ``scope``, read after the app has handled it
    (routing writes the matched route, or a mount's prefix, into the scope)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return _include_prefix(scope, root_path, getattr(route, "path_regex", None)) + template
    mounted = str(scope.get("root_path", ""))
    if mounted != root_path and mounted.startswith(root_path):
        return f"{mounted[len(root_path) :]}/{{path}}"  # a mounted app (static files)
    return UNMATCHED


def _include_prefix(scope: Scope, root_path: str, regex: re.Pattern[str] | None) -> str:
    """The prefix the route's router was included under (``/api/v1``): the shortest head of
    the path before a ``/`` whose rest the route matches. A head of the real prefix, so a
    fixed string, never something a client chose."""
    path = str(scope.get("path", ""))
    path = path[len(root_path) :] if root_path and path.startswith(root_path) else path
    if regex is None:
        return ""
    for cut, char in enumerate(path):
        if char == "/" and regex.match(path[cut:]):
            return path[:cut]
    return ""


class RequestTimer:
    """ASGI middleware observing every HTTP request's duration in ``histogram``."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]  # what an exception that escapes the app becomes

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        root_path = str(scope.get("root_path", ""))
        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_label(scope, root_path)
            seconds = time.perf_counter() - started
            self.histogram.labels(method, route, f"{status[0] // 100}xx").observe(seconds)
