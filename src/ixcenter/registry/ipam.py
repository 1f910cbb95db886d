"""Address management rules for peering LANs, on plain data (no database).

A member address must lie inside the LAN's prefix, must not be the network or broadcast address
(IPv4) or the subnet-router anycast address (IPv6), must not be reserved (route servers, blackhole
next hop, ...) and must not be in use already.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Literal

from ixcenter.core.errors import Problem

Family = Literal[4, 6]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_prefix(text: str, family: Family) -> IPNetwork:
    """The network ``text`` names; host bits set is an error, not silently cleared."""
    network = ipaddress.ip_network(text.strip(), strict=True)
    if network.version != family:
        raise ValueError(f"{text} is not an IPv{family} prefix")
    return network


def parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.strip())


def normalise(text: str, family: Family) -> str:
    address = ipaddress.ip_address(text.strip())
    if address.version != family:
        raise ValueError(f"{text} is not an IPv{family} address")
    return str(address)


def usable(network: IPNetwork, address: IPAddress) -> bool:
    """Inside ``network`` and neither its network nor its broadcast address."""
    if address not in network:
        return False
    if network.num_addresses <= 2:
        return True  # /31, /127 and host routes have no network/broadcast addresses
    if address == network.network_address:
        return False
    return not (network.version == 4 and address == network.broadcast_address)


def check_address(
    field: str,
    text: str,
    family: Family,
    network: IPNetwork | None,
    reserved: Iterable[str],
    in_use: Iterable[str],
) -> list[Problem]:
    """Every reason ``text`` cannot be given to a member on this LAN (empty: it can)."""
    if network is None:
        return [Problem(field, f"the LAN has no IPv{family} prefix", "no-prefix")]
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return [Problem(field, f"{text!r} is not an IP address", "invalid-address")]
    if address.version != family:
        return [Problem(field, f"{text} is not an IPv{family} address", "invalid-address")]
    if address not in network:
        return [Problem(field, f"{address} is outside the LAN {network}", "outside-lan")]
    if not usable(network, address):
        return [Problem(field, f"{address} is the network or broadcast address", "unusable")]
    if str(address) in set(reserved):
        return [Problem(field, f"{address} is reserved on this LAN", "reserved")]
    if str(address) in set(in_use):
        return [Problem(field, f"{address} is already assigned", "in-use")]
    return []


def next_free(network: IPNetwork, taken: Iterable[str]) -> str | None:
    """The lowest usable address of ``network`` not in ``taken`` (reserved and used)."""
    blocked = {int(ipaddress.ip_address(a)) for a in taken}
    first = int(network.network_address)
    last = int(network.broadcast_address)
    if network.num_addresses > 2:
        first += 1  # never the network (IPv4) or subnet-router anycast (IPv6) address
        if network.version == 4:
            last -= 1  # never the broadcast address
    candidate = first
    while candidate <= last and candidate in blocked:
        candidate += 1
    if candidate > last:
        return None
    return str(ipaddress.ip_address(candidate))
