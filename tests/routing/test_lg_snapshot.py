"""The looking glass snapshot without daemons: readers stand in for the route servers."""

from __future__ import annotations

import datetime as dt
import gc
import ipaddress
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.routing.control.model import DaemonError, Route, Session, SessionState
from ixcenter.routing.lg_snapshot import (
    EMPTY,
    PAUSE_GC,
    REFRESH_SWITCH_INTERVAL_S,
    BgpctlReader,
    BirdReader,
    Snapshot,
    SnapshotRefresher,
    discover,
    explain,
)
from ixcenter.routing.policy.reasons import Reason

RS = 64500
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


class FakeReader:
    def __init__(self, label: str, routes: list[Route], *, daemon: str = "bird") -> None:
        self.label = label
        self.daemon = daemon
        self.rs_asn = RS
        self.routes_now = routes
        self.fail: str | None = None

    def sessions(self) -> list[Session]:
        if self.fail:
            raise DaemonError(self.fail)
        return [Session("m1", 64511, ipaddress.ip_address("192.0.2.11"), SessionState.ESTABLISHED)]

    def routes(self) -> list[Route]:
        return self.routes_now


def route(prefix: str, *, large: tuple[tuple[int, int, int], ...] = (), best: bool = True) -> Route:
    return Route(
        ipaddress.ip_network(prefix), "m1", as_path=(64511,), large_communities=large, best=best
    )


def test_tags_become_reasons_and_a_tagged_route_is_filtered_and_never_best() -> None:
    tagged = route("198.51.100.0/24", large=((RS, 1101, 9), (RS, 1101, 3), (64511, 1101, 5)))
    path = explain(tagged, RS, "BJ-rs1", 64511)
    assert path.reasons == (Reason.BOGON, Reason.IRR_PREFIX)
    assert path.route.filtered and not path.route.best and not path.accepted
    accepted = explain(route("192.0.2.0/24", large=((RS, 1000, 1),)), RS, "BJ-rs1", 64511)
    assert accepted.accepted and accepted.route.best and accepted.reasons == ()


def test_rs2_internal_marks_come_back_as_well_known_communities() -> None:
    marked = route("192.0.2.0/24", large=((RS, 1999, 65281),))
    path = explain(marked, RS, "BJ-rs2", 64511)
    assert path.route.communities == ((65535, 65281),)
    assert path.route.large_communities == ()


def test_refresh_indexes_every_server_and_keeps_old_paths_of_a_failing_one() -> None:
    clock = FixedClock(NOW)
    rs1 = FakeReader(
        "BJ-rs1", [route("192.0.2.0/24"), route("198.51.100.0/24", large=((RS, 1101, 3),))]
    )
    rs2 = FakeReader("BJ-rs2", [route("192.0.2.0/24")], daemon="openbgpd")
    refresher = SnapshotRefresher(lambda: [rs1, rs2], clock=clock)
    assert not refresher.ready.is_set() and refresher.current.servers == {}
    first = refresher.refresh()
    assert refresher.ready.is_set()
    assert first.servers["BJ-rs1"].paths == 2 and first.servers["BJ-rs2"].paths == 1
    match = first.index.longest_match("192.0.2.9")
    assert match is not None and [p.server for p in match.paths] == ["BJ-rs1", "BJ-rs2"]
    assert first.index.counts("BJ-rs1", "m1") == (1, 1)

    clock.advance(dt.timedelta(minutes=1))
    rs1.fail = "BIRD socket gone"
    rs2.routes_now = []
    second = refresher.refresh()
    assert refresher.current is second
    assert second.servers["BJ-rs1"].error == "BIRD socket gone"
    assert second.servers["BJ-rs1"].read_at == NOW  # the paths shown are the old ones
    assert second.servers["BJ-rs1"].paths == 2
    assert second.servers["BJ-rs2"].read_at == NOW + dt.timedelta(minutes=1)
    match = second.index.longest_match("192.0.2.9")
    assert match is not None and [p.server for p in match.paths] == ["BJ-rs1"]
    assert first.index.longest_match("192.0.2.9").paths[1].server == "BJ-rs2"  # unchanged


def test_discover_finds_deployed_servers_only(tmp_path: Path) -> None:
    for label, daemon, socket in (
        ("BJ-rs1", "bird", "bird.ctl"),
        ("BJ-rs2", "openbgpd", "bgpd.sock"),
        ("SH-rs1", "bird", None),  # built, never deployed
    ):
        directory = tmp_path / label
        directory.mkdir()
        summary = {"daemon": daemon, "rs_asn": RS, "sessions": []}
        (directory / "candidate.json").write_text(json.dumps(summary))
        if socket:
            (directory / socket).touch()
    (tmp_path / "render-cache.bin").touch()
    found = discover(tmp_path)
    assert [(type(r), r.label, r.rs_asn) for r in found] == [
        (BirdReader, "BJ-rs1", RS),
        (BgpctlReader, "BJ-rs2", RS),
    ]
    assert discover(tmp_path / "missing") == []


def test_a_path_of_an_unknown_session_belongs_to_no_member() -> None:
    stray = Route(ipaddress.ip_network("192.0.2.0/24"), "static1", as_path=(64512,), best=True)
    rs1 = FakeReader("BJ-rs1", [route("198.51.100.0/24"), stray])
    snapshot = SnapshotRefresher(lambda: [rs1], clock=FixedClock(NOW)).refresh()
    owners = {str(p.route.prefix): p.peer_asn for p in snapshot.by_server["BJ-rs1"]}
    assert owners == {"198.51.100.0/24": 64511, "192.0.2.0/24": None}
    assert snapshot.index.member("BJ-rs1", [64512]) == []


def test_renderings_of_unchanged_paths_carry_over_to_the_next_snapshot() -> None:
    kept, changed = route("192.0.2.0/24"), route("198.51.100.0/24")
    reader = FakeReader("BJ-rs1", [kept, changed])
    refresher = SnapshotRefresher(lambda: [reader], clock=FixedClock(NOW))
    first = refresher.refresh()
    [old_kept, old_changed] = first.by_server["BJ-rs1"]
    first.rendered[id(old_kept)] = b"kept"
    first.rendered[id(old_changed)] = b"stale"
    reader.routes_now = [kept, route("198.51.100.0/24", best=False), route("203.0.113.0/24")]
    second = refresher.refresh()
    new_kept, _, _ = second.by_server["BJ-rs1"]
    assert new_kept is not old_kept  # a new snapshot, new objects
    assert second.rendered == {id(new_kept): b"kept"}
    # a server whose ASN changed renders its communities anew
    reader.rs_asn = RS + 1
    assert refresher.refresh().rendered == {}


def test_a_refresh_leaves_the_interpreter_as_it_found_it() -> None:
    seen: list[tuple[float, bool]] = []

    class Watching(FakeReader):
        def routes(self) -> list[Route]:
            seen.append((sys.getswitchinterval(), gc.isenabled()))
            return super().routes()

    interval = sys.getswitchinterval()
    refresher = SnapshotRefresher(lambda: [Watching("BJ-rs1", [route("192.0.2.0/24")])])
    refresher.refresh()
    assert seen == [(min(interval, REFRESH_SWITCH_INTERVAL_S), not PAUSE_GC)]
    assert sys.getswitchinterval() == interval and gc.isenabled()
    failing = Watching("BJ-rs1", [])
    failing.routes_now = None  # type: ignore[assignment]  # the index cannot take it
    with pytest.raises(TypeError):
        SnapshotRefresher(lambda: [failing]).refresh()
    assert sys.getswitchinterval() == interval and gc.isenabled()


def test_a_long_read_lengthens_the_pause_before_the_next() -> None:
    refresher = SnapshotRefresher(lambda: [], interval=60.0)
    assert refresher.pause_after(1.0) == 60.0  # a small table: every interval
    assert refresher.pause_after(70.0) == 280.0  # 500,000 paths: read a fifth of the time


def test_published_sees_each_snapshot_once_current_with_the_interpreter_restored() -> None:
    published: list[tuple[bool, float, bool]] = []
    interval = sys.getswitchinterval()
    refresher = SnapshotRefresher(lambda: [FakeReader("BJ-rs1", [route("192.0.2.0/24")])])

    def publish(snapshot: Snapshot) -> None:  # where ``api.serving`` forks
        published.append((refresher.current is snapshot, sys.getswitchinterval(), gc.isenabled()))

    refresher.published = publish
    first, second = refresher.refresh(), refresher.refresh()
    assert first is not second
    assert published == [(True, interval, True), (True, interval, True)]


def test_holding_serves_a_snapshot_read_elsewhere_and_never_reads() -> None:
    read = SnapshotRefresher(lambda: [FakeReader("BJ-rs1", [route("192.0.2.0/24")])]).refresh()
    holding = SnapshotRefresher.holding(read)
    assert holding.ready.is_set() and holding.current is read
    assert holding.refresh().servers == {}  # it has no readers of its own
    waiting = SnapshotRefresher.holding(EMPTY)
    assert not waiting.ready.is_set() and waiting.current is EMPTY


def test_the_background_thread_reads_at_a_lower_cpu_priority() -> None:
    priorities: list[int] = []
    read = threading.Event()

    class Measuring(FakeReader):
        def routes(self) -> list[Route]:
            thread = threading.get_native_id()
            priorities.append(os.getpriority(os.PRIO_PROCESS, thread))
            read.set()
            return super().routes()

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    refresher = SnapshotRefresher(lambda: [Measuring("BJ-rs1", [])], interval=3600)
    refresher.nice = 5
    refresher.start()
    try:
        assert read.wait(10)
    finally:
        refresher.stop(timeout=10)
    assert priorities == [min(19, before + 5)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
