"""The compiler on a real ``IrrStore`` (nested AS-SETs, a loop, two sources) and plain inputs."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import ValidationFailed
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient
from ixcenter.routing.irr.whois_server import serve_in_thread
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.inputs import LanInputs, MemberRouter, Reservation
from ixcenter.routing.policy.model import LengthLimits, NextHopMode, PolicySettings, PrefixRule
from ixcenter.routing.policy.sources import IrrSource, WhoisSource

A = ipaddress.ip_address
N = ipaddress.ip_network

RPSL = """\
as-set: AS-ALPHA
members: AS100, AS-ALPHA-CUST
source: RIPE

as-set: AS-ALPHA-CUST
members: AS101, AS-DEEP, AS-LOOP-A
source: RIPE

as-set: AS-DEEP
members: AS102
source: RIPE

as-set: AS-LOOP-A
members: AS103, AS-LOOP-B
source: RIPE

as-set: AS-LOOP-B
members: AS104, AS-LOOP-A, AS-MISSING
source: RIPE

as-set: AS-ALPHA-CUST
members: AS999
source: RADB

route: 11.0.0.0/16
origin: AS100
source: RIPE

route: 11.1.0.0/22
origin: AS101
source: RIPE

route: 11.2.0.0/24
origin: AS102
source: RADB

route: 11.3.0.0/24
origin: AS104
source: RIPE

route: 11.9.0.0/16
origin: AS999
source: RADB

route6: 2a01::/32
origin: AS100
source: RIPE

route6: 2a01:1::/48
origin: AS103
source: RIPE

route: 12.0.0.0/16
origin: AS200
source: RIPE
"""


@pytest.fixture(scope="module")
def store() -> IrrStore:
    objects, problems = parse_rpsl(RPSL)
    assert not problems
    store = IrrStore(["RIPE", "RADB"])
    store.load(objects)
    return store


LAN = LanInputs(
    exchange="LAB",
    rs_asn=59900,
    ipv4_prefix=ipaddress.IPv4Network("185.1.0.0/24"),
    ipv6_prefix=ipaddress.IPv6Network("2a0c:1::/64"),
    reserved=(
        Reservation(A("185.1.0.1"), "route server rs1"),
        Reservation(A("2a0c:1::1"), "route server rs1"),
        Reservation(A("185.1.0.2"), "route server rs2"),
        Reservation(A("185.1.0.66"), "blackhole next hop"),
        Reservation(A("2a0c:1::66"), "blackhole next hop"),
    ),
    bogon_lans=(N("185.2.0.0/24"),),
)


def router(
    asn: int, host: int, *, v6: bool = True, org: int | None = None, **kw: object
) -> MemberRouter:
    return MemberRouter(
        asn=asn,
        name=f"AS{asn}",
        organisation_id=asn if org is None else org,
        ipv4=ipaddress.IPv4Address(f"185.1.0.{host}"),
        ipv6=ipaddress.IPv6Address(f"2a0c:1::{host:x}") if v6 else None,
        **kw,  # type: ignore[arg-type]
    )


ROUTERS = (
    router(200, 20, v6=False, max_prefix_v4=7, md5_password="pw", blackhole_opt_in=True),
    router(100, 12, as_set="AS-ALPHA", irr_sources=("RIPE",)),
    router(100, 11, as_set="AS-ALPHA", irr_sources=("RIPE",)),
    router(300, 30, org=200),  # no AS-SET, no route objects; same organisation as AS200
    router(400, 40, rs_participation=False),
)


def test_clients_in_order_with_keys(store: IrrStore) -> None:
    rs = compile_route_server(LAN, ROUTERS, store)
    assert [c.key for c in rs.clients] == ["AS100_1", "AS100_2", "AS200_1", "AS300_1"]
    assert [str(c.ipv4) for c in rs.clients] == [
        "185.1.0.11",
        "185.1.0.12",
        "185.1.0.20",
        "185.1.0.30",
    ]
    assert rs.asn == 59900 and rs.exchange == "LAB" and rs.name == "rs1"
    assert (
        rs.ipv4 == A("185.1.0.1") and rs.ipv6 == A("2a0c:1::1") and rs.router_id == A("185.1.0.1")
    )
    assert rs.blackhole_v4 == A("185.1.0.66") and rs.blackhole_v6 == A("2a0c:1::66")
    assert rs.lan_prefixes == (N("185.1.0.0/24"), N("185.2.0.0/24"), N("2a0c:1::/64"))


def test_as_set_expansion_nested_with_a_loop_in_the_members_sources(store: IrrStore) -> None:
    alpha = compile_route_server(LAN, ROUTERS, store).clients[0]
    # RIPE only: AS-ALPHA-CUST from RIPE (not RADB's AS999), the loop adds 103 and 104
    assert alpha.allowed_origins == {100, 101, 102, 103, 104}
    assert alpha.as_set == "AS-ALPHA"
    assert alpha.allowed_prefixes == (
        PrefixRule(N("11.0.0.0/16"), 16, 16),
        PrefixRule(N("11.1.0.0/22"), 22, 22),
        PrefixRule(N("11.3.0.0/24"), 24, 24),  # 11.2.0.0/24 is a RADB object: not searched
        PrefixRule(N("2a01::/32"), 32, 32),
        PrefixRule(N("2a01:1::/48"), 48, 48),
    )
    codes = " ".join(alpha.irr_problems)
    assert "loop" in codes and "AS-LOOP-A" in codes
    assert "AS-MISSING" in codes


def test_every_source_when_the_member_names_none(store: IrrStore) -> None:
    member = router(100, 11, as_set="AS-ALPHA")
    alpha = compile_route_server(LAN, [member], store).clients[0]
    assert 999 not in alpha.allowed_origins  # RIPE is preferred for AS-ALPHA-CUST
    assert PrefixRule(N("11.2.0.0/24"), 24, 24) in alpha.allowed_prefixes  # RADB route object


def test_no_as_set_means_the_members_own_asn(store: IrrStore) -> None:
    rs = compile_route_server(LAN, ROUTERS, store)
    beta, gamma = rs.clients[2], rs.clients[3]
    assert beta.allowed_origins == {200}
    assert beta.allowed_prefixes == (PrefixRule(N("12.0.0.0/16"), 16, 16),)
    assert gamma.allowed_origins == {300} and gamma.allowed_prefixes == ()
    assert gamma.irr_problems == ()


def test_session_data(store: IrrStore) -> None:
    rs = compile_route_server(LAN, ROUTERS, store)
    beta = rs.clients[2]
    assert beta.ipv6 is None and beta.max_prefix_v4 == 7
    assert beta.md5_password == "pw" and beta.blackhole_opt_in
    assert beta.prefixes(6) == ()
    assert not rs.clients[0].blackhole_opt_in and rs.clients[0].md5_password is None


def test_routers_of_one_member_share_their_data(store: IrrStore) -> None:
    first, second = compile_route_server(LAN, ROUTERS, store).clients[:2]
    assert first.allowed_prefixes is second.allowed_prefixes
    assert first.allowed_origins is second.allowed_origins


def test_next_hop_modes(store: IrrStore) -> None:
    own = compile_route_server(LAN, ROUTERS, store).clients
    assert own[0].next_hops == {A("185.1.0.11"), A("2a0c:1::b")}
    assert own[2].next_hops == {A("185.1.0.20")}
    same = compile_route_server(
        LAN, ROUTERS, store, settings=PolicySettings(next_hop=NextHopMode.SAME_MEMBER)
    ).clients
    assert same[0].next_hops == {A("185.1.0.11"), A("2a0c:1::b"), A("185.1.0.12"), A("2a0c:1::c")}
    # AS200 and AS300 belong to one organisation
    assert same[2].next_hops == {A("185.1.0.20"), A("185.1.0.30"), A("2a0c:1::1e")}


def test_more_specifics_up_to_the_longest_length(store: IrrStore) -> None:
    settings = PolicySettings(
        irr_more_specifics=True, ipv4_lengths=LengthLimits(8, 24), ipv6_lengths=LengthLimits(12, 48)
    )
    alpha = compile_route_server(LAN, ROUTERS, store, settings=settings).clients[0]
    assert PrefixRule(N("11.0.0.0/16"), 16, 24) in alpha.allowed_prefixes
    assert PrefixRule(N("2a01::/32"), 32, 48) in alpha.allowed_prefixes
    assert PrefixRule(N("2a01:1::/48"), 48, 48) in alpha.allowed_prefixes


def test_only_families_both_sides_have() -> None:
    store = IrrStore()
    store.load(parse_rpsl(RPSL)[0])
    v4_only = LanInputs("LAB", 59900, LAN.ipv4_prefix, None, (Reservation(A("185.1.0.1"), "rs1"),))
    rs = compile_route_server(v4_only, ROUTERS[:3], store, settings=PolicySettings())
    assert rs.ipv6 is None
    assert all(c.ipv6 is None and c.prefixes(6) == () for c in rs.clients)


def test_progress_and_determinism(store: IrrStore) -> None:
    seen: list[tuple[int, int]] = []
    first = compile_route_server(
        LAN, ROUTERS, store, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    again = compile_route_server(LAN, tuple(reversed(ROUTERS)), store)
    assert again == first


def test_missing_route_server_address_or_router_id(store: IrrStore) -> None:
    with pytest.raises(ValidationFailed) as error:
        compile_route_server(LAN, ROUTERS, store, name="rs3")
    assert error.value.problems[0].code == "no-rs-address"
    v6_only = LanInputs("LAB", 59900, None, LAN.ipv6_prefix, (Reservation(A("2a0c:1::1"), "rs1"),))
    with pytest.raises(ValidationFailed) as error:
        compile_route_server(v6_only, ROUTERS, store)
    assert error.value.problems[0].code == "no-router-id"
    rs = compile_route_server(v6_only, ROUTERS, store, router_id=ipaddress.IPv4Address("10.0.0.1"))
    assert rs.router_id == A("10.0.0.1") and rs.ipv4 is None
    assert [c.key for c in rs.clients] == ["AS100_1", "AS100_2", "AS300_1"]  # AS200 has no IPv6


def test_irr_store_is_an_irr_source(store: IrrStore) -> None:
    source: IrrSource = store
    assert source.origins_of_set("AS-DEEP").asns == {102}


def test_whois_source_gives_what_the_store_gives(store: IrrStore, tmp_path: object) -> None:
    with serve_in_thread(store) as server, WhoisClient(server.host, server.port) as client:
        whois = compile_route_server(LAN, ROUTERS, WhoisSource(client))
    local = compile_route_server(LAN, ROUTERS, store)
    for remote, here in zip(whois.clients, local.clients, strict=True):
        assert remote.allowed_origins == here.allowed_origins
        assert remote.allowed_prefixes == here.allowed_prefixes
    # problems of the server's own expansion are not visible over whois
    assert whois.clients[0].irr_problems == ()


def test_whois_source_unknown_set(store: IrrStore) -> None:
    with serve_in_thread(store) as server, WhoisClient(server.host, server.port) as client:
        expansion = WhoisSource(client).origins_of_set("AS-NOWHERE")
    assert expansion.asns == frozenset() and not expansion.complete
    assert expansion.problems[0].code == "as-set-not-found"


def test_whois_source_answers_from_its_cache_when_warm(
    store: IrrStore, tmp_path: Path, clock: FixedClock
) -> None:
    cache = IrrCache(tmp_path, clock)
    with serve_in_thread(store) as server, WhoisClient(server.host, server.port) as client:
        cold = compile_route_server(LAN, ROUTERS, WhoisSource(client, cache))
        port = server.port
    assert len(cache) > 0
    # the server is gone: only the cache can answer (the client is connected to nothing)
    source = WhoisSource(WhoisClient("127.0.0.1", port), cache, default_sources=["RIPE", "RADB"])
    warm = compile_route_server(LAN, ROUTERS, source)
    assert warm == cold
