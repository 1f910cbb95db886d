from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.routing.rpki.validation import OriginValidity, VrpIndex
from ixcenter.routing.rpki.vrps import Vrp

V = OriginValidity
net = ipaddress.ip_network

INDEX = VrpIndex(
    [
        Vrp(net("192.0.2.0/24"), 24, 64500),
        Vrp(net("198.51.100.0/22"), 24, 64501),
        Vrp(net("198.51.100.0/22"), 22, 64502),
        Vrp(net("203.0.113.0/24"), 24, 0),
        Vrp(net("203.0.113.128/25"), 25, 64503),
        Vrp(net("2001:db8::/32"), 48, 64504),
        Vrp(net("2001:db8::/32"), 48, 64504),
    ]
)


@pytest.mark.parametrize(
    ("prefix", "origin", "state"),
    [
        ("192.0.2.0/24", 64500, V.VALID),
        ("192.0.2.0/24", 64999, V.INVALID),
        ("192.0.2.0/25", 64500, V.INVALID),
        ("192.0.0.0/16", 64500, V.NOT_FOUND),
        ("198.51.101.0/24", 64501, V.VALID),
        ("198.51.101.0/24", 64502, V.INVALID),
        ("198.51.100.0/22", 64502, V.VALID),
        ("198.51.100.0/25", 64501, V.INVALID),
        ("203.0.113.0/24", 0, V.INVALID),
        ("203.0.113.0/24", 64503, V.INVALID),
        ("203.0.113.128/25", 64503, V.VALID),
        ("203.0.113.0/25", 64503, V.INVALID),
        ("2001:db8:1::/48", 64504, V.VALID),
        ("2001:db8:1::/49", 64504, V.INVALID),
        ("2001:db9::/32", 64504, V.NOT_FOUND),
        ("192.0.2.0/24", None, V.INVALID),
    ],
)
def test_rfc6811_states(prefix: str, origin: int | None, state: OriginValidity) -> None:
    assert INDEX.validate(prefix, origin) is state


def test_index_counts_unique_vrps_and_lists_covering_ones() -> None:
    assert len(INDEX) == 6
    covering = list(INDEX.covering("203.0.113.128/26"))
    assert [(str(v.prefix), v.asn) for v in covering] == [
        ("203.0.113.0/24", 0),
        ("203.0.113.128/25", 64503),
    ]


def _reference(vrps: list[Vrp], prefix: ipaddress.IPv4Network, origin: int) -> OriginValidity:
    covering = [v for v in vrps if prefix.subnet_of(v.prefix)]  # type: ignore[arg-type]
    if not covering:
        return V.NOT_FOUND
    for v in covering:
        if v.asn == origin and origin != 0 and prefix.prefixlen <= v.max_length:
            return V.VALID
    return V.INVALID


# a small corner of the address space so that VRPs and routes overlap often
_PREFIX = st.builds(
    lambda bits, length: ipaddress.IPv4Network(((10 << 24) | (bits << 16), length), strict=False),
    st.integers(0, 255),
    st.integers(8, 24),
)
_VRP = st.builds(
    lambda prefix, extra, asn: Vrp(prefix, min(32, prefix.prefixlen + extra), asn),
    _PREFIX,
    st.integers(0, 8),
    st.integers(0, 3),
)


@settings(max_examples=300)
@given(st.lists(_VRP, max_size=30), st.lists(st.tuples(_PREFIX, st.integers(0, 3)), max_size=20))
def test_matches_brute_force(
    vrps: list[Vrp], routes: list[tuple[ipaddress.IPv4Network, int]]
) -> None:
    index = VrpIndex(vrps)
    for prefix, origin in routes:
        assert index.validate(prefix, origin) is _reference(vrps, prefix, origin)
