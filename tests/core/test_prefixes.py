from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.errors import ValidationFailed
from ixcenter.core.prefixes import (
    EXTRA_BOGONS,
    SPECIAL_PURPOSE_V4,
    SPECIAL_PURPOSE_V6,
    LengthRange,
    bogon_blocks,
    bogon_reason,
    is_bogon,
    parse_length_range,
    parse_prefix,
    parse_range_operator,
    reachable_exceptions,
)


@pytest.mark.parametrize(
    ("prefix", "rfc"),
    [
        ("10.0.0.0/8", "RFC 1918"),
        ("10.20.0.0/16", "RFC 1918"),
        ("100.64.0.0/10", "RFC 6598"),
        ("192.0.2.0/24", "RFC 5737"),
        ("198.18.0.0/15", "RFC 2544"),
        ("192.88.99.0/24", "RFC 7526"),
        ("224.0.0.0/24", "RFC 5771"),
        ("240.0.0.0/4", "RFC 1112"),
        ("2001:db8::/32", "RFC 3849"),
        ("2001:db8:1::/48", "RFC 3849"),
        ("2002::/16", "RFC 3056"),
        ("2001::/32", "RFC 4380"),
        ("2001:4::/32", "RFC 2928"),
        ("2001:10::/28", "RFC 4843"),
        ("3fff::/20", "RFC 9637"),
        ("fc00::/7", "RFC 4193"),
        ("fe80::/64", "RFC 4291"),
        ("ff02::/16", "RFC 4291"),
        ("3ffe::/16", "RFC 3701"),
        ("1000::/4", "RFC 4291"),
    ],
)
def test_bogons_name_their_registry_row(prefix: str, rfc: str) -> None:
    reason = bogon_reason(prefix)
    assert reason is not None and reason.rfc == rfc
    assert is_bogon(ipaddress.ip_network(prefix))


@pytest.mark.parametrize(
    "prefix",
    [
        "8.8.8.0/24",
        "1.1.1.0/24",
        "193.0.0.0/21",
        "192.0.0.9/32",
        "192.31.196.0/24",
        "192.175.48.0/24",
        "2001:4:112::/48",
        "2001:3::/32",
        "2001:20::/28",
        "2620:4f:8000::/48",
        "64:ff9b::/96",
        "2a00:1450::/32",
        "2001:678::/29",
    ],
)
def test_globally_reachable_space_is_not_a_bogon(prefix: str) -> None:
    assert bogon_reason(prefix) is None


@pytest.mark.parametrize(
    ("prefix", "inside"),
    [
        ("10.0.0.0/7", "10.0.0.0/8"),
        ("0.0.0.0/0", "0.0.0.0/8"),
        ("192.0.0.0/16", "192.0.0.0/24"),
        ("2000::/3", "2001::/23"),
        ("::/0", "::/3"),
    ],
)
def test_a_prefix_covering_bogon_space_is_a_bogon(prefix: str, inside: str) -> None:
    reason = bogon_reason(prefix)
    assert reason is not None and reason.prefix == inside


def test_tables_are_well_formed() -> None:
    seen: set[str] = set()
    for block in (*SPECIAL_PURPOSE_V4, *SPECIAL_PURPOSE_V6, *EXTRA_BOGONS):
        assert str(block.network) == block.prefix
        assert block.rfc.startswith("RFC ")
        assert block.prefix not in seen
        seen.add(block.prefix)


def test_filter_helpers() -> None:
    v6 = {b.prefix for b in bogon_blocks(6)}
    assert {"2001::/23", "2001:db8::/32", "fc00::/7"} <= v6
    assert "64:ff9b::/96" not in v6
    exceptions = {b.prefix for b in reachable_exceptions(6)}
    assert {"2001:4:112::/48", "2001:3::/32", "64:ff9b::/96"} <= exceptions
    assert "2620:4f:8000::/48" not in exceptions
    assert {b.prefix for b in reachable_exceptions(4)} == {"192.0.0.9/32", "192.0.0.10/32"}


def _reference(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    blocks = [
        (b.network, b.globally_reachable)
        for b in (*SPECIAL_PURPOSE_V4, *SPECIAL_PURPOSE_V6, *EXTRA_BOGONS)
        if b.network.version == net.version
    ]
    containing = [(n, r) for n, r in blocks if net.subnet_of(n)]  # type: ignore[arg-type]
    if containing and not max(containing, key=lambda item: item[0].prefixlen)[1]:
        return True
    return any(not r and n.subnet_of(net) and n != net for n, r in blocks)  # type: ignore[arg-type]


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_v4_matches_a_brute_force_reading_of_the_rules(address: int, length: int) -> None:
    net = ipaddress.IPv4Network((address, length), strict=False)
    assert is_bogon(net) == _reference(net)


@given(
    st.sampled_from([0, 0x20010000, 0x20010DB8, 0x20020000, 0x2A000000, 0xFE800000, 0x00640000]),
    st.integers(0, 2**96 - 1),
    st.integers(0, 128),
)
def test_v6_matches_a_brute_force_reading_of_the_rules(top: int, low: int, length: int) -> None:
    net = ipaddress.IPv6Network(((top << 96) | low, length), strict=False)
    assert is_bogon(net) == _reference(net)


def test_parse_prefix() -> None:
    assert parse_prefix(" 192.0.2.0/24 ") == ipaddress.ip_network("192.0.2.0/24")
    for bad in ["192.0.2.1/24", "192.0.2.0", "300.0.0.0/8", "2001:db8::/129", "x"]:
        with pytest.raises(ValidationFailed) as exc:
            parse_prefix(bad)
        assert exc.value.problems[0].code == "invalid-prefix"


def test_length_ranges() -> None:
    assert parse_length_range("8-24", 4) == LengthRange(8, 24)
    assert parse_length_range("/12-/48", 6) == LengthRange(12, 48)
    assert parse_length_range("24", 4) == LengthRange(24, 24)
    assert 16 in LengthRange(8, 24) and 25 not in LengthRange(8, 24)
    for bad, version in [("24-8", 4), ("8-33", 4), ("x", 6), ("", 4)]:
        with pytest.raises(ValidationFailed):
            parse_length_range(bad, version)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("10.0.0.0/8", (8, 8)),
        ("10.0.0.0/8^+", (8, 32)),
        ("10.0.0.0/8^-", (9, 32)),
        ("10.0.0.0/8^16", (16, 16)),
        ("10.0.0.0/8^16-24", (16, 24)),
        ("2001:db8::/32^48", (48, 48)),
    ],
)
def test_range_operators(text: str, bounds: tuple[int, int]) -> None:
    _, found = parse_range_operator(text)
    assert (found.low, found.high) == bounds


@pytest.mark.parametrize("text", ["10.0.0.0/8^4", "10.0.0.1/32^-", "10.0.0.0/8^x", "10.0.0.0/8^33"])
def test_range_operators_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_range_operator(text)
