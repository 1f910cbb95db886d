"""The bogon pattern lists the renderers print decide exactly what ``core`` decides."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.core.asns import is_public
from ixcenter.core.prefixes import Network, bogon_blocks, bogon_reason, reachable_exceptions
from ixcenter.routing.policy import bogons

_BITS = {4: 32, 6: 128}


def pattern_says_bogon(prefix: Network) -> bool:
    version = prefix.version
    return bogons.matches(bogons.bogon_rules(version), prefix) and not bogons.matches(
        bogons.reachable_rules(version), prefix
    )


def interesting(version: int) -> list[Network]:
    """Every special-purpose block, its halves, its parent, and its first more specifics."""
    found: list[Network] = []
    blocks = [b.network for b in (*bogon_blocks(version), *reachable_exceptions(version))]
    for net in blocks:
        found.append(net)
        if net.prefixlen > 0:
            found.append(net.supernet())
        if net.prefixlen < _BITS[version]:
            found.extend(net.subnets())
            found.append(next(net.subnets(new_prefix=min(_BITS[version], net.prefixlen + 8))))
    return found


@pytest.mark.parametrize("version", [4, 6])
def test_patterns_equal_core_on_every_block_edge(version: int) -> None:
    for prefix in interesting(version):
        assert pattern_says_bogon(prefix) == (bogon_reason(prefix) is not None), prefix


@pytest.mark.parametrize("version", [4, 6])
def test_no_bogon_block_hides_inside_a_reachable_exception(version: int) -> None:
    assert bogons.nested_conflicts(version) == ()


@settings(max_examples=400)
@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_patterns_equal_core_on_random_ipv4(address: int, length: int) -> None:
    prefix = ipaddress.IPv4Network((address >> (32 - length) << (32 - length), length))
    assert pattern_says_bogon(prefix) == (bogon_reason(prefix) is not None)


@settings(max_examples=400)
@given(
    st.sampled_from([0x2001, 0x2002, 0x2620, 0x3FFF, 0x64, 0xFC00, 0x2A00, 0]),
    st.integers(0, 2**112 - 1),
    st.integers(0, 128),
)
def test_patterns_equal_core_on_random_ipv6(top: int, rest: int, length: int) -> None:
    address = (top << 112) | rest
    prefix = ipaddress.IPv6Network((address >> (128 - length) << (128 - length), length))
    assert pattern_says_bogon(prefix) == (bogon_reason(prefix) is not None)


def test_lan_rules_cover_the_lan_and_everything_inside() -> None:
    rules = bogons.lan_rules([ipaddress.ip_network("185.1.0.0/24")])
    assert bogons.matches(rules, ipaddress.ip_network("185.1.0.0/24"))
    assert bogons.matches(rules, ipaddress.ip_network("185.1.0.128/32"))
    assert not bogons.matches(rules, ipaddress.ip_network("185.1.0.0/23"))


def test_non_public_asn_ranges_equal_core() -> None:
    edges = {0, 1, 2**32 - 1}
    for low, high in bogons.NON_PUBLIC_ASNS:
        edges |= {low - 1, low, low + 1, high - 1, high, high + 1}
    for asn in sorted(a for a in edges if 0 <= a < 2**32):
        listed = any(low <= asn <= high for low, high in bogons.NON_PUBLIC_ASNS)
        assert listed == (not is_public(asn)), asn


@given(st.integers(0, 2**32 - 1))
def test_non_public_asn_ranges_equal_core_anywhere(asn: int) -> None:
    listed = any(low <= asn <= high for low, high in bogons.NON_PUBLIC_ASNS)
    assert listed == (not is_public(asn))
