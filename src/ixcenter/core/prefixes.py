"""IP prefixes: parsing, length ranges, and bogons from the IANA special-purpose registries.

The tables below copy the IANA "IPv4 Special-Purpose Address Registry" and "IPv6 Special-Purpose
Address Registry" (RFC 6890 and the RFCs named per row), with their *Globally Reachable* flag, plus
a few blocks that live in the address-space registries instead (``EXTRA_BOGONS``): IPv4 multicast
and class E, IPv6 multicast, everything outside global unicast ``2000::/3``, the returned 6bone and
the deprecated site-local space.

Choices, so a route server filter reads the same everywhere:

* A block whose flag is "N/A" (Teredo ``2001::/32``, 6to4 ``2002::/16``, ORCHID ``2001:10::/28``,
  the 6to4 relay anycast ``192.88.99.0/24``) is treated as not globally reachable: those are
  transition or deprecated mechanisms, never a member's own routes.
* A prefix is judged by the *most specific* block that contains it. ``2001::/23`` is not globally
  reachable, but inside it AMT ``2001:3::/32``, AS112 ``2001:4:112::/48``, ORCHIDv2 and DETs are:
  so ``2001:4:112::/48`` is fine and ``2001:4::/32`` is a bogon.
* A prefix that *covers* a not-reachable block is a bogon too (``10.0.0.0/7``, ``::/0``,
  ``2000::/3`` which covers ``2001:db8::/32``): announcing it would carry the bogon space with it.
* Globally reachable special-purpose blocks (``64:ff9b::/96``, ``192.31.196.0/24``, ...) are not
  bogons; prefix-length rules of the route server still apply to them.

Lookups use precomputed integer ranges: a dict per block length for "most specific containing
block", and a sorted list of starts for "covers".
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass
from typing import TypeAlias

from ixcenter.core.errors import Problem, ValidationFailed

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class SpecialBlock:
    """One row of a special-purpose registry: ``prefix``, its ``name``, ``rfc`` and reachability."""

    prefix: str
    name: str
    rfc: str
    globally_reachable: bool

    @property
    def network(self) -> Network:
        return ipaddress.ip_network(self.prefix)


def _b(prefix: str, name: str, rfc: str, reachable: bool = False) -> SpecialBlock:
    return SpecialBlock(prefix, name, rfc, reachable)


SPECIAL_PURPOSE_V4: tuple[SpecialBlock, ...] = (
    _b("0.0.0.0/8", "this network", "RFC 791"),
    _b("0.0.0.0/32", "this host on this network", "RFC 1122"),
    _b("10.0.0.0/8", "private use", "RFC 1918"),
    _b("100.64.0.0/10", "shared address space", "RFC 6598"),
    _b("127.0.0.0/8", "loopback", "RFC 1122"),
    _b("169.254.0.0/16", "link local", "RFC 3927"),
    _b("172.16.0.0/12", "private use", "RFC 1918"),
    _b("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    _b("192.0.0.0/29", "IPv4 service continuity prefix", "RFC 7335"),
    _b("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    _b("192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723", True),
    _b("192.0.0.10/32", "TURN anycast", "RFC 8155", True),
    _b("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880"),
    _b("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880"),
    _b("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    _b("192.31.196.0/24", "AS112-v4", "RFC 7535", True),
    _b("192.52.193.0/24", "AMT", "RFC 7450", True),
    _b("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
    _b("192.168.0.0/16", "private use", "RFC 1918"),
    _b("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534", True),
    _b("198.18.0.0/15", "benchmarking", "RFC 2544"),
    _b("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    _b("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    _b("240.0.0.0/4", "reserved", "RFC 1112"),
    _b("255.255.255.255/32", "limited broadcast", "RFC 8190"),
)

SPECIAL_PURPOSE_V6: tuple[SpecialBlock, ...] = (
    _b("::1/128", "loopback address", "RFC 4291"),
    _b("::/128", "unspecified address", "RFC 4291"),
    _b("::ffff:0:0/96", "IPv4-mapped address", "RFC 4291"),
    _b("64:ff9b::/96", "IPv4-IPv6 translation", "RFC 6052", True),
    _b("64:ff9b:1::/48", "IPv4-IPv6 translation (local use)", "RFC 8215"),
    _b("100::/64", "discard-only address block", "RFC 6666"),
    _b("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
    _b("2001::/23", "IETF protocol assignments", "RFC 2928"),
    _b("2001::/32", "Teredo", "RFC 4380"),
    _b("2001:1::1/128", "Port Control Protocol anycast", "RFC 7723", True),
    _b("2001:1::2/128", "TURN anycast", "RFC 8155", True),
    _b("2001:1::3/128", "DNS-SD SRP anycast", "RFC 9665", True),
    _b("2001:2::/48", "benchmarking", "RFC 5180"),
    _b("2001:3::/32", "AMT", "RFC 7450", True),
    _b("2001:4:112::/48", "AS112-v6", "RFC 7535", True),
    _b("2001:10::/28", "deprecated ORCHID", "RFC 4843"),
    _b("2001:20::/28", "ORCHIDv2", "RFC 7343", True),
    _b("2001:30::/28", "drone remote ID entity tags", "RFC 9374", True),
    _b("2001:db8::/32", "documentation", "RFC 3849"),
    _b("2002::/16", "6to4", "RFC 3056"),
    _b("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534", True),
    _b("3fff::/20", "documentation", "RFC 9637"),
    _b("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    _b("fc00::/7", "unique local", "RFC 4193"),
    _b("fe80::/10", "link-local unicast", "RFC 4291"),
)

EXTRA_BOGONS: tuple[SpecialBlock, ...] = (
    _b("224.0.0.0/4", "multicast", "RFC 5771"),
    _b("::/3", "outside global unicast 2000::/3", "RFC 4291"),
    _b("4000::/2", "outside global unicast 2000::/3", "RFC 4291"),
    _b("8000::/1", "outside global unicast 2000::/3", "RFC 4291"),
    _b("3ffe::/16", "returned 6bone space", "RFC 3701"),
    _b("fec0::/10", "deprecated site-local", "RFC 3879"),
    _b("ff00::/8", "multicast", "RFC 4291"),
)

_BITS = {4: 32, 6: 128}


class _Table:
    """Blocks of one address family as integer ranges."""

    def __init__(self, version: int, blocks: list[SpecialBlock]) -> None:
        bits = _BITS[version]
        self.bits = bits
        by_len: dict[int, dict[int, SpecialBlock]] = {}
        covers: list[tuple[int, int, SpecialBlock]] = []
        for block in blocks:
            net = block.network
            length = net.prefixlen
            start = int(net.network_address)
            by_len.setdefault(length, {})[start >> (bits - length)] = block
            if not block.globally_reachable:
                covers.append((start, length, block))
        self.lengths = tuple(sorted(by_len, reverse=True))
        self.by_len = by_len
        covers.sort(key=lambda item: (item[0], item[1]))
        self.cover_starts = [start for start, _, _ in covers]
        self.covers = covers

    def containing(self, start: int, length: int) -> SpecialBlock | None:
        """The most specific block that contains (or equals) the prefix."""
        for block_len in self.lengths:
            if block_len <= length:
                found = self.by_len[block_len].get(start >> (self.bits - block_len))
                if found is not None:
                    return found
        return None

    def covered(self, start: int, length: int) -> SpecialBlock | None:
        """A not-reachable block strictly inside the prefix, if any."""
        end = start | ((1 << (self.bits - length)) - 1)
        index = bisect.bisect_left(self.cover_starts, start)
        while index < len(self.covers) and self.covers[index][0] <= end:
            if self.covers[index][1] > length:
                return self.covers[index][2]
            index += 1
        return None


_TABLES = {
    4: _Table(4, [*SPECIAL_PURPOSE_V4, *(b for b in EXTRA_BOGONS if ":" not in b.prefix)]),
    6: _Table(6, [*SPECIAL_PURPOSE_V6, *(b for b in EXTRA_BOGONS if ":" in b.prefix)]),
}


def bogon_reason(prefix: Network | str) -> SpecialBlock | None:
    """The special-purpose block that makes ``prefix`` a bogon, or ``None`` when it is not one."""
    net = prefix if not isinstance(prefix, str) else parse_prefix(prefix)
    return bogon_reason_int(net.version, int(net.network_address), net.prefixlen)


def bogon_reason_int(version: int, start: int, length: int) -> SpecialBlock | None:
    """``bogon_reason`` on integers: address family 4 or 6, network as int, prefix length."""
    table = _TABLES[version]
    inside = table.containing(start, length)
    if inside is not None and not inside.globally_reachable:
        return inside
    return table.covered(start, length)


def is_bogon(prefix: Network | str) -> bool:
    """True for a prefix inside, or covering, special-purpose space not globally reachable."""
    return bogon_reason(prefix) is not None


def bogon_blocks(version: int) -> tuple[SpecialBlock, ...]:
    """Every not-reachable block of one family (for filters rendered as ``prefix{len,max}``)."""
    table = _TABLES[version]
    return tuple(block for _, _, block in table.covers)


def reachable_exceptions(version: int) -> tuple[SpecialBlock, ...]:
    """Globally reachable blocks nested in a bogon block; a rendered filter allows them first."""
    table = _TABLES[version]
    found: list[SpecialBlock] = []
    for length in sorted(table.by_len):
        for block in table.by_len[length].values():
            net = block.network
            if block.globally_reachable:
                outer = table.containing(int(net.network_address), length - 1) if length else None
                if outer is not None and not outer.globally_reachable:
                    found.append(block)
    return tuple(found)


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LengthRange:
    """Inclusive prefix-length bounds, e.g. ``/8-/24`` for IPv4 route-server imports."""

    low: int
    high: int

    def __contains__(self, length: object) -> bool:
        return isinstance(length, int) and self.low <= length <= self.high

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


_LENGTH_RANGE = re.compile(r"^/?(\d{1,3})(?:\s*-\s*/?(\d{1,3}))?$")
_RANGE_OPERATOR = re.compile(r"^(?P<prefix>[^\^]+)(?:\^(?P<op>[+-]|\d{1,3}(?:-\d{1,3})?))?$")


def _problem(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed([Problem(field, message, code)])


def parse_prefix(text: str, *, field: str = "prefix") -> Network:
    """A prefix in canonical form; host bits set, a missing length or garbage are refused."""
    raw = text.strip()
    if "/" not in raw:
        raise _problem(field, f"{text!r} has no prefix length", "invalid-prefix")
    try:
        return ipaddress.ip_network(raw, strict=True)
    except ValueError as exc:
        raise _problem(field, f"{text!r} is not a prefix ({exc})", "invalid-prefix") from None


def parse_length_range(text: str, version: int, *, field: str = "length") -> LengthRange:
    """``"8-24"``, ``"/12-/48"`` or ``"24"`` as bounds valid for address family ``version``."""
    match = _LENGTH_RANGE.match(text.strip())
    if not match:
        raise _problem(field, f"{text!r} is not a prefix length range", "invalid-length")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) is not None else low
    bits = _BITS[version]
    if not 0 <= low <= high <= bits:
        raise _problem(field, f"{text!r} is outside 0-{bits} or reversed", "invalid-length")
    return LengthRange(low, high)


def parse_range_operator(text: str, *, field: str = "prefix") -> tuple[Network, LengthRange]:
    """An RPSL address prefix with an optional range operator (RFC 2622 2): ``10.0.0.0/8^+``.

    ``^-`` is the more specifics only, ``^+`` the prefix and its more specifics, ``^n`` the more
    specifics of length ``n``, ``^n-m`` those of lengths ``n`` to ``m``.
    """
    match = _RANGE_OPERATOR.match(text.strip())
    if not match:
        raise _problem(field, f"{text!r} is not a prefix with a range operator", "invalid-prefix")
    net = parse_prefix(match.group("prefix"), field=field)
    bits = _BITS[net.version]
    op = match.group("op")
    length = net.prefixlen
    if op is None:
        return net, LengthRange(length, length)
    if op == "+":
        return net, LengthRange(length, bits)
    if op == "-":
        if length == bits:
            raise _problem(field, f"{text!r}: a host prefix has no more specifics", "invalid-range")
        return net, LengthRange(length + 1, bits)
    bounds = parse_length_range(op, net.version, field=field)
    if bounds.low < length:
        raise _problem(field, f"{text!r}: range starts above the prefix", "invalid-range")
    return net, bounds


def prefix_key(prefix: Network) -> tuple[int, int, int]:
    """``(version, network as int, length)``: the integer form the fast indexes use."""
    return prefix.version, int(prefix.network_address), prefix.prefixlen
