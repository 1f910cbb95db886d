"""The looking glass's snapshot: every route server's sessions and paths, read in the background.

Reading a table of 500,000 routes from a daemon's control socket takes tens of seconds
(``bench/RESULTS.md``, "Reading routes from the route servers"), far too slow per request. So a
``SnapshotRefresher`` reads each route server whole every ``interval`` seconds on a thread of its
own and swaps in a new, immutable ``Snapshot`` (sessions plus a ``lg_index.RouteIndex``); requests
only look things up in the snapshot of the moment. The price is freshness: what the looking glass
shows is up to one pause plus one read old, and each snapshot says when it was read.

A read in the process that serves competes with the requests for the interpreter (at 500,000
paths it takes a minute and triples their p99, ``bench/RESULTS.md``). ``ixc serve`` therefore
reads in a process of its own and forks workers to serve each snapshot (``api.serving``, with
the ``published`` and ``nice`` hooks here). A read still costs CPU, so the pause between two
reads is ``interval`` or ``REFRESH_DUTY`` times the last read's length, whichever is longer: a
large table is read at most a fifth of the time (every ~5 minutes at 500,000 paths), a small
one every minute.

What is read, per daemon (both keep the routes they filter, tagged ``RS:1101:<reason>``):

* rs1, BIRD: ``show route all`` (every table's routes; filtered ones sit there with preference
  1 and their tags) and ``show route filtered all`` (routes a config rejects with
  ``import keep filtered``), streamed from the socket and parsed one route at a time;
* rs2, OpenBGPD: ``bgpctl show rib detail`` (Loc-RIB) and ``show rib table filtered detail`` (the
  RIB rs2 keeps filtered routes in); without that RIB, the Adj-RIB-In minus the Loc-RIB.

A server that cannot be read keeps the paths of its last good read, marked with the error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import ConfigurationError, IxcError
from ixcenter.routing.control.bird import NETWORK_NOT_FOUND, BirdClient, BirdSocket
from ixcenter.routing.control.bird_replies import parse_routes
from ixcenter.routing.control.daemons import DaemonKind
from ixcenter.routing.control.daemons import RouteServer as ServerProcess
from ixcenter.routing.control.model import (
    DaemonError,
    Route,
    Session,
    received_minus_accepted,
)
from ixcenter.routing.control.openbgpd import BgpctlClient, parse_rib
from ixcenter.routing.lg_index import LgPath, RouteIndex
from ixcenter.routing.looking_glass import reasons_of, restored
from ixcenter.routing.render.openbgpd import FILTERED_RIB
from ixcenter.routing.route_servers import SUMMARY

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60.0
REFRESH_DUTY = 4.0  # pause at least this many times the last read's length
REFRESH_SWITCH_INTERVAL_S = 0.0005
PAUSE_GC = True


class ServerReader(Protocol):
    """Reads one route server whole: its sessions and every path it holds."""

    label: str  # e.g. BJ-rs1
    daemon: str  # bird, openbgpd
    rs_asn: int

    def sessions(self) -> list[Session]: ...

    def routes(self) -> Iterable[Route]:
        """Every path, accepted and filtered (``Route.filtered`` where the daemon says so)."""
        ...


class BirdReader:
    """rs1: BIRD 2 through its control socket."""

    daemon = DaemonKind.BIRD.value

    def __init__(self, label: str, socket: Path, rs_asn: int, *, timeout: float = 300.0) -> None:
        self.label = label
        self.rs_asn = rs_asn
        self.client = BirdClient(socket, timeout=timeout)

    def sessions(self) -> list[Session]:
        return self.client.sessions()

    def routes(self) -> Iterator[Route]:
        yield from self._stream("show route all", filtered=False)
        yield from self._stream("show route filtered all", filtered=True)

    def _stream(self, command: str, *, filtered: bool) -> Iterator[Route]:
        with self.client.connect() as bird:
            yield from parse_routes(_texts(bird, command), filtered=filtered)


def _texts(bird: BirdSocket, command: str) -> Iterator[str]:
    """The text of each reply line; an error reply raises (none found is no route)."""
    for code, text in bird.lines(command):
        if code == NETWORK_NOT_FOUND:
            continue
        if code >= 8000:
            raise DaemonError(f"BIRD {command!r}: {text}", code=code)
        yield text


class BgpctlReader:
    """rs2: OpenBGPD through ``bgpctl``."""

    daemon = DaemonKind.OPENBGPD.value

    def __init__(self, label: str, socket: Path, rs_asn: int, *, timeout: float = 300.0) -> None:
        self.label = label
        self.rs_asn = rs_asn
        self.client = BgpctlClient(socket, timeout=timeout)

    def sessions(self) -> list[Session]:
        return self.client.sessions()

    def routes(self) -> list[Route]:
        accepted = parse_rib(self.client.run(["show", "rib", "detail"]))
        try:
            document = self.client.run(["show", "rib", "table", FILTERED_RIB, "detail"])
            filtered = parse_rib(document, filtered=True)
        except DaemonError:
            received = parse_rib(self.client.run(["show", "rib", "in", "detail"]))
            filtered = received_minus_accepted(received, accepted)
        return accepted + filtered


@dataclass(frozen=True, slots=True)
class ServerState:
    """One route server as the snapshot saw it."""

    label: str
    daemon: str
    rs_asn: int
    sessions: tuple[Session, ...]
    read_at: dt.datetime | None  # when its paths were read (None: never)
    error: str | None = None  # why the last read failed (its paths are then older)
    paths: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every route server's state and paths at one moment; never changed once built.

    ``rendered`` and ``pages`` are the mutable part: caches for whoever shows the paths (the API
    keeps each path's JSON in ``rendered``, by ``id`` of the path, which lives as long as the
    snapshot, and whole pages of a member's paths in ``pages``).
    """

    servers: dict[str, ServerState]
    index: RouteIndex
    built_at: dt.datetime | None
    by_server: dict[str, tuple[LgPath, ...]]
    rendered: dict[int, bytes] = dataclasses.field(default_factory=dict)
    pages: dict[tuple[object, ...], tuple[int, bytes]] = dataclasses.field(default_factory=dict)

    def session_of(self, server: str, name: str) -> Session | None:
        state = self.servers.get(server)
        if state is None:
            return None
        return next((s for s in state.sessions if s.name == name), None)


EMPTY = Snapshot({}, RouteIndex(()), None, {})


def explain(route: Route, rs_asn: int, server: str, peer_asn: int | None) -> LgPath:
    """A daemon's route as the looking glass shows it: rs2's internal marks undone, the
    filter reasons read from its tags, and a tagged route never the best."""
    route = restored(route, rs_asn)
    reasons = reasons_of(route, rs_asn)
    filtered = bool(reasons) or route.filtered
    if filtered and (route.best or not route.filtered):
        route = dataclasses.replace(route, filtered=True, best=False)
    return LgPath(server, route, reasons, peer_asn)


def read_server(reader: ServerReader, clock: Clock) -> tuple[ServerState, tuple[LgPath, ...]]:
    """Sessions and every path of one route server; ``DaemonError`` if it cannot be read."""
    sessions = tuple(reader.sessions())
    asns = {s.name: s.peer_asn for s in sessions}
    paths = []
    for route in reader.routes():
        # never guessed from the AS_PATH: a member could name another's ASN first, and the
        # peer's ASN decides who may see a filtered path (None: the staff only)
        paths.append(explain(route, reader.rs_asn, reader.label, asns.get(route.from_peer)))
    state = ServerState(
        reader.label, reader.daemon, reader.rs_asn, sessions, clock.now(), None, len(paths)
    )
    return state, tuple(paths)


def carried_renderings(
    previous: Snapshot, servers: dict[str, ServerState], by_server: dict[str, tuple[LgPath, ...]]
) -> dict[int, bytes]:
    """``previous.rendered`` for the new snapshot: each rendering of a path the new snapshot
    holds again, unchanged, under the new path's ``id``. A rendering depends on the path and
    its server's ASN only, so it stays right; and after a refresh the pages asked for before
    need no rendering again (100 paths of a member page cost milliseconds)."""
    before: dict[tuple[str, object, str], tuple[LgPath, bytes]] = {}
    for label, paths in previous.by_server.items():
        old, new = previous.servers.get(label), servers.get(label)
        if old is None or new is None or old.rs_asn != new.rs_asn:
            continue
        for path in paths:
            text = previous.rendered.get(id(path))
            if text is not None:
                before[(label, path.route.prefix, path.route.from_peer)] = (path, text)
    rendered: dict[int, bytes] = {}
    if not before:
        return rendered
    for label, paths in by_server.items():
        for path in paths:
            found = before.get((label, path.route.prefix, path.route.from_peer))
            if found is not None and found[0] == path:
                rendered[id(path)] = found[1]
    return rendered


@contextlib.contextmanager
def _yielding_to_requests() -> Iterator[None]:
    """While a refresh runs: the interpreter's switch interval short, so the thread serving
    requests waits at most ``REFRESH_SWITCH_INTERVAL_S`` for the lock the refresh holds (not
    the default 5 ms, again and again per request: p99 of 370 ms instead of 100 ms at 96,000
    paths, ``bench/RESULTS.md``); and with ``PAUSE_GC`` the cycle collector off, so it does not
    walk the half-built snapshot, millions of objects, over and over (the refresh ends with one
    collection)."""
    interval = sys.getswitchinterval()
    paused = PAUSE_GC and gc.isenabled()
    sys.setswitchinterval(min(interval, REFRESH_SWITCH_INTERVAL_S))
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
        sys.setswitchinterval(interval)


class SnapshotRefresher:
    """Holds the current ``Snapshot`` and rebuilds it every ``interval`` seconds on a thread.

    ``readers`` is asked for the route servers at each refresh (deployments come and go).
    """

    def __init__(
        self,
        readers: Callable[[], Sequence[ServerReader]],
        *,
        interval: float = DEFAULT_INTERVAL_S,
        clock: Clock | None = None,
    ) -> None:
        self.readers = readers
        self.interval = interval
        self.clock = clock or SystemClock()
        self._current = EMPTY
        self._refreshing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()  # set once the first refresh is done
        # called with each new snapshot before it becomes current, on the refreshing thread
        # (the server renders the pages asked for most there, not in the first requests)
        self.prepare: Callable[[Snapshot], None] | None = None
        # called with each snapshot once it is current, on the refreshing thread; the next
        # refresh waits for it (``api.serving`` forks a worker to serve it there)
        self.published: Callable[[Snapshot], None] | None = None
        self.nice = 0  # how much lower the background thread's CPU priority is (Linux)

    @classmethod
    def holding(cls, snapshot: Snapshot, *, clock: Clock | None = None) -> SnapshotRefresher:
        """A refresher that never reads: it holds ``snapshot`` (ready unless it is ``EMPTY``),
        for a process that serves what another one read."""
        refresher = cls(list, clock=clock)
        refresher._current = snapshot
        if snapshot is not EMPTY:
            refresher.ready.set()
        return refresher

    @property
    def current(self) -> Snapshot:
        return self._current

    def refresh(self) -> Snapshot:
        """Read every route server now and make the result current."""
        with self._refreshing:
            with _yielding_to_requests():
                snapshot = self._refresh()
            if self.published is not None:  # the interpreter as it was, for a fork
                self.published(snapshot)
            return snapshot

    def _refresh(self) -> Snapshot:
        previous = self._current
        servers: dict[str, ServerState] = {}
        by_server: dict[str, tuple[LgPath, ...]] = {}
        for reader in self.readers():
            try:
                state, paths = read_server(reader, self.clock)
            except (IxcError, OSError) as exc:
                logger.warning("looking glass: %s not read: %s", reader.label, exc)
                old = previous.servers.get(reader.label)
                paths = previous.by_server.get(reader.label, ())
                state = ServerState(
                    reader.label,
                    reader.daemon,
                    reader.rs_asn,
                    old.sessions if old else (),
                    old.read_at if old else None,
                    str(exc),
                    len(paths),
                )
            servers[reader.label] = state
            by_server[reader.label] = paths
        index = RouteIndex(path for paths in by_server.values() for path in paths)
        rendered = carried_renderings(previous, servers, by_server)
        snapshot = Snapshot(servers, index, self.clock.now(), by_server, rendered)
        if self.prepare is not None:
            self.prepare(snapshot)
        self._current = snapshot
        del previous
        # millions of long-lived, acyclic objects: keep the cycle collector from walking
        # them on every full collection (pauses of 100s of ms under load); reference
        # counting still frees an old snapshot once no request holds it
        gc.collect()
        gc.freeze()
        self.ready.set()
        logger.info(
            "looking glass: %d servers, %d paths, %d prefixes",
            len(servers),
            index.size,
            index.prefixes,
        )
        return snapshot

    def start(self) -> None:
        """Refresh now and then every ``interval`` seconds, on a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="looking-glass", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def pause_after(self, read_s: float) -> float:
        """Seconds to wait after a read that took ``read_s`` (module docstring)."""
        return max(self.interval, REFRESH_DUTY * read_s)

    def _run(self) -> None:
        if self.nice > 0:  # on Linux a thread's own id names it to setpriority
            thread = threading.get_native_id()
            os.setpriority(
                os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + self.nice
            )
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.refresh()
            except Exception:  # the thread must live on; the next round may work
                logger.exception("looking glass: refresh failed")
            self._stop.wait(self.pause_after(time.monotonic() - started))


def discover(root: Path) -> list[ServerReader]:
    """The route servers ``ixc rs build`` laid out under ``root`` whose daemon has a socket."""
    readers: list[ServerReader] = []
    if not root.is_dir():
        return readers
    for directory in sorted(p for p in root.iterdir() if (p / SUMMARY).is_file()):
        try:
            data = json.loads((directory / SUMMARY).read_text(encoding="utf-8"))
            kind, rs_asn = DaemonKind(data["daemon"]), int(data["rs_asn"])
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigurationError(
                f"{directory / SUMMARY} is not a build summary: {exc}"
            ) from None
        socket = ServerProcess(directory.name, kind, directory).socket
        if not socket.exists():
            continue  # built, never deployed
        reader = BirdReader if kind is DaemonKind.BIRD else BgpctlReader
        readers.append(reader(directory.name, socket, rs_asn))
    return readers
