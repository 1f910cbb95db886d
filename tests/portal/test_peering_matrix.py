"""The peering matrix's reachability: the announcement-control communities as the route servers'
export policy reads them, address families, blackholes, and the merge over route servers."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.portal.peering_matrix import (
    Control,
    Member,
    Reach,
    control_of,
    peering_matrix,
    reachability,
)
from ixcenter.routing.control.model import Route, Session, SessionState
from ixcenter.routing.lg_snapshot import Snapshot, SnapshotRefresher

RS16, RS32 = 64500, 4200000000
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def route(
    prefix: str = "203.0.113.0/24",
    peer: str = "a",
    asn: int = 65001,
    std: tuple[tuple[int, int], ...] = (),
    large: tuple[tuple[int, int, int], ...] = (),
) -> Route:
    return Route(
        ipaddress.ip_network(prefix),
        peer,
        as_path=(asn,),
        communities=std,
        large_communities=large,
        best=True,
    )


@pytest.mark.parametrize(
    ("rs", "std", "large", "to", "exported"),
    [
        (RS16, (), (), 65002, True),
        (RS16, ((0, 65002),), (), 65002, False),  # 0:P
        (RS16, ((0, 65002),), (), 65003, True),
        (RS16, (), ((RS16, 0, 65002),), 65002, False),  # RS:0:P
        (RS16, ((0, RS16),), (), 65002, False),  # 0:RS: nobody
        (RS16, ((0, RS16), (RS16, 65002)), (), 65002, True),  # ... but RS:P
        (RS16, ((0, RS16), (RS16, 65002)), (), 65003, False),
        (RS16, (), ((RS16, 0, 0), (RS16, 1, 131073)), 131073, True),  # RS:0:0 + RS:1:P
        (RS16, (), ((RS16, 0, 0),), 131073, False),
        (RS16, ((0, 65002), (RS16, 65002)), (), 65002, False),  # never to P wins over to P
        (RS16, (), ((64999, 0, 65002),), 65002, True),  # another route server's community
        (RS32, ((0, RS32 & 0xFFFF),), (), 65002, True),  # no standard form for a 32-bit RS
        (RS32, ((0, 65002),), (), 65002, False),  # 0:P still works
        (RS32, (), ((RS32, 0, 0),), 65002, False),
    ],
)
def test_announcement_control(
    rs: int,
    std: tuple[tuple[int, int], ...],
    large: tuple[tuple[int, int, int], ...],
    to: int,
    exported: bool,
) -> None:
    assert control_of(route(std=std, large=large), rs).exports_to(to) is exported


def test_the_control_keeps_the_address_family() -> None:
    assert control_of(route("2001:db8::/32"), RS16) == Control(6, RS16)


class StandIn:
    def __init__(self, label: str, routes: list[Route], sessions: list[Session]) -> None:
        self.label, self.daemon, self.rs_asn = label, "bird", RS16
        self._routes, self._sessions = routes, sessions

    def sessions(self) -> list[Session]:
        return self._sessions

    def routes(self) -> list[Route]:
        return self._routes


def up(
    name: str, asn: int, address: str, state: SessionState = SessionState.ESTABLISHED
) -> Session:
    return Session(name, asn, ipaddress.ip_address(address), state)


def snapshot(*servers: StandIn) -> Snapshot:
    refresher = SnapshotRefresher(lambda: list(servers), clock=FixedClock(NOW))
    return refresher.refresh()


A, B, C = Member(1, "A", (65001,)), Member(2, "B", (65002,)), Member(3, "C", (65003,))


def test_reachability_needs_a_session_of_the_family_and_an_exportable_route() -> None:
    rs1 = StandIn(
        "rs1",
        [
            route("2001:db8:a::/48", "a6", 65001),  # A: IPv6 only
            route("198.51.100.0/24", "b4", 65002, std=((0, 65001),)),  # B: not to A
            route("192.0.2.0/24", "c4", 65003, std=((65535, 666),)),  # C: a blackhole only
        ],
        [
            up("a6", 65001, "2001:db8::1"),
            up("b4", 65002, "192.0.2.2"),
            up("c4", 65003, "192.0.2.3"),
            up("c6", 65003, "2001:db8::3"),
        ],
    )
    found = reachability(snapshot(rs1), [A, B, C])
    # A's IPv6 route reaches C (an IPv6 session), not B (IPv4 only); B's IPv4 route could not
    # reach A (no IPv4 session) whatever its 0:A says; C's blackhole says nothing
    assert found == {(1, 3): (Reach.YES, ("rs1",)), (2, 3): (Reach.YES, ("rs1",))}


def test_a_route_blocked_on_one_server_reaches_through_another() -> None:
    both = [up("a", 65001, "192.0.2.1"), up("b", 65002, "192.0.2.2")]
    rs1 = StandIn("rs1", [route(peer="a", large=((RS16, 0, 65002),))], both)
    rs2 = StandIn("rs2", [route(peer="a")], both)
    rs3 = StandIn("rs3", [route(peer="a")], [up("a", 65001, "192.0.2.1"),
                                             up("b", 65002, "192.0.2.2", SessionState.IDLE)])  # fmt: skip
    assert reachability(snapshot(rs1), [A, B]) == {(1, 2): (Reach.BLOCKED, ())}
    assert reachability(snapshot(rs1, rs2, rs3), [A, B]) == {(1, 2): (Reach.YES, ("rs2",))}
    assert reachability(snapshot(rs3), [A, B]) == {}


def test_filtered_routes_reach_nobody() -> None:
    both = [up("a", 65001, "192.0.2.1"), up("b", 65002, "192.0.2.2")]
    rs1 = StandIn("rs1", [route(peer="a", large=((RS16, 1101, 9),))], both)
    matrix = peering_matrix([A, B], snapshot(rs1), None, "day", NOW)
    assert [[c.reach for c in row] for row in matrix.rows] == [
        [Reach.SELF, Reach.NO],
        [Reach.NO, Reach.SELF],
    ]
    assert not matrix.traffic and matrix.total_bps == 0 and matrix.reaching == 0
    assert matrix.pairs == 2 and matrix.servers == ("rs1",)
