"""A short way through the server for the looking glass's two busiest public questions.

A public looking glass is asked the same two things all day: which paths hold an address
(``GET /api/v1/looking-glass/prefix/{address}``) and which routes a member sends to a route
server (``GET /api/v1/looking-glass/servers/{server}/members/{member}/routes``). Their answers
are pre-rendered per snapshot and cost microseconds; the framework around them (middleware,
routing through every route of the app, dependency solving, the access guard) cost most of a
millisecond per request, and with 50 requests waiting on one process that became tens of
milliseconds of queueing (``bench/RESULTS.md``, "Looking glass").

``LookingGlassLane`` wraps the app and calls those two route functions itself, with exactly
the arguments the framework would pass, for the requests whose answer cannot depend on
anything else:

* ``GET`` with no query string (the defaults: no server filter; accepted routes, first 100);
* no ``Authorization`` header and no session cookie: the caller is the public, as the access
  guard (``policy.Guard``) would decide, and ``Rule.PUBLIC`` admits it;
* no ``root_path`` (the app is not mounted under a prefix).

Everything else, and every request whose route function raises (a 404, a 503 while the first
snapshot is read, a member named badly), goes to the app unchanged, which answers it as always:
the lane only ever returns the very response the route function returned. Requests it answers
are timed into the app's request histogram (``api.metrics``) under the same labels.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from prometheus_client import Histogram
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ixcenter.api.policy import PUBLIC, SESSION_COOKIE
from ixcenter.api.routes import looking_glass
from ixcenter.routing.lg_snapshot import Snapshot, SnapshotRefresher

API_PREFIX = "/api/v1"  # where create_app includes the looking glass router
FIRST_PAGE = 100  # paths on a member page when the query asks for no other (its ``limit``)
_SEGMENT = "[^/]+"  # what a ``{name}`` path parameter matches (Starlette's ``str`` convertor)

Answer = Callable[[dict[str, str], Request], Awaitable[Response]]


async def _prefix(params: dict[str, str], request: Request) -> Response:
    return await looking_glass.lookup_address(
        address=params["address"], caller=PUBLIC, request=request, server=None
    )


async def _member_page(params: dict[str, str], request: Request) -> Response:
    return await looking_glass.member_routes(
        server=params["server"],
        member=params["member"],
        caller=PUBLIC,
        request=request,
        state="accepted",
        limit=FIRST_PAGE,
        offset=0,
    )


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\{(\w+)\\}", lambda m: f"(?P<{m[1]}>{_SEGMENT})", re.escape(template))
    return re.compile(f"^{pattern}$")


# (route template as the metrics label it, answer)
LANES: tuple[tuple[str, Answer], ...] = (
    (f"{API_PREFIX}{looking_glass.PREFIX}/prefix/{{address}}", _prefix),
    (
        f"{API_PREFIX}{looking_glass.PREFIX}/servers/{{server}}/members/{{member}}/routes",
        _member_page,
    ),
)
_STEM = f"{API_PREFIX}{looking_glass.PREFIX}/"


def anonymous(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when a request's raw headers hold no credentials: no ``Authorization`` and no
    session cookie, read as the guard reads it (another cookie, such as the language, is no
    credential)."""
    for name, value in headers:
        if name == b"authorization":
            return False
        if name == b"cookie" and cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE):
            return False
    return True


class LookingGlassLane:
    """ASGI wrapper answering the lanes' requests itself (see the module docstring)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.lanes = [(template, _template_regex(template), answer) for template, answer in LANES]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._lane(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        template, params, answer = found
        started = time.perf_counter()
        scope["app"] = self.app
        try:
            response = await answer(params, Request(scope, receive))
        except Exception:  # the app answers it as always (problem details, 503, ...)
            await self.app(scope, receive, send)
            return
        status = [response.status_code]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await response(scope, receive, sending)
        finally:
            self._observe(template, status[0], time.perf_counter() - started)

    def _lane(self, scope: Scope) -> tuple[str, dict[str, str], Answer] | None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope.get("query_string")
            or scope.get("root_path")
            or not str(scope.get("path", "")).startswith(_STEM)
            or not anonymous(scope["headers"])
        ):
            return None
        path = scope["path"]
        for template, regex, answer in self.lanes:
            matched = regex.match(path)
            if matched is not None:
                return template, matched.groupdict(), answer
        return None

    def _observe(self, template: str, status: int, seconds: float) -> None:
        metrics = getattr(self.app.state, "metrics", None)
        if metrics is None:
            return
        histogram: Histogram = metrics.requests
        histogram.labels("GET", template, f"{status // 100}xx").observe(seconds)


def render_first_pages(snapshot: Snapshot) -> None:
    """Render the first page of every member's accepted routes on every route server into the
    snapshot's cache, as the member page would on its first request (100 paths of pydantic cost
    milliseconds: with 1,000 members, that was most of the member pages' p99 after a refresh).
    Renderings carried over from the previous snapshot are not done again."""
    for label, state in snapshot.servers.items():
        for asn in sorted({s.peer_asn for s in state.sessions if s.peer_asn is not None}):
            looking_glass.member_page(snapshot, label, (asn,), "accepted", 0, FIRST_PAGE)


def serving_app(app: FastAPI) -> ASGIApp:
    """What ``ixc serve`` hands the HTTP server: ``app`` behind the looking glass's lane, its
    snapshots prepared with ``render_first_pages`` before they are served."""
    refresher = getattr(app.state, "looking_glass", None)
    if isinstance(refresher, SnapshotRefresher):
        refresher.prepare = render_first_pages
    return LookingGlassLane(app)
