"""stayrtr serving our VRP file, started, checked over RTR, restarted and stopped by PID."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import UpstreamError
from ixcenter.lab import netns
from ixcenter.routing.control import process
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.rpki.vrps import Vrp, write_vrps
from tests.lab.livelab import live_lab, wait_for
from tests.live import require

pytestmark = pytest.mark.live

VRPS = [
    Vrp(ipaddress.ip_network("203.0.113.0/24"), 24, 64511),
    Vrp(ipaddress.ip_network("2001:db8:1000::/36"), 48, 64511),
]
MORE = Vrp(ipaddress.ip_network("198.51.100.0/24"), 25, 64512)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime.now(dt.UTC))  # stayrtr refuses files built >24 h ago


@pytest.fixture
def stayrtr(tmp_path: Path, clock: FixedClock) -> Iterator[StayRtr]:
    require("stayrtr")
    write_vrps(tmp_path / "vrps.json", VRPS, clock=clock)
    server = StayRtr(
        RtrServer(tmp_path / "vrps.json", tmp_path / "rtr", port=free_port(), refresh=1)
    )
    try:
        yield server
    finally:
        server.stop()


def test_serves_the_file_and_follows_its_changes(
    stayrtr: StayRtr, tmp_path: Path, clock: FixedClock
) -> None:
    first = stayrtr.start()
    assert set(first.vrps) == set(VRPS)
    assert first.version == 1
    write_vrps(tmp_path / "vrps.json", [*VRPS, MORE], clock=clock)
    later = wait_for(
        lambda: (s := stayrtr.check()).serial != first.serial and s, what="stayrtr re-reading"
    )
    assert set(later.vrps) == {*VRPS, MORE}
    assert later.session_id == first.session_id


def test_restarts_when_killed_and_stops_by_pid(stayrtr: StayRtr) -> None:
    stayrtr.start()
    assert not stayrtr.ensure()  # healthy: left alone
    first = stayrtr.recorded()
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    wait_for(lambda: not process.alive(first), what="stayrtr gone")
    assert stayrtr.ensure()
    assert stayrtr.restarts == 1
    second = stayrtr.recorded()
    assert second is not None and second.pid != first.pid
    assert set(stayrtr.check().vrps) == set(VRPS)
    assert stayrtr.stop()
    assert not process.alive(second)
    with pytest.raises(UpstreamError):
        stayrtr.check(timeout=1)
    assert not stayrtr.stop()  # nothing left to stop


def test_refuses_to_start_without_a_file(tmp_path: Path) -> None:
    server = StayRtr(RtrServer(tmp_path / "missing.json", tmp_path / "rtr", port=free_port()))
    with pytest.raises(UpstreamError, match="no VRP file"):
        server.start()


def test_inside_a_namespace(tmp_path: Path, clock: FixedClock) -> None:
    require("stayrtr")
    write_vrps(tmp_path / "vrps.json", VRPS, clock=clock)
    with live_lab(tmp_path / "lab") as lab:
        namespace = lab.add_node("rpki")
        server = StayRtr(
            RtrServer(tmp_path / "vrps.json", tmp_path / "rtr", port=3323, namespace=namespace)
        )
        try:
            snapshot = server.start()  # checked from inside the namespace
            assert set(snapshot.vrps) == set(VRPS)
            recorded = server.recorded()
            assert recorded is not None and recorded.pid in netns.pids(namespace)
        finally:
            server.stop()
