"""The looking glass index on synthetic paths: longest-prefix match against a brute-force
reference (IPv4 and IPv6), member and session views, searches, and community meanings."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import ValidationFailed
from ixcenter.routing.control.model import Route
from ixcenter.routing.lg_communities import large_meaning, standard_meaning
from ixcenter.routing.lg_index import LgPath, RouteIndex, parse_community, parse_query
from ixcenter.routing.policy.reasons import Reason

RS = 64500
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def path(
    prefix: str | Net,
    *,
    server: str = "BJ-rs1",
    session: str = "AS64511_1_v4",
    peer: int = 64511,
    as_path: tuple[int, ...] = (64511,),
    reasons: tuple[Reason, ...] = (),
    best: bool = True,
    communities: tuple[tuple[int, int], ...] = (),
    large: tuple[tuple[int, int, int], ...] = (),
) -> LgPath:
    network = ipaddress.ip_network(prefix) if isinstance(prefix, str) else prefix
    route = Route(
        network,
        session,
        as_path=as_path,
        communities=communities,
        large_communities=large,
        best=best and not reasons,
        filtered=bool(reasons),
    )
    return LgPath(server, route, reasons, peer)


def brute_force(prefixes: list[Net], query: ipaddress.IPv4Address | ipaddress.IPv6Address | Net):
    """The longest prefix of ``prefixes`` holding ``query``: the reference the index must match."""
    if isinstance(query, ipaddress.IPv4Network | ipaddress.IPv6Network):
        covering = [p for p in prefixes if p.version == query.version and query.subnet_of(p)]
    else:
        covering = [p for p in prefixes if p.version == query.version and query in p]
    return max(covering, key=lambda p: p.prefixlen, default=None)


def networks(version: int) -> st.SearchStrategy[Net]:
    bits = 32 if version == 4 else 128
    # few distinct high bits, so prefixes nest and overlap often
    top = st.integers(0, 7).map(lambda n: n << (bits - 3))
    low = st.integers(0, 2 ** (bits - 3) - 1)
    return st.builds(
        lambda t, lo, length: ipaddress.ip_network((t | lo, length), strict=False),
        top,
        low,
        st.integers(0, bits),
    )


def addresses(version: int) -> st.SearchStrategy[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    bits = 32 if version == 4 else 128
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return st.integers(0, 2**bits - 1).map(make)


@pytest.mark.parametrize("version", [4, 6])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_longest_match_equals_brute_force(version: int, data: st.DataObject) -> None:
    prefixes = data.draw(st.lists(networks(version), min_size=0, max_size=40))
    index = RouteIndex(path(p) for p in prefixes)
    # addresses inside held prefixes, anywhere, and prefixes as queries
    inside = [data.draw(addresses(version)) for _ in range(5)]
    inside += [p.network_address + (p.num_addresses - 1) for p in prefixes[:5]]
    queries: list = [*inside, *data.draw(st.lists(networks(version), max_size=5)), *prefixes[:3]]
    for query in queries:
        expected = brute_force(prefixes, query)
        found = index.longest_match(query)
        if expected is None:
            assert found is None, query
        else:
            assert found is not None, query
            assert found.prefix == expected
            assert all(p.route.prefix == expected for p in found.paths)
            assert len(found.paths) == prefixes.count(expected)


def test_a_match_holds_every_path_of_both_servers_best_first() -> None:
    index = RouteIndex(
        [
            path("203.0.113.0/24", server="BJ-rs2", session="m1", best=False),
            path("203.0.113.0/24", server="BJ-rs1", session="m2", peer=64512, best=False),
            path("203.0.113.0/24", server="BJ-rs1", session="m1"),
            path("203.0.113.0/25", server="BJ-rs1", session="m1"),
            path("203.0.0.0/16", server="BJ-rs1", session="m1"),
        ]
    )
    match = index.longest_match("203.0.113.200")
    assert match is not None
    assert match.prefix == ipaddress.ip_network("203.0.113.0/24")
    assert [(p.server, p.session, p.route.best) for p in match.paths] == [
        ("BJ-rs1", "m1", True),
        ("BJ-rs1", "m2", False),
        ("BJ-rs2", "m1", False),
    ]
    assert index.longest_match("203.0.113.0/25").prefix == ipaddress.ip_network("203.0.113.0/25")
    assert index.longest_match("203.0.112.0/23").prefix == ipaddress.ip_network("203.0.0.0/16")
    assert index.longest_match("203.0.200.1").prefix == ipaddress.ip_network("203.0.0.0/16")
    assert index.longest_match("203.1.0.1") is None
    assert index.longest_match("198.51.100.1") is None
    assert index.longest_match("2001:db8::1") is None


def test_ipv4_and_ipv6_do_not_mix() -> None:
    index = RouteIndex([path("0.0.0.0/0"), path("2001:db8::/32")])
    assert index.longest_match("2001:db8::1").prefix == ipaddress.ip_network("2001:db8::/32")
    assert index.longest_match("::ffff:0:1") is None
    assert index.longest_match("10.0.0.1").prefix == ipaddress.ip_network("0.0.0.0/0")


def test_invisible_paths_are_passed_over_for_a_shorter_prefix() -> None:
    hidden = path("192.0.2.0/25", reasons=(Reason.IRR_PREFIX,), peer=64999, session="m9")
    index = RouteIndex([hidden, path("192.0.2.0/24")])
    public = index.longest_match("192.0.2.1", lambda p: p.accepted)
    assert public is not None and public.prefix == ipaddress.ip_network("192.0.2.0/24")
    everything = index.longest_match("192.0.2.1")
    assert everything is not None and everything.paths == (hidden,)


def test_member_and_session_views_split_accepted_and_filtered() -> None:
    paths = [
        path("192.0.2.0/24"),
        path("198.51.100.0/24", reasons=(Reason.BOGON, Reason.IRR_ORIGIN)),
        path("2001:db8::/32", session="AS64511_1_v6"),
        path("203.0.113.0/24", session="AS64512_1_v4", peer=64512),
        path("203.0.113.0/24", server="BJ-rs2", session="AS64511 router 1"),
    ]
    index = RouteIndex(paths)
    mine = index.member("BJ-rs1", [64511])
    assert [str(p.route.prefix) for p in mine] == [
        "192.0.2.0/24",
        "198.51.100.0/24",
        "2001:db8::/32",
    ]
    assert [p.accepted for p in mine] == [True, False, True]
    assert index.counts("BJ-rs1", "AS64511_1_v4") == (1, 1)
    assert index.counts("BJ-rs1", "nobody") == (0, 0)
    assert index.peer("BJ-rs2", "AS64511 router 1") == (paths[4],)
    assert index.member("BJ-rs2", [64512]) == []
    assert index.size == 5 and index.prefixes == 4


def test_searches_by_asn_origin_and_community() -> None:
    a = path("192.0.2.0/24", as_path=(64511, 3356, 15169), communities=((64511, 7),))
    b = path("198.51.100.0/24", as_path=(64511,), large=((RS, 1000, 1),))
    index = RouteIndex([a, b])
    assert index.by_path_asn(3356) == (a,)
    assert index.by_path_asn(64511) == (a, b)
    assert index.by_origin(15169) == (a,)
    assert index.by_origin(3356) == ()
    assert index.by_community((64511, 7)) == (a,)
    assert index.by_community((RS, 1000, 1)) == (b,)


def test_queries_and_communities_are_parsed_or_refused() -> None:
    assert parse_query(" 192.0.2.1 ") == ipaddress.ip_address("192.0.2.1")
    assert parse_query("2001:db8::/32") == ipaddress.ip_network("2001:db8::/32")
    for bad in ("192.0.2.1/24", "example.org", "300.1.1.1"):
        with pytest.raises(ValidationFailed):
            parse_query(bad)
    assert parse_community("65535:666") == (65535, 666)
    assert parse_community("64500:1101:5") == (64500, 1101, 5)
    for bad in ("65536:1", "1:2:3:4", "a:b", "4294967296:0:0", "²:1", "1:٣"):
        with pytest.raises(ValidationFailed):
            parse_community(bad)


@pytest.mark.parametrize(
    ("community", "meaning"),
    [
        ((65535, 666), "blackhole (RFC 7999)"),
        ((65535, 65281), "NO_EXPORT (RFC 1997)"),
        ((65535, 0), "graceful shutdown (RFC 8326)"),
        ((0, RS), "do not announce to any peer"),
        ((0, 64512), "do not announce to AS64512"),
        ((RS, 64512), "announce to AS64512"),
        ((65502, 64512), "prepend 2x to AS64512"),
        ((64511, 100), None),
    ],
)
def test_standard_communities_decoded(community: tuple[int, int], meaning: str | None) -> None:
    assert standard_meaning(community, RS) == meaning


@pytest.mark.parametrize(
    ("community", "meaning"),
    [
        ((RS, 1101, 5), "filtered: AS_PATH too long"),
        ((RS, 1101, 13), "filtered: RPKI invalid"),
        ((RS, 1101, 99), "filtered: reason 99 (unknown to this version)"),
        ((RS, 1000, 1), "RPKI valid"),
        ((RS, 1000, 2), "RPKI not found"),
        ((RS, 0, 0), "do not announce to any peer"),
        ((RS, 0, 4200000000), "do not announce to AS4200000000"),
        ((RS, 1, 64512), "announce to AS64512"),
        ((RS, 103, 64512), "prepend 3x to AS64512"),
        ((64511, 1101, 5), None),  # another AS's tags mean nothing here
        ((64511, 1, 2), None),
    ],
)
def test_large_communities_decoded(community: tuple[int, int, int], meaning: str | None) -> None:
    assert large_meaning(community, RS) == meaning
