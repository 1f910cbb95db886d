"""The reference semantics: every filter reason, every control community, blackholes, gshut."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from ixcenter.routing.policy.evaluate import (
    Evaluator,
    Route,
    evaluate_export,
    evaluate_import,
    rank,
)
from ixcenter.routing.policy.model import (
    Client,
    LengthLimits,
    PolicySettings,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.policy.reasons import Reason, RpkiInfo
from ixcenter.routing.rpki.validation import OriginValidity, VrpIndex
from ixcenter.routing.rpki.vrps import Vrp
from tests.routing import policies

A = ipaddress.ip_address
N = ipaddress.ip_network
RS = 59900
NO_EXPORT = (65535, 65281)
BLACKHOLE = (65535, 666)
GSHUT = (65535, 0)


def rule(prefix: str, longest: int | None = None) -> PrefixRule:
    return policies.rule(prefix, None, longest)


def make_client(key: str, asn: int, v4: str | None, v6: str | None, **kw: object) -> Client:
    return policies.client(key, asn, key, v4, v6, **kw)


ALPHA = make_client(
    "AS100_1",
    100,
    "185.1.0.10",
    "2a0c:1::a",
    allowed_origins=frozenset({100, 101}),
    allowed_prefixes=(rule("11.0.0.0/16"), rule("11.1.0.0/22", 24), rule("2a01::/32")),
    next_hops=frozenset({A("185.1.0.10"), A("2a0c:1::a"), A("185.1.0.20")}),
)
BETA = make_client(
    "AS200_1", 200, "185.1.0.11", "2a0c:1::b", allowed_prefixes=(rule("12.0.0.0/16"),)
)
GAMMA = make_client("AS400000_1", 400000, "185.1.0.12", "2a0c:1::c", blackhole_opt_in=True)
DELTA = make_client("AS300_1", 300, "185.1.0.13", None)  # IPv4 only
ALPHA_2 = replace(  # the same member's second router, IPv4 only
    ALPHA, key="AS100_2", ipv4=ipaddress.IPv4Address("185.1.0.20"), ipv6=None
)


def route_server(rs_asn: int = RS, **settings: object) -> RouteServer:
    return RouteServer(
        name="rs1",
        exchange="LAB",
        asn=rs_asn,
        router_id=ipaddress.IPv4Address("185.1.0.1"),
        ipv4=ipaddress.IPv4Address("185.1.0.1"),
        ipv6=ipaddress.IPv6Address("2a0c:1::1"),
        lan_prefixes=(N("185.1.0.0/24"), N("2a0c:1::/64")),
        blackhole_v4=ipaddress.IPv4Address("185.1.0.66"),
        blackhole_v6=ipaddress.IPv6Address("2a0c:1::66"),
        settings=PolicySettings(**settings),  # type: ignore[arg-type]
        clients=(ALPHA, BETA, GAMMA, DELTA, ALPHA_2),
    )


VRPS = VrpIndex(
    [
        Vrp(N("11.5.0.0/16"), 16, 999),  # makes AS100's 11.5.0.0/16 invalid
        Vrp(N("11.6.0.0/16"), 16, 100),  # valid for AS100, not in its IRR
        Vrp(N("11.1.0.0/23"), 23, 100),  # a /32 blackhole inside it would be invalid (maxLength)
        Vrp(N("2a01::/32"), 48, 100),
    ]
)


def sent(
    prefix: str, path: tuple[int, ...] = (100,), hop: str | None = None, **kw: object
) -> Route:
    net = N(prefix)
    next_hop = A(hop) if hop else (A("185.1.0.10") if net.version == 4 else A("2a0c:1::a"))
    return Route(net, path, next_hop, **kw)  # type: ignore[arg-type]


def reasons(
    route: Route, client: Client = ALPHA, rs: RouteServer | None = None, **kw: object
) -> tuple[Reason, ...]:
    verdict = evaluate_import(rs or route_server(), client, route, VRPS, **kw)  # type: ignore[arg-type]
    return verdict.reasons


# --- import: one reason at a time ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (sent("11.0.0.0/16"), ()),
        (sent("11.0.0.0/25"), (Reason.PREFIX_TOO_LONG, Reason.IRR_PREFIX)),
        (sent("12.0.0.0/7"), (Reason.PREFIX_TOO_SHORT, Reason.IRR_PREFIX)),
        (sent("0.0.0.0/0"), (Reason.PREFIX_TOO_SHORT, Reason.BOGON, Reason.IRR_PREFIX)),
        (sent("2a02::/49"), (Reason.PREFIX_TOO_LONG, Reason.IRR_PREFIX)),
        (sent("2a00::/11"), (Reason.PREFIX_TOO_SHORT, Reason.IRR_PREFIX)),
        (sent("::/0"), (Reason.PREFIX_TOO_SHORT, Reason.BOGON, Reason.IRR_PREFIX)),
    ],
    ids=[
        "clean",
        "v4-too-long",
        "v4-too-short",
        "v4-default",
        "v6-too-long",
        "v6-too-short",
        "v6-default",
    ],
)
def test_prefix_length(route: Route, expected: tuple[Reason, ...]) -> None:
    assert reasons(route) == expected


def test_prefix_lengths_follow_the_settings() -> None:
    rs = route_server(ipv4_lengths=LengthLimits(8, 25), irr_prefix_check=False)
    assert reasons(sent("11.0.0.0/25"), rs=rs) == ()
    assert reasons(sent("11.0.0.0/26"), rs=rs) == (Reason.PREFIX_TOO_LONG,)
    zero = route_server(ipv4_lengths=LengthLimits(0, 24), irr_prefix_check=False)
    assert Reason.PREFIX_TOO_SHORT in reasons(sent("0.0.0.0/0"), rs=zero)  # never a default route


@pytest.mark.parametrize(
    ("prefix", "bogon"),
    [
        ("10.0.0.0/8", True),  # private use
        ("10.1.0.0/16", True),  # inside one
        ("10.0.0.0/7", True),  # covers 10.0.0.0/8
        ("192.168.0.0/15", True),  # covers 192.168.0.0/16
        ("192.0.2.0/24", True),  # documentation
        ("185.1.0.0/24", True),  # the exchange's own LAN
        ("185.1.0.0/25", True),  # inside it
        ("185.1.0.0/23", False),  # covering the LAN is not the LAN
        ("11.0.0.0/16", False),
        ("2001:db8::/32", True),
        ("2001:4:112::/48", False),  # AS112 is globally reachable inside 2001::/23
        ("2001:4::/32", True),
        ("2a0c:1::/64", True),  # the LAN's IPv6 prefix
        ("fc00::/16", True),
    ],
)
def test_bogons(prefix: str, bogon: bool) -> None:
    rs = route_server(irr_prefix_check=False, ipv4_lengths=LengthLimits(7, 24))
    assert (Reason.BOGON in reasons(sent(prefix), rs=rs)) is bogon


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((100,), ()),
        ((100, 100, 100), ()),  # prepends
        ((), (Reason.AS_PATH_TOO_SHORT, Reason.FIRST_AS_NOT_PEER_AS, Reason.IRR_ORIGIN)),
        ((200,), (Reason.FIRST_AS_NOT_PEER_AS, Reason.IRR_ORIGIN)),
        ((100, 64512, 101), (Reason.BOGON_ASN,)),  # private in the middle
        ((100, 23456), (Reason.BOGON_ASN, Reason.IRR_ORIGIN)),  # AS_TRANS
        ((100, 4200000000), (Reason.BOGON_ASN, Reason.IRR_ORIGIN)),
        ((100, 0), (Reason.BOGON_ASN, Reason.IRR_ORIGIN)),
        ((100, 102), (Reason.IRR_ORIGIN,)),
        ((100, 174, 101), (Reason.TRANSIT_FREE_ASN,)),
        ((100,) * 32, ()),
        ((100,) * 33, (Reason.AS_PATH_TOO_LONG,)),
    ],
)
def test_as_path(path: tuple[int, ...], expected: tuple[Reason, ...]) -> None:
    rs = route_server(transit_free_asns=frozenset({174}))
    assert reasons(sent("11.0.0.0/16", path), rs=rs) == expected


def test_a_transit_free_member_may_send_its_own_prepended_routes() -> None:
    rs = route_server(transit_free_asns=frozenset({100, 174}))
    assert reasons(sent("11.0.0.0/16", (100, 100, 101)), rs=rs) == ()
    assert reasons(sent("11.0.0.0/16", (100, 174, 101)), rs=rs) == (Reason.TRANSIT_FREE_ASN,)


def test_as_path_lengths_follow_the_settings() -> None:
    rs = route_server(as_path_shortest=2, as_path_longest=3)
    assert reasons(sent("11.0.0.0/16", (100,)), rs=rs) == (Reason.AS_PATH_TOO_SHORT,)
    assert reasons(sent("11.0.0.0/16", (100, 101)), rs=rs) == ()
    assert reasons(sent("11.0.0.0/16", (100, 100, 100, 101)), rs=rs) == (Reason.AS_PATH_TOO_LONG,)


@pytest.mark.parametrize(
    ("hop", "ok"),
    [("185.1.0.10", True), ("185.1.0.20", True), ("185.1.0.11", False), ("2a0c:1::b", False)],
)
def test_next_hop(hop: str, ok: bool) -> None:
    expected = () if ok else (Reason.NEXT_HOP_NOT_PEER_IP,)
    assert reasons(sent("11.0.0.0/16", hop=hop)) == expected


def test_rpki() -> None:
    ev = Evaluator(route_server(), VRPS)
    invalid = ev.import_route(ALPHA, sent("11.5.0.0/16"))
    assert invalid.reasons == (Reason.IRR_PREFIX, Reason.RPKI_INVALID)
    assert invalid.rpki is OriginValidity.INVALID
    valid = ev.import_route(ALPHA, sent("11.6.0.0/16"))  # not in IRR: RPKI valid bypasses
    assert valid.accepted and valid.rpki_info is RpkiInfo.VALID
    assert (RS, 1000, 1) in valid.stored.large_communities  # type: ignore[union-attr]
    unknown = ev.import_route(ALPHA, sent("11.0.0.0/16"))
    assert unknown.accepted and unknown.rpki_info is RpkiInfo.UNKNOWN
    assert (RS, 1000, 2) in unknown.stored.large_communities  # type: ignore[union-attr]
    unchecked = Evaluator(route_server()).import_route(ALPHA, sent("11.1.0.0/24"))
    assert ev.import_route(ALPHA, sent("11.1.0.0/24")).reasons == (Reason.RPKI_INVALID,)
    assert unchecked.rpki is None and unchecked.rpki_info is RpkiInfo.NOT_CHECKED
    assert (RS, 1000, 3) in unchecked.stored.large_communities  # type: ignore[union-attr]


def test_rpki_settings() -> None:
    lenient = Evaluator(route_server(reject_rpki_invalid=False, irr_prefix_check=False), VRPS)
    invalid = lenient.import_route(ALPHA, sent("11.5.0.0/16"))
    assert invalid.accepted and invalid.rpki is OriginValidity.INVALID
    assert invalid.rpki_info is None
    assert not any(c[1] == 1000 for c in invalid.stored.large_communities)  # type: ignore[union-attr]
    strict = Evaluator(route_server(rpki_valid_bypasses_irr_prefix=False), VRPS)
    assert strict.import_route(ALPHA, sent("11.6.0.0/16")).reasons == (Reason.IRR_PREFIX,)


def test_irr_prefix_exact_and_more_specific_rules() -> None:
    assert reasons(sent("11.0.0.0/16")) == ()
    assert reasons(sent("11.0.1.0/24")) == (Reason.IRR_PREFIX,)  # 11.0.0.0/16 is exact
    assert reasons(sent("11.1.0.0/22")) == ()
    assert reasons(sent("11.1.2.0/24")) == ()  # 11.1.0.0/22 allows up to /24
    assert reasons(sent("11.1.0.0/21")) == (Reason.IRR_PREFIX,)
    assert reasons(sent("2a01::/32")) == ()
    assert reasons(sent("2a01:1::/48")) == (Reason.IRR_PREFIX,)
    assert reasons(sent("12.0.0.0/16")) == (Reason.IRR_PREFIX,)  # another member's prefix
    empty = replace(ALPHA, allowed_prefixes=())
    assert reasons(sent("11.0.0.0/16"), client=empty) == (Reason.IRR_PREFIX,)


def test_irr_checks_can_be_switched_off() -> None:
    rs = route_server(irr_origin_check=False, irr_prefix_check=False)
    assert reasons(sent("13.0.0.0/16", (100, 999)), rs=rs) == ()


def test_too_many_communities_counts_each_kind() -> None:
    hundred = frozenset((9, n) for n in range(100))
    assert reasons(sent("11.0.0.0/16", communities=hundred)) == ()
    many = hundred | {(9, 100)}
    assert reasons(sent("11.0.0.0/16", communities=many)) == (Reason.TOO_MANY_COMMUNITIES,)
    large = frozenset((9, 1, n) for n in range(101))
    assert reasons(sent("11.0.0.0/16", large_communities=large)) == (Reason.TOO_MANY_COMMUNITIES,)
    both = frozenset((9, 1, n) for n in range(100))
    assert reasons(sent("11.0.0.0/16", communities=hundred, large_communities=both)) == ()
    # the route server's own informational range is removed before counting
    own = both | {(RS, 1500, 1)}
    assert reasons(sent("11.0.0.0/16", large_communities=own)) == ()


def test_wrong_address_family() -> None:
    assert reasons(sent("11.0.0.0/16"), family=6) == (Reason.WRONG_ADDRESS_FAMILY,)
    assert reasons(sent("2a01::/32"), family=4) == (Reason.WRONG_ADDRESS_FAMILY,)
    assert reasons(sent("2a01::/32"), family=6) == ()


def test_every_violation_is_tagged_and_the_route_is_kept() -> None:
    route = sent("10.0.0.0/25", (100, 64512), hop="185.1.0.11")
    verdict = evaluate_import(route_server(), ALPHA, route, VRPS)
    assert verdict.reasons == (
        Reason.PREFIX_TOO_LONG,
        Reason.BOGON,
        Reason.BOGON_ASN,
        Reason.NEXT_HOP_NOT_PEER_IP,
        Reason.IRR_PREFIX,
        Reason.IRR_ORIGIN,
    )
    assert not verdict.accepted and not verdict.discarded
    stored = verdict.stored
    assert stored is not None
    assert {c for c in stored.large_communities if c[:2] == (RS, 1101)} == {
        (RS, 1101, int(r)) for r in verdict.reasons
    }
    assert stored.next_hop == route.next_hop and stored.as_path == route.as_path


def test_members_cannot_set_the_route_servers_tags() -> None:
    route = sent(
        "11.0.0.0/16", large_communities=frozenset({(RS, 1101, 9), (RS, 1000, 1), (7, 1101, 9)})
    )
    verdict = evaluate_import(route_server(), ALPHA, route, None)
    assert verdict.accepted
    assert verdict.stored is not None
    assert verdict.stored.large_communities == {(7, 1101, 9), (RS, 1000, 3)}


def test_a_route_through_the_route_servers_own_asn_is_discarded() -> None:
    verdict = evaluate_import(route_server(), ALPHA, sent("11.0.0.0/16", (100, RS, 101)), VRPS)
    assert verdict.discarded and not verdict.accepted and verdict.reasons == ()
    assert Evaluator(route_server()).export_route(verdict, ALPHA, BETA) is None


# --- blackholes and graceful shutdown -------------------------------------------------------------


def test_blackhole_request_accepted_inside_the_members_space() -> None:
    ev = Evaluator(route_server(), VRPS)
    route = sent("11.1.0.1/32", communities=frozenset({BLACKHOLE}))
    verdict = ev.import_route(ALPHA, route)
    assert verdict.blackhole and verdict.accepted
    assert verdict.rpki is None  # the /23 ROA would make the /32 invalid: RPKI is not applied
    assert verdict.stored is not None
    assert verdict.stored.next_hop == A("185.1.0.66")
    assert verdict.stored.communities == {BLACKHOLE, NO_EXPORT}
    assert (RS, 1000, int(RpkiInfo.NOT_CHECKED)) in verdict.stored.large_communities
    assert ev.export_route(verdict, ALPHA, GAMMA) == Route(
        N("11.1.0.1/32"), (100,), A("185.1.0.66"), frozenset({BLACKHOLE, NO_EXPORT})
    )
    assert ev.export_route(verdict, ALPHA, BETA) is None  # not opted in


def test_blackhole_ipv6() -> None:
    ev = Evaluator(route_server(), VRPS)
    verdict = ev.import_route(ALPHA, sent("2a01::1/128", communities=frozenset({BLACKHOLE})))
    assert verdict.accepted and verdict.blackhole
    exported = ev.export_route(verdict, ALPHA, GAMMA)
    assert exported is not None and exported.next_hop == A("2a0c:1::66")


def test_blackhole_outside_the_members_space_or_filtered_otherwise() -> None:
    ev = Evaluator(route_server(), VRPS)
    outside = ev.import_route(ALPHA, sent("12.0.0.1/32", communities=frozenset({BLACKHOLE})))
    assert outside.blackhole and outside.reasons == (Reason.IRR_PREFIX,)
    assert ev.export_route(outside, ALPHA, GAMMA) is None
    assert outside.stored is not None and outside.stored.next_hop == A("185.1.0.10")
    # a shorter prefix containing the member's space is not inside it
    wide = ev.import_route(ALPHA, sent("11.0.0.0/15", communities=frozenset({BLACKHOLE})))
    assert wide.reasons == (Reason.IRR_PREFIX,)
    origin = ev.import_route(
        ALPHA, sent("11.0.0.1/32", (100, 555), communities=frozenset({BLACKHOLE}))
    )
    assert origin.reasons == (Reason.IRR_ORIGIN,)


def test_blackhole_community_is_ordinary_when_blackholing_is_off() -> None:
    for rs in (route_server(blackhole=False), replace(route_server(), blackhole_v4=None)):
        route = sent("11.1.0.1/32", communities=frozenset({BLACKHOLE}))
        verdict = Evaluator(rs, VRPS).import_route(ALPHA, route)
        assert not verdict.blackhole
        assert verdict.reasons == (Reason.PREFIX_TOO_LONG, Reason.IRR_PREFIX, Reason.RPKI_INVALID)


def test_graceful_shutdown_lowers_local_pref_and_keeps_the_community() -> None:
    ev = Evaluator(route_server(), VRPS)
    drained = ev.import_route(ALPHA, sent("11.0.0.0/16", communities=frozenset({GSHUT})))
    normal = ev.import_route(ALPHA_2, sent("11.0.0.0/16", hop="185.1.0.20"))
    assert normal.accepted and normal.local_pref == 100
    assert drained.graceful_shutdown and drained.accepted and drained.local_pref == 0
    assert rank(drained) < rank(normal)  # the other path wins at the route server
    exported = ev.export_route(drained, ALPHA, GAMMA)
    assert exported is not None and GSHUT in exported.communities
    off = Evaluator(route_server(graceful_shutdown=False)).import_route(
        ALPHA, sent("11.0.0.0/16", communities=frozenset({GSHUT}))
    )
    assert not off.graceful_shutdown and off.local_pref == 100


def test_rank_puts_filtered_routes_last_and_prefers_short_paths() -> None:
    ev = Evaluator(route_server(), VRPS)
    filtered = ev.import_route(ALPHA, sent("11.0.0.0/16", hop="185.1.0.11"))
    short = ev.import_route(ALPHA, sent("11.0.0.0/16"))
    long = ev.import_route(ALPHA, sent("11.0.0.0/16", (100, 100)))
    assert rank(filtered) < rank(long) < rank(short)


# --- export --------------------------------------------------------------------------------------


def accepted(
    route: Route, client: Client = ALPHA, rs: RouteServer | None = None
) -> tuple[Evaluator, object]:
    ev = Evaluator(rs or route_server(), VRPS)
    verdict = ev.import_route(client, route)
    assert verdict.accepted, verdict.reasons
    return ev, verdict


def receivers(route: Route, rs: RouteServer | None = None) -> set[str]:
    ev, verdict = accepted(route, rs=rs)
    return {p.key for p in ev.rs.clients if ev.export_route(verdict, ALPHA, p) is not None}  # type: ignore[arg-type]


def test_plain_route_goes_to_everyone_else_with_a_session_of_its_family() -> None:
    assert receivers(sent("11.0.0.0/16")) == {"AS200_1", "AS400000_1", "AS300_1"}
    assert receivers(sent("2a01::/32")) == {"AS200_1", "AS400000_1"}  # AS300 has no IPv6


def test_filtered_routes_are_never_exported() -> None:
    ev = Evaluator(route_server(), VRPS)
    verdict = ev.import_route(ALPHA, sent("11.9.0.0/16"))
    assert verdict.reasons == (Reason.IRR_PREFIX,)
    assert all(ev.export_route(verdict, ALPHA, p) is None for p in ev.rs.clients)
    assert evaluate_export(route_server(), verdict, ALPHA, BETA) is None


@pytest.mark.parametrize(
    ("communities", "large", "expected"),
    [
        ({(0, 200)}, set(), {"AS400000_1", "AS300_1"}),
        (set(), {(RS, 0, 200)}, {"AS400000_1", "AS300_1"}),
        (set(), {(RS, 0, 400000)}, {"AS200_1", "AS300_1"}),
        ({(0, RS)}, set(), set()),
        (set(), {(RS, 0, 0)}, set()),
        ({(0, RS), (RS, 200)}, set(), {"AS200_1"}),
        ({(0, RS)}, {(RS, 1, 400000)}, {"AS400000_1"}),
        (set(), {(RS, 0, 0), (RS, 1, 200), (RS, 1, 300)}, {"AS200_1", "AS300_1"}),
        ({(0, 200), (RS, 200), (0, RS)}, set(), set()),  # "not to P" wins over "to P"
        ({(RS, 200)}, set(), {"AS200_1", "AS400000_1", "AS300_1"}),  # "to P" alone changes nothing
    ],
)
def test_announcement_control(
    communities: set[tuple[int, int]], large: set[tuple[int, int, int]], expected: set[str]
) -> None:
    route = sent(
        "11.0.0.0/16", communities=frozenset(communities), large_communities=frozenset(large)
    )
    assert receivers(route) == expected


def test_standard_forms_need_16_bit_asns() -> None:
    rs32 = route_server(rs_asn=400001)
    # 0:RS cannot be written for a 32-bit RS: (0, 400001) is not a standard community
    route = sent("11.0.0.0/16", large_communities=frozenset({(400001, 0, 0), (400001, 1, 200)}))
    assert receivers(route, rs32) == {"AS200_1"}
    # with a 16-bit RS, "announce to P" in standard form cannot name a 32-bit P
    only = sent("11.0.0.0/16", communities=frozenset({(0, RS), (RS, 400000 & 0xFFFF)}))
    assert receivers(only) == set()


@pytest.mark.parametrize(
    ("communities", "large", "to_beta", "to_gamma"),
    [
        ({(65501, 200)}, set(), 1, 0),
        ({(65502, 200)}, set(), 2, 0),
        ({(65503, 200), (65501, 200)}, set(), 3, 0),
        (set(), {(RS, 101, 400000)}, 0, 1),
        (set(), {(RS, 103, 400000), (RS, 102, 200)}, 2, 3),
        ({(65503, 200)}, {(RS, 101, 200)}, 3, 0),
        ({(65502, 400000 & 0xFFFF)}, set(), 0, 0),  # not a standard form for a 32-bit peer
    ],
)
def test_prepending(
    communities: set[tuple[int, int]], large: set[tuple[int, int, int]], to_beta: int, to_gamma: int
) -> None:
    route = sent(
        "11.0.0.0/16",
        (100, 101),
        communities=frozenset(communities),
        large_communities=frozenset(large),
    )
    ev, verdict = accepted(route)
    beta = ev.export_route(verdict, ALPHA, BETA)  # type: ignore[arg-type]
    gamma = ev.export_route(verdict, ALPHA, GAMMA)  # type: ignore[arg-type]
    assert beta is not None and beta.as_path == (100,) * to_beta + (100, 101)
    assert gamma is not None and gamma.as_path == (100,) * to_gamma + (100, 101)


def test_export_strips_the_route_servers_communities_and_keeps_the_rest() -> None:
    communities = frozenset(
        {
            (0, 300),
            (RS, 200),
            (65501, 200),
            (65502, 7),
            (65503, 9),
            (1, 2),
            GSHUT,
            NO_EXPORT,
            (65535, 65282),
        }
    )
    large = frozenset({(RS, 101, 200), (RS, 999, 1), (7, 8, 9), (RS + 1, 0, 0)})
    ev, verdict = accepted(sent("11.0.0.0/16", communities=communities, large_communities=large))
    exported = ev.export_route(verdict, ALPHA, BETA)  # type: ignore[arg-type]
    assert exported is not None
    assert exported.communities == {(1, 2), GSHUT, NO_EXPORT, (65535, 65282)}
    assert exported.large_communities == {(7, 8, 9), (RS + 1, 0, 0)}
    assert exported.next_hop == A("185.1.0.10")
    assert exported.prefix == N("11.0.0.0/16")


def test_no_export_to_the_same_asn() -> None:
    ev, verdict = accepted(sent("11.0.0.0/16"))
    assert ev.export_route(verdict, ALPHA, ALPHA_2) is None  # type: ignore[arg-type]
    assert ev.export_route(verdict, ALPHA, ALPHA) is None  # type: ignore[arg-type]


def test_next_hop_of_the_same_member_is_kept_on_export() -> None:
    ev, verdict = accepted(sent("11.0.0.0/16", hop="185.1.0.20"))
    exported = ev.export_route(verdict, ALPHA, BETA)  # type: ignore[arg-type]
    assert exported is not None and exported.next_hop == A("185.1.0.20")
