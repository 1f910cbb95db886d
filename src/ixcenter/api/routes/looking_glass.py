"""The looking glass API: route servers' sessions and routes, prefix look-ups, searches.

Every answer comes from the snapshot ``routing.lg_snapshot`` keeps in memory (read from the
daemons in the background, see there), never from a daemon's socket during the request; each
answer says when its data was read (``read_at``).

Access (decided by ``api.looking_glass_access``, which the portal's pages share):

* What a public IXP looking glass shows is public: route servers, sessions with their state,
  uptime and accepted-route counts, and every **accepted** path with its attributes and decoded
  communities. These routes are ``Rule.PUBLIC``.
* A member's **filtered** paths and the reasons they were filtered tell about that member's
  mistakes and its IRR/RPKI data; they are visible only to that member, the operator and the
  supervisor, as ``Rule.READ`` would decide: the public gets 401, another member 404 with the
  same message whether the member and its routes exist or not (so a token learns nothing about
  other members), staff everything. Routes serving both kinds declare ``Rule.PUBLIC`` and apply
  that decision to the filtered part: ``state=filtered`` is refused as above; prefix look-ups and
  searches leave out the filtered paths the caller may not see (a prefix held only by such
  paths does not match: the look-up goes on to shorter prefixes), and session lists show the
  filtered count as ``null``.

Members are named ``AS<number>`` (an ASN, registered or not) or by their member id (a number).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response

from ixcenter.api.looking_glass_access import (
    check_filtered,
    member_of,
    snapshot_of,
    view_for,
    view_of,
)
from ixcenter.api.paging import Limit, Offset
from ixcenter.api.policy import AnyCaller, Caller, RegistryDep
from ixcenter.api.schemas.looking_glass import (
    PathOut,
    PrefixMatchOut,
    RoutesPage,
    SearchOut,
    ServerOut,
    SessionOut,
)
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.config import Settings
from ixcenter.core.errors import NotFound, Problem, ValidationFailed
from ixcenter.routing.lg_index import LgPath, parse_community
from ixcenter.routing.lg_snapshot import (
    DEFAULT_INTERVAL_S,
    ServerReader,
    Snapshot,
    SnapshotRefresher,
    discover,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["looking glass"], responses=ERRORS)

PREFIX = "/looking-glass"


def refresher_for(
    settings: Settings,
    *,
    readers: Sequence[ServerReader] | None = None,
    interval: float = DEFAULT_INTERVAL_S,
) -> SnapshotRefresher:
    """A refresher (not started) over the route servers of ``settings`` (or ``readers``)."""
    root = settings.route_server_root
    source = (lambda: list(readers)) if readers is not None else (lambda: discover(root))
    return SnapshotRefresher(source, interval=interval)


def install(
    app: FastAPI,
    settings: Settings,
    *,
    readers: Sequence[ServerReader] | None = None,
    interval: float = DEFAULT_INTERVAL_S,
    start: bool = True,
) -> SnapshotRefresher:
    """Give ``app`` a looking glass over the route servers of ``settings`` (or ``readers``),
    refreshed in the background every ``interval`` seconds (``start=False``: call
    ``refresh()`` yourself)."""
    refresher = refresher_for(settings, readers=readers, interval=interval)
    app.state.looking_glass = refresher
    if start:
        refresher.start()
    return refresher


def _rs_asn(snapshot: Snapshot, server: str) -> int:
    state = snapshot.servers.get(server)
    return state.rs_asn if state else 0


def _paths_json(snapshot: Snapshot, paths: Iterable[LgPath]) -> bytes:
    """The JSON array of ``paths`` as ``PathOut``; each path is rendered once per snapshot
    (a member page of 100 paths would otherwise cost milliseconds of pydantic per request)."""
    rendered = snapshot.rendered
    parts = []
    for path in paths:
        text = rendered.get(id(path))
        if text is None:
            text = PathOut.of(path, _rs_asn(snapshot, path.server)).model_dump_json().encode()
            rendered[id(path)] = text
        parts.append(text)
    return b"[" + b",".join(parts) + b"]"


def _answer(fields: Mapping[str, object], paths: bytes) -> Response:
    """A JSON object of ``fields`` and the pre-rendered ``paths`` (the response model of the
    route documents its shape; it is not validated again)."""
    head = json.dumps(fields, default=_default, separators=(",", ":")).encode()
    return Response(head[:-1] + b',"paths":' + paths + b"}", media_type="application/json")


def _default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _read_at(snapshot: Snapshot, paths: Sequence[LgPath]) -> dt.datetime | None:
    times = [snapshot.servers[p.server].read_at for p in paths if p.server in snapshot.servers]
    known = [t for t in times if t is not None]
    return min(known) if known else snapshot.built_at


@router.get(f"{PREFIX}/servers", response_model=list[ServerOut])
def list_servers(caller: AnyCaller, registry: RegistryDep, request: Request) -> list[ServerOut]:
    """Every route server with its sessions: state, uptime, route counts."""
    snapshot = snapshot_of(request)
    view = view_of(caller, registry)
    now = dt.datetime.now(dt.UTC)
    return [
        ServerOut(
            name=state.label,
            daemon=state.daemon,
            rs_asn=state.rs_asn,
            read_at=state.read_at,
            error=state.error,
            paths=state.paths,
            sessions=[
                SessionOut.of(
                    s,
                    snapshot.index.counts(state.label, s.name),
                    now,
                    filtered_visible=view.sees_filtered_of(s.peer_asn),
                )
                for s in state.sessions
            ],
        )
        for state in snapshot.servers.values()
    ]


@router.get(f"{PREFIX}/servers/{{server}}/members/{{member}}/routes", response_model=RoutesPage)
async def member_routes(
    server: str,
    member: str,
    caller: AnyCaller,
    request: Request,
    state: Literal["accepted", "filtered"] = "accepted",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The paths a member sent to one route server: accepted (public) or filtered, with the
    reasons in words (the member itself and the staff only)."""
    asns, owner = await member_of(request, member, owner=state == "filtered")
    if state == "filtered":
        check_filtered(caller, owner, f"filtered routes of {member} on {server}")
    snapshot = snapshot_of(request)
    if server not in snapshot.servers:
        raise NotFound(f"no route server {server!r}")
    total, paths = member_page(snapshot, server, asns, state, offset, limit)
    fields = {
        "server": server,
        "asns": sorted(asns),
        "state": state,
        "read_at": snapshot.servers[server].read_at,
        "total": total,
    }
    return _answer(fields, paths)


PAGES_KEPT = 20_000  # member pages kept rendered per snapshot (the first of each, and more)


def member_page(
    snapshot: Snapshot, server: str, asns: Iterable[int], state: str, offset: int, limit: int
) -> tuple[int, bytes]:
    """How many paths of ``state`` the member's sessions sent to ``server``, and the JSON of
    the ``limit`` from ``offset``. Kept in ``snapshot.pages``: an answer from there touches
    none of the paths (a worker of ``ixc serve`` shares them with the process that read them,
    page by memory page, until it touches them)."""
    key = (server, tuple(sorted(set(asns))), state, offset, limit)
    found = snapshot.pages.get(key)
    if found is None:
        wanted = state == "accepted"
        paths = [p for p in snapshot.index.member(server, key[1]) if p.accepted is wanted]
        found = len(paths), _paths_json(snapshot, paths[offset : offset + limit])
        if len(snapshot.pages) < PAGES_KEPT:
            snapshot.pages[key] = found
    return found


ServerFilter = Annotated[str | None, Query(description="only this route server")]


@router.get(f"{PREFIX}/prefix/{{address}}", response_model=PrefixMatchOut)
async def lookup_address(
    address: str,
    caller: AnyCaller,
    request: Request,
    server: ServerFilter = None,
) -> Response:
    """The longest prefix holding an address, every path to it."""
    return await _lookup(address, caller, request, server)


@router.get(f"{PREFIX}/prefix/{{address}}/{{length}}", response_model=PrefixMatchOut)
async def lookup_prefix(
    address: str,
    length: int,
    caller: AnyCaller,
    request: Request,
    server: ServerFilter = None,
) -> Response:
    """The longest prefix equal to or covering a prefix, every path to it."""
    return await _lookup(f"{address}/{length}", caller, request, server)


async def _lookup(query: str, caller: Caller, request: Request, server: str | None) -> Response:
    snapshot = snapshot_of(request)
    view = await view_for(caller, request)

    def visible(path: LgPath) -> bool:
        return (server is None or path.server == server) and view.sees(path)

    match = snapshot.index.longest_match(query, visible)
    if match is None:
        raise NotFound(f"no route to {query} on the route servers")
    fields = {
        "query": match.query,
        "prefix": str(match.prefix),
        "read_at": _read_at(snapshot, match.paths),
    }
    return _answer(fields, _paths_json(snapshot, match.paths))


@router.get(f"{PREFIX}/search", response_model=SearchOut)
async def search(
    caller: AnyCaller,
    request: Request,
    asn: Annotated[int | None, Query(ge=0, le=2**32 - 1, description="in the AS_PATH")] = None,
    origin: Annotated[int | None, Query(ge=0, le=2**32 - 1, description="origin AS")] = None,
    community: Annotated[str | None, Query(description="a:b or a:b:c")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Paths by an AS in their AS_PATH, by origin AS, or by community (exactly one of them)."""
    given = [v for v in (asn, origin, community) if v is not None]
    if len(given) != 1:
        raise ValidationFailed(
            [Problem("query", "give exactly one of asn, origin, community", "one-of")]
        )
    snapshot = snapshot_of(request)
    view = await view_for(caller, request)
    if asn is not None:
        found, query = snapshot.index.by_path_asn(asn), f"asn={asn}"
    elif origin is not None:
        found, query = snapshot.index.by_origin(origin), f"origin={origin}"
    else:
        wanted = parse_community(str(community))
        found, query = snapshot.index.by_community(wanted), f"community={community}"
    paths = found if view.everything else [p for p in found if view.sees(p)]
    page = paths[offset : offset + limit]
    fields = {"query": query, "read_at": _read_at(snapshot, page), "total": len(paths)}
    return _answer(fields, _paths_json(snapshot, page))
