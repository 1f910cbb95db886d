from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from ixcenter.registry import ipam


def test_next_free_skips_network_reserved_and_used() -> None:
    network = ipaddress.ip_network("192.0.2.0/29")
    assert ipam.next_free(network, []) == "192.0.2.1"
    assert ipam.next_free(network, ["192.0.2.1", "192.0.2.2", "192.0.2.4"]) == "192.0.2.3"
    used = [f"192.0.2.{i}" for i in range(1, 7)]
    assert ipam.next_free(network, used) is None  # .7 is the broadcast address


def test_next_free_ipv6_never_the_subnet_router_anycast() -> None:
    network = ipaddress.ip_network("2001:db8::/126")
    assert ipam.next_free(network, []) == "2001:db8::1"
    assert ipam.next_free(network, ["2001:db8::1", "2001:db8::2", "2001:db8::3"]) is None


def test_point_to_point_networks_use_both_addresses() -> None:
    assert ipam.next_free(ipaddress.ip_network("192.0.2.0/31"), []) == "192.0.2.0"


@given(
    prefix=st.integers(min_value=24, max_value=30),
    used=st.sets(st.integers(min_value=0, max_value=255), max_size=80),
)
def test_next_free_is_the_lowest_usable_address_not_taken(prefix: int, used: set[int]) -> None:
    network = ipaddress.ip_network(f"198.51.100.0/{prefix}")
    taken = [str(network.network_address + i) for i in used if i < network.num_addresses]
    expected = next(
        (str(a) for a in network.hosts() if str(a) not in taken and ipam.usable(network, a)),
        None,
    )
    assert ipam.next_free(network, taken) == expected


def test_check_address_gives_every_reason() -> None:
    network = ipaddress.ip_network("198.51.100.0/24")

    def codes(text: str) -> list[str]:
        found = ipam.check_address("ipv4", text, 4, network, ["198.51.100.1"], ["198.51.100.9"])
        return [p.code for p in found]

    assert codes("198.51.100.10") == []
    assert codes("198.51.100.1") == ["reserved"]
    assert codes("198.51.100.9") == ["in-use"]
    assert codes("198.51.100.255") == ["unusable"]
    assert codes("203.0.113.1") == ["outside-lan"]
    assert codes("2001:db8::1") == ["invalid-address"]
    assert codes("nonsense") == ["invalid-address"]
