"""Both route servers with real members on an emulated LAN, read through our clients."""

from __future__ import annotations

import ipaddress

import pytest

from ixcenter.core.errors import NotFound
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.model import RouteSet, SessionState
from ixcenter.routing.control.openbgpd import BgpctlClient
from tests.routing.control import scenario
from tests.routing.control.scenario import FILTERED, M1_V4, M1_V6, M2_ONLY, REASON

pytestmark = pytest.mark.live

M1, M1_6, M2 = "AS64511 router 1", "AS64511 router 1 v6", "192.0.2.12"


def prefixes(routes: list) -> set:  # type: ignore[type-arg]
    return {r.prefix for r in routes}


def test_bird_sessions(exchange: scenario.Exchange) -> None:
    sessions = {s.name: s for s in BirdClient(exchange.rs1.socket).sessions()}
    assert set(sessions) == {"m1", "m1_6", "m2", "silent"}
    m1 = sessions["m1"]
    assert m1.state is SessionState.ESTABLISHED
    assert (m1.peer_asn, m1.address) == (64511, ipaddress.ip_address("192.0.2.11"))
    assert m1.description == "AS64511 router 1"
    assert (m1.routes_received, m1.routes_accepted, m1.routes_filtered) == (2, 1, 1)
    assert sessions["m1_6"].address == ipaddress.ip_address("2001:db8::11")
    assert sessions["m2"].routes_accepted == 2
    assert sessions["m2"].routes_filtered is None  # no "import keep filtered" on m2
    assert sessions["silent"].state is not SessionState.ESTABLISHED
    assert m1.since is not None and sessions["silent"].since is not None


def test_bird_routes_received_accepted_filtered(exchange: scenario.Exchange) -> None:
    bird = BirdClient(exchange.rs1.socket)
    accepted = bird.routes("m1", RouteSet.ACCEPTED)
    assert [(r.prefix, r.from_peer, r.filtered) for r in accepted] == [(M1_V4, "m1", False)]
    route = accepted[0]
    assert route.as_path == (64511,)
    assert route.next_hop == ipaddress.ip_address("192.0.2.11")
    assert route.communities == ((64511, 100),)
    assert route.large_communities == ((64511, 1, 2),)
    assert route.best and route.origin == "IGP" and route.preference == 100
    filtered = bird.routes("m1", RouteSet.FILTERED)
    assert [(r.prefix, r.filtered, r.best) for r in filtered] == [(FILTERED, True, False)]
    assert filtered[0].large_communities == (REASON,)
    assert prefixes(bird.routes("m1", RouteSet.RECEIVED)) == {M1_V4, FILTERED}
    assert prefixes(bird.routes("m1_6")) == {M1_V6}
    assert bird.routes("m1_6")[0].next_hop == ipaddress.ip_address("2001:db8::11")


def test_bird_best_path_and_export(exchange: scenario.Exchange) -> None:
    bird = BirdClient(exchange.rs1.socket)
    from_m2 = {r.prefix: r for r in bird.routes("m2")}
    assert set(from_m2) == {M1_V4, M2_ONLY}
    assert from_m2[M1_V4].as_path == (64512, 64512)
    assert not from_m2[M1_V4].best  # m1's shorter path wins
    assert from_m2[M2_ONLY].best
    exported = {(r.prefix, r.from_peer) for r in bird.routes("m1", RouteSet.EXPORTED)}
    assert (M2_ONLY, "m2") in exported
    assert (M1_V4, "m1") not in exported  # never sent back to where it came from
    assert "reloading" in bird.reload_in("m1")
    with pytest.raises(NotFound):
        bird.session("nosuch")


def test_member_receives_through_bird(exchange: scenario.Exchange) -> None:
    m1 = BirdClient(exchange.members["m1"])
    got = {r.prefix: r for r in m1.routes("to_rs1")}
    assert M2_ONLY in got
    assert got[M2_ONLY].as_path == (64512, 64512)  # transparent: no AS64500 added
    assert got[M2_ONLY].next_hop == ipaddress.ip_address("192.0.2.12")
    m2 = BirdClient(exchange.members["m2"])
    assert FILTERED not in prefixes(m2.routes("to_rs1"))
    assert M1_V4 in prefixes(m2.routes("to_rs1"))


def test_openbgpd_sessions(exchange: scenario.Exchange) -> None:
    sessions = {s.name: s for s in BgpctlClient(exchange.rs2.socket).sessions()}
    assert set(sessions) == {M1, M1_6, M2, "silent"}
    assert sessions[M1].state is SessionState.ESTABLISHED
    assert (sessions[M1].peer_asn, sessions[M1].address) == (
        64511,
        ipaddress.ip_address("192.0.2.11"),
    )
    assert sessions[M1].routes_received == 2
    assert sessions[M2].description == "" and sessions[M2].peer_asn == 64512
    assert sessions["silent"].state is not SessionState.ESTABLISHED
    assert sessions["silent"].since is None


def test_openbgpd_routes(exchange: scenario.Exchange) -> None:
    bgpd = BgpctlClient(exchange.rs2.socket)
    accepted = bgpd.routes(M1, RouteSet.ACCEPTED)
    assert prefixes(accepted) == {M1_V4}
    route = accepted[0]
    assert route.as_path == (64511,) and route.best and not route.filtered
    assert route.communities == ((64511, 100),)
    assert route.large_communities == ((64511, 1, 2),)
    assert route.next_hop == ipaddress.ip_address("192.0.2.11")
    assert route.from_peer == M1
    filtered = bgpd.routes(M1, RouteSet.FILTERED)
    assert [(r.prefix, r.filtered) for r in filtered] == [(FILTERED, True)]
    assert prefixes(bgpd.routes(M1, RouteSet.RECEIVED)) == {M1_V4, FILTERED}
    assert prefixes(bgpd.routes(M1_6)) == {M1_V6}
    from_m2 = {r.prefix: r for r in bgpd.routes("192.0.2.12")}
    assert not from_m2[M1_V4].best and from_m2[M2_ONLY].best
    assert (M2_ONLY, M2) in {(r.prefix, r.from_peer) for r in bgpd.routes(M1, RouteSet.EXPORTED)}
    with pytest.raises(NotFound):
        bgpd.session("192.0.2.200")


def test_member_receives_through_openbgpd(exchange: scenario.Exchange) -> None:
    m1 = BirdClient(exchange.members["m1"])
    got = {r.prefix: r for r in m1.routes("to_rs2")}
    assert M2_ONLY in got and got[M2_ONLY].as_path == (64512, 64512)
    assert FILTERED not in prefixes(BirdClient(exchange.members["m2"]).routes("to_rs2"))
