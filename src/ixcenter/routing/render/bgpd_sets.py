r"""rs2's prefix-set and as-set entries: the text of bgpd.conf's sets, from rules or packed keys.

``irr_entries`` and ``root_entries`` print ``PrefixRule``\s and networks of any kind;
``packed_irr_entries`` and ``packed_roots`` print the same from ``PrefixRules``' keys without
making an object per prefix (the property tests in ``tests/routing/render/test_texts.py`` hold
both to the same bytes).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from ixcenter.core.prefixes import Network
from ixcenter.routing.policy.model import PrefixRule
from ixcenter.routing.policy.rules import PrefixRules

_BITS = {4: 32, 6: 128}


def asns(asns: Iterable[int]) -> tuple[str, ...]:
    return tuple(str(a) for a in asns)


def irr_entries(rules: Iterable[PrefixRule]) -> tuple[str, ...]:
    """prefix-set entries for IRR rules: ``P/L``, ``P/L or-longer`` or ``P/L prefixlen a - b``."""
    found: set[tuple[int, int, int, int, int]] = set()
    for rule in rules:
        net = rule.prefix
        length = net.prefixlen
        low, high = max(rule.shortest, length), min(rule.longest, _BITS[net.version])
        if low <= high:
            found.add((net.version, int(net.network_address), length, low, high))
    entries = []
    for version, address, length, low, high in sorted(found):
        text = _text(version, address, length)
        if low == high == length:
            entries.append(text)
        elif low == length and high == _BITS[version]:
            entries.append(f"{text} or-longer")
        else:
            entries.append(f"{text} prefixlen {low} - {high}")
    return tuple(entries)


def packed_irr_entries(rules: PrefixRules) -> list[str]:
    """``irr_entries(rules)``, straight from the keys."""
    entries: list[str] = []
    for version in (4, 6):
        bits, longest = _BITS[version], rules.longest(version)
        for key in rules.keys(version):
            address, length = key >> 8, key & 0xFF
            high = length if longest is None else min(max(length, longest), bits)
            text = _text(version, address, length)
            if high == length:
                entries.append(text)
            elif high == bits:
                entries.append(f"{text} or-longer")
            else:
                entries.append(f"{text} prefixlen {length} - {high}")
    return entries


def packed_roots(rules: PrefixRules, versions: Iterable[int]) -> list[str]:
    """``root_entries`` of the rules' prefixes of ``versions``, straight from the keys."""
    roots: list[str] = []
    for version in sorted(versions):
        bits = _BITS[version]
        last_address, last_length = -1, bits + 1
        for key in rules.keys(version):
            address, length = key >> 8, key & 0xFF
            if last_length <= length:
                shift = bits - last_length
                if address >> shift == last_address >> shift:
                    continue
            last_address, last_length = address, length
            roots.append(_text(version, address, length))
    return roots


def root_entries(nets: Iterable[Network]) -> tuple[str, ...]:
    """The prefixes not inside another one of ``nets``, sorted: "inside one of these" is
    ``prefix-set ... or-longer`` on them."""
    roots: list[str] = []
    last: tuple[int, int, int] | None = None
    for version, address, length in sorted({_key(n) for n in nets}):
        if last is not None and last[0] == version and last[2] <= length:
            shift = _BITS[version] - last[2]
            if address >> shift == last[1] >> shift:
                continue
        last = (version, address, length)
        roots.append(_text(version, address, length))
    return tuple(roots)


def _key(net: Network) -> tuple[int, int, int]:
    return net.version, int(net.network_address), net.prefixlen


def _text(version: int, address: int, length: int) -> str:
    """``address/length`` as ``str(ip_network(...))`` writes it, at C speed where possible."""
    if version == 4:
        return (
            f"{address >> 24}.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}/{length}"
        )
    if address >> 32 in (0, 0xFFFF):  # inet_ntop writes these with a dotted IPv4 tail
        return f"{ipaddress.IPv6Address(address)}/{length}"
    return f"{socket.inet_ntop(socket.AF_INET6, address.to_bytes(16, 'big'))}/{length}"
