"""BIRD's control protocol and replies, replayed from samples of the real daemon."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.errors import NotFound
from ixcenter.routing.control.bird import BirdClient, BirdSocket, quote, split_line
from ixcenter.routing.control.bird_replies import parse_routes, parse_time
from ixcenter.routing.control.model import DaemonError, RouteSet, SessionState
from tests.routing.control.scenario import FILTERED, M1_V4, M1_V6, M2_ONLY, REASON

SAMPLES = Path(__file__).parent / "samples"
GREETING = b"0001 BIRD 2.0.12 ready.\n"

#: command -> sample file, as capture.py made them
REPLIES = {
    "show status": "bird-show-status.txt",
    "show protocols all": "bird-show-protocols-all.txt",
    "show route protocol m1 all": "bird-show-route-all-protocol-m1.txt",
    "show route filtered protocol m1 all": "bird-show-route-all-filtered-protocol-m1.txt",
    "show route protocol m2 all": "bird-show-route-all-protocol-m2.txt",
    "show route protocol m1_6 all": "bird-show-route-all-protocol-m1_6.txt",
    "show route export m1 all": "bird-show-route-all-export-m1.txt",
    "show route all": "bird-show-route-all.txt",
    "show route for 10.0.0.0/8 all": "bird-show-route-for-missing.txt",
    "reload in m1": "bird-reload-in-m1.txt",
    "show protocols all nosuch": "bird-show-protocols-unknown.txt",
    'configure check "/DIR/bad.conf"': "bird-configure-check-bad.txt",
    'configure "/DIR/rs1/current"': "bird-configure-good.txt",
}


class FakeBird:
    """A control socket that greets like BIRD and answers with the samples."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.commands: list[str] = []
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection, connection.makefile("rb") as reader:
                connection.sendall(GREETING)
                for line in reader:
                    command = line.decode().rstrip("\n")
                    self.commands.append(command)
                    sample = REPLIES.get(command)
                    reply = (SAMPLES / sample).read_bytes() if sample else b"9001 syntax error\n"
                    connection.sendall(reply)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def bird(tmp_path: Path) -> Iterator[BirdClient]:
    fake = FakeBird(tmp_path / "bird.ctl")
    client = BirdClient(fake.path, timeout=5)
    client.zone = dt.UTC  # the samples were made on a machine running in UTC
    yield client
    fake.close()


def test_status(bird: BirdClient) -> None:
    status = bird.status()
    assert (status.daemon, status.version, status.running) == ("bird", "2.0.12", True)
    assert status.router_id == "192.0.2.1"
    assert status.message == "Daemon is up and running"
    assert status.last_reconfiguration is not None
    assert status.last_reconfiguration.tzinfo == dt.UTC


def test_sessions(bird: BirdClient) -> None:
    sessions = {s.name: s for s in bird.sessions()}
    assert set(sessions) == {"m1", "m1_6", "m2", "silent"}  # device1 is not a BGP session
    m1 = sessions["m1"]
    assert m1.state is SessionState.ESTABLISHED
    assert (m1.peer_asn, m1.address) == (64511, ipaddress.ip_address("192.0.2.11"))
    assert m1.description == "AS64511 router 1"
    assert (m1.routes_received, m1.routes_accepted, m1.routes_filtered) == (2, 1, 1)
    assert m1.routes_exported == 1
    assert sessions["m1_6"].address == ipaddress.ip_address("2001:db8::11")
    assert sessions["m2"].routes_accepted == 2 and sessions["m2"].routes_filtered is None
    silent = sessions["silent"]
    assert silent.state in {SessionState.ACTIVE, SessionState.CONNECT, SessionState.IDLE}
    assert silent.routes_accepted is None  # its channel never came up
    assert all(s.since is not None and s.since.tzinfo == dt.UTC for s in sessions.values())


def test_session_by_name(bird: BirdClient) -> None:
    with pytest.raises(NotFound):
        bird.session("nosuch")
    with pytest.raises(NotFound):
        bird.session("m1; show status")


def test_routes_of_a_member(bird: BirdClient) -> None:
    accepted = bird.routes("m1", RouteSet.ACCEPTED)
    assert len(accepted) == 1
    route = accepted[0]
    assert (route.prefix, route.from_peer, route.best, route.filtered) == (M1_V4, "m1", True, False)
    assert route.as_path == (64511,) and route.origin_asn == 64511
    assert route.next_hop == ipaddress.ip_address("192.0.2.11")
    assert route.communities == ((64511, 100),)
    assert route.large_communities == ((64511, 1, 2),)
    assert (route.local_pref, route.med, route.origin, route.preference) == (100, None, "IGP", 100)
    assert ("BGP.as_path", "64511") in route.attributes

    filtered = bird.routes("m1", RouteSet.FILTERED)
    assert [(r.prefix, r.filtered, r.best) for r in filtered] == [(FILTERED, True, False)]
    assert filtered[0].large_communities == (REASON,)
    received = bird.routes("m1", RouteSet.RECEIVED)
    assert [(r.prefix, r.filtered) for r in received] == [(M1_V4, False), (FILTERED, True)]


def test_second_paths_and_ipv6(bird: BirdClient) -> None:
    from_m2 = {r.prefix: r for r in bird.routes("m2")}
    assert set(from_m2) == {M1_V4, M2_ONLY}
    assert from_m2[M1_V4].as_path == (64512, 64512) and not from_m2[M1_V4].best
    assert from_m2[M2_ONLY].best
    six = bird.routes("m1_6")
    assert [(r.prefix, r.next_hop) for r in six] == [(M1_V6, ipaddress.ip_address("2001:db8::11"))]
    table = bird.query("show route all")
    assert sorted((str(r.prefix), r.from_peer, r.best) for r in table) == [
        ("2001:db8:1000::/36", "m1_6", True),
        ("203.0.113.0/25", "m1", True),
        ("203.0.113.0/25", "m2", False),  # printed without its network
        ("203.0.113.128/25", "m2", True),
    ]
    exported = bird.routes("m1", RouteSet.EXPORTED)
    assert [(r.prefix, r.from_peer) for r in exported] == [(M2_ONLY, "m2")]


def test_errors_and_orders(bird: BirdClient) -> None:
    assert bird.query("show route for 10.0.0.0/8 all") == []
    with pytest.raises(DaemonError, match="syntax error") as caught:
        bird.configure_check("/DIR/bad.conf")
    assert caught.value.code == 8002
    assert "Reconfigured" in bird.configure("/DIR/rs1/current")
    assert "reloading" in bird.reload_in("m1")
    with pytest.raises(DaemonError):
        bird.configure('/DIR/a"b.conf')


def test_a_connection_carries_several_commands(bird: BirdClient) -> None:
    with bird.connect() as connection:
        assert connection.version == "2.0.12"
        first = connection.command("show status")
        second = connection.command("show route for 10.0.0.0/8 all", check=False)
    assert first.code == 13 and first.ok
    assert (second.code, second.ok) == (8001, False)
    assert second.text == "Network not found"


def test_a_missing_socket_is_a_daemon_error(tmp_path: Path) -> None:
    with pytest.raises(DaemonError, match="control socket"):
        BirdSocket(tmp_path / "none.ctl")


def test_split_line() -> None:
    assert split_line("1007-Table master4:", 0) == (1007, "Table master4:", False)
    assert split_line(" \tvia 192.0.2.11 on lan0", 1007) == (
        1007,
        "\tvia 192.0.2.11 on lan0",
        False,
    )
    assert split_line("0000 ", 1008) == (0, "", True)
    assert split_line("8001 Network not found", 0) == (8001, "Network not found", True)
    with pytest.raises(DaemonError):
        split_line("garbage", 0)
    assert quote("/a b/c.conf") == '"/a b/c.conf"'


def test_parse_time() -> None:
    now = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)
    assert parse_time("00:10:00.500", now=now, zone=dt.UTC) == now.replace(
        minute=10, microsecond=500000
    )
    # a time of day later than now belongs to yesterday
    assert parse_time("23:50:00", now=now, zone=dt.UTC) == dt.datetime(
        2026, 5, 31, 23, 50, tzinfo=dt.UTC
    )
    assert parse_time("2026-05-20", now=now, zone=dt.UTC) == dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    zone = dt.timezone(dt.timedelta(hours=8))
    assert parse_time("2026-05-20 08:00:00", now=None, zone=zone) == dt.datetime(
        2026, 5, 20, tzinfo=dt.UTC
    )
    assert parse_time("00:10:00", now=None, zone=dt.UTC) is None
    assert parse_time("soon", now=now, zone=dt.UTC) is None


asns = st.integers(min_value=1, max_value=2**32 - 1)
u16 = st.integers(min_value=0, max_value=2**16 - 1)


@given(
    address=st.integers(min_value=0, max_value=2**32 - 1),
    length=st.integers(min_value=0, max_value=32),
    path=st.lists(asns, min_size=1, max_size=8),
    communities=st.lists(st.tuples(u16, u16), max_size=4),
    large=st.lists(st.tuples(asns, asns, asns), max_size=4),
    best=st.booleans(),
)
def test_route_text_round_trip(
    address: int,
    length: int,
    path: list[int],
    communities: list[tuple[int, int]],
    large: list[tuple[int, int, int]],
    best: bool,
) -> None:
    """A route printed the way BIRD 2.0.12 prints it reads back as the same route."""
    prefix = ipaddress.ip_network((address, length), strict=False)
    lines = [
        "Table master4:",
        f"{prefix!s:20} unicast [p1 12:00:00.000] {'* ' if best else ''}(100) [AS{path[-1]}i]",
        "\tvia 192.0.2.11 on lan0",
        "\tType: BGP univ",
        "\tBGP.origin: IGP",
        f"\tBGP.as_path: {' '.join(map(str, path))}",
        "\tBGP.next_hop: 192.0.2.11",
        "\tBGP.local_pref: 100",
    ]
    if communities:
        lines.append("\tBGP.community: " + " ".join(f"({a},{b})" for a, b in communities))
    if large:
        lines.append("\tBGP.large_community: " + " ".join(f"({a}, {b}, {c})" for a, b, c in large))
    (route,) = parse_routes(lines)
    assert route.prefix == prefix and route.best == best
    assert route.as_path == tuple(path)
    assert route.communities == tuple(communities)
    assert route.large_communities == tuple(large)


@given(st.lists(st.text(max_size=60), max_size=20))
def test_route_parser_on_any_text(lines: list[str]) -> None:
    """Garbage gives no routes or a ``DaemonError``, never another exception."""
    try:
        routes = list(parse_routes(["Table master4:", *lines]))
    except DaemonError:
        return
    assert all(r.from_peer and r.preference is not None for r in routes)
