"""A client for OpenBGPD through ``bgpctl -s SOCKET -j`` (JSON output), as in OpenBGPD 7.7.

What we learned from ``bgpctl`` 7.7:

- the control socket is named in bgpd.conf (``socket "PATH"``), not on bgpd's command line;
- ``bgpctl`` exits 0 even when bgpd refuses the command; the JSON then says
  ``{"status": "FAILED", "error": "..."}``. ``reload`` prints ``reload request sent.`` before
  the JSON, and ``previous reload still running`` when asked again too soon;
- ``show rib in neighbor X`` is the Adj-RIB-In (before the import filters), ``show rib
  neighbor X`` the Loc-RIB entries from X (accepted), ``show rib out neighbor X`` what is sent
  to X. A filtered route is one in the first and not in the second;
- an Adj-RIB-Out entry (``show rib out``) names the neighbor it is sent to, not the one it
  came from; ``routes(..., EXPORTED)`` names the sender by the route's next hop;
- ``show neighbor X`` for an unknown X prints ``{}``; with no neighbor configured at all,
  ``{"status": "FAILED", "error": "no such neighbor"}``.

Sessions and routes are named after the neighbor's ``descr``, or its address without one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import NotFound, ValidationFailed
from ixcenter.core.prefixes import parse_prefix
from ixcenter.routing.control.model import (
    Address,
    Community,
    DaemonError,
    DaemonStatus,
    LargeCommunity,
    Route,
    RouteSet,
    Session,
    SessionState,
    parse_address,
    parse_as_path,
    received_minus_accepted,
)
from ixcenter.routing.render.openbgpd import FILTERED_RIB

logger = logging.getLogger(__name__)

_BUSY = "previous reload still running"


def _json_of(output: str) -> Any:
    """The JSON document in bgpctl's output (``reload`` prints a line of text before it)."""
    start = output.find("{")
    if start < 0:
        raise DaemonError(f"bgpctl printed no JSON: {output.strip()[:200]!r}")
    try:
        return json.loads(output[start:])
    except ValueError as exc:
        raise DaemonError(f"bgpctl printed unreadable JSON: {exc}") from None


def _failure(document: Any) -> str | None:
    if isinstance(document, dict) and document.get("status") == "FAILED":
        return str(document.get("error", "failed"))
    return None


def peer_name(neighbor: Mapping[str, Any]) -> str:
    """How we name a neighbor: its description, else its address."""
    return str(neighbor.get("description") or neighbor.get("remote_addr") or "")


def parse_neighbors(document: Any, *, now: dt.datetime) -> list[Session]:
    """Sessions from ``bgpctl -j show neighbor`` (or ``show summary``)."""
    if not isinstance(document, dict):
        raise DaemonError("bgpctl neighbor JSON is not an object")
    if (error := _failure(document)) is not None:
        if error == "no such neighbor":
            return []
        raise DaemonError(f"bgpctl show neighbor: {error}")
    sessions = []
    for neighbor in document.get("neighbors", []):
        stats = neighbor.get("stats", {})
        prefixes = stats.get("prefixes", {}) if isinstance(stats, dict) else {}
        seconds = neighbor.get("last_updown_sec")
        since = None
        if isinstance(seconds, int) and seconds >= 0:
            since = (now - dt.timedelta(seconds=seconds)).replace(microsecond=0)
        asn = str(neighbor.get("remote_as", ""))
        sessions.append(
            Session(
                name=peer_name(neighbor),
                peer_asn=int(asn) if asn.isdigit() else None,
                address=parse_address(str(neighbor.get("remote_addr", ""))),
                state=SessionState.parse(str(neighbor.get("state", ""))),
                since=since,
                info=_last_error(neighbor),
                description=str(neighbor.get("description", "")),
                routes_received=prefixes.get("received"),
                routes_exported=prefixes.get("sent"),
            )
        )
    return sessions


def _last_error(neighbor: dict[str, Any]) -> str:
    """Why a session is not up, as bgpctl tells it (the NOTIFICATION last received or sent,
    e.g. ``Cease, received max-prefix exceeded``); the state when it is up or never failed."""
    state = str(neighbor.get("state", ""))
    if SessionState.parse(state) is SessionState.ESTABLISHED:
        return state
    error = neighbor.get("last_error_received") or neighbor.get("last_error_sent")
    return str(error) if error else state


def parse_rib(document: Any, *, filtered: bool = False) -> list[Route]:
    """Routes from ``bgpctl -j show rib ... detail``."""
    if not isinstance(document, dict):
        raise DaemonError("bgpctl rib JSON is not an object")
    if (error := _failure(document)) is not None:
        raise DaemonError(f"bgpctl show rib: {error}")
    routes = []
    for entry in document.get("rib", []):
        try:
            prefix = parse_prefix(str(entry.get("prefix")))
        except ValidationFailed as exc:
            raise DaemonError(f"bgpctl route {entry.get('prefix')!r}: {exc}") from None
        attributes = tuple(
            (key, str(value)) for key, value in entry.items() if not isinstance(value, dict | list)
        )  # the neighbor and the communities have fields of their own
        metric = entry.get("metric")
        routes.append(
            Route(
                prefix=prefix,
                from_peer=peer_name(entry.get("neighbor", {})),
                as_path=parse_as_path(str(entry.get("aspath", ""))),
                next_hop=_address(str(entry.get("exit_nexthop", ""))),
                communities=tuple(_community(c) for c in entry.get("communities", [])),
                large_communities=tuple(_large(c) for c in entry.get("large_communities", [])),
                best=bool(entry.get("best")) and not filtered,
                filtered=filtered,
                local_pref=entry.get("localpref"),
                med=metric if isinstance(metric, int) else None,
                origin=entry.get("origin"),
                attributes=attributes,
            )
        )
    return routes


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    return parse_address(text)  # next hops repeat: parsed once each


def _numbers(text: object, count: int) -> tuple[int, ...]:
    parts = str(text).split(":")
    if len(parts) != count or not all(part.isdigit() for part in parts):
        raise DaemonError(f"bgpctl community not understood: {text!r}")
    return tuple(map(int, parts))


# bgpctl 7.7 prints these RFC 1997/7999/8326/3765 communities by name, not as numbers
_NAMED: dict[str, Community] = {
    "GRACEFUL_SHUTDOWN": (65535, 0),
    "BLACKHOLE": (65535, 666),
    "NO_EXPORT": (65535, 65281),
    "NO_ADVERTISE": (65535, 65282),
    "NO_EXPORT_SUBCONFED": (65535, 65283),
    "NO_PEER": (65535, 65284),
}


def _community(text: object) -> Community:
    named = _NAMED.get(str(text))
    if named is not None:
        return named
    first, second = _numbers(text, 2)
    return first, second


def _large(text: object) -> LargeCommunity:
    first, second, third = _numbers(text, 3)
    return first, second, third


class BgpctlClient:
    """Questions and orders for one bgpd, through ``bgpctl -s socket``."""

    def __init__(
        self,
        socket: Path | str,
        *,
        bgpctl: str = "bgpctl",
        timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        self.socket = Path(socket)
        self.bgpctl = bgpctl
        self.timeout = timeout
        self.clock = clock or SystemClock()

    def run(self, args: Sequence[str]) -> Any:
        """``bgpctl -s SOCKET -j ARGS`` as decoded JSON; a failed run raises ``DaemonError``."""
        command = [self.bgpctl, "-s", str(self.socket), "-j", *args]
        try:
            done = subprocess.run(  # noqa: S603 - argv built here, never a shell
                command, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DaemonError(f"{' '.join(command)}: {exc}") from None
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip()
            raise DaemonError(f"bgpctl {' '.join(args)}: {message}", code=done.returncode)
        return _json_of(done.stdout)

    def status(self) -> DaemonStatus:
        """Running if bgpd answers on its socket."""
        try:
            self.run(["show", "summary"])
        except DaemonError as exc:
            return DaemonStatus("openbgpd", "", False, str(exc))
        return DaemonStatus("openbgpd", "", True, "answering")

    def sessions(self) -> list[Session]:
        return parse_neighbors(self.run(["show", "neighbor"]), now=self.clock.now())

    def session(self, name: str) -> Session:
        found = parse_neighbors(self.run(["show", "neighbor", name]), now=self.clock.now())
        if not found:
            raise NotFound(f"OpenBGPD has no neighbor {name}")
        return found[0]

    def routes(self, peer: str, which: RouteSet = RouteSet.ACCEPTED) -> list[Route]:
        """Routes of neighbor ``peer`` (description or address)."""
        if which is RouteSet.FILTERED:
            # rs2 keeps what its import policy filtered, with the reason tags, in a RIB of its
            # own (render/openbgpd.py); a config without that RIB: received minus accepted
            try:
                args = ["show", "rib", "table", FILTERED_RIB, "neighbor", peer, "detail"]
                kept = parse_rib(self.run(args))
            except DaemonError:
                received = self.routes(peer, RouteSet.RECEIVED)
                return received_minus_accepted(received, self.routes(peer, RouteSet.ACCEPTED))
            return [dataclasses.replace(r, filtered=True) for r in kept]
        options = {RouteSet.RECEIVED: ["in"], RouteSet.ACCEPTED: [], RouteSet.EXPORTED: ["out"]}
        args = ["show", "rib", *options[which], "neighbor", peer, "detail"]
        routes = parse_rib(self.run(args))
        if which is RouteSet.EXPORTED:
            routes = self._origins(routes)
        return routes

    def _origins(self, routes: list[Route]) -> list[Route]:
        """Adj-RIB-Out entries name the receiving neighbor; name the sender instead, found by
        the next hop a transparent route server keeps (empty if no neighbor has it)."""
        names = {s.address: s.name for s in self.sessions() if s.address is not None}
        return [
            dataclasses.replace(r, from_peer=names.get(r.next_hop, "") if r.next_hop else "")
            for r in routes
        ]

    def reload(self, *, reason: str = "ixcenter", wait: float = 10.0) -> None:
        """Have bgpd re-read its config file; raises ``DaemonError`` if it refuses the file."""
        deadline = time.monotonic() + wait
        while True:
            error = _failure(self.run(["reload", reason]))
            if error is None:
                logger.info("OpenBGPD %s: reloaded", self.socket)
                return
            if error != _BUSY or time.monotonic() >= deadline:
                raise DaemonError(f"OpenBGPD {self.socket} reload: {error}")
            time.sleep(0.2)
