"""RFC 6811 route origin validation against a set of VRPs.

A route (prefix, origin AS) is

* ``VALID`` when some VRP covers the prefix, has the route's origin AS and a ``maxLength`` at
  least the route's prefix length;
* ``INVALID`` when VRPs cover the prefix but none matches;
* ``NOT_FOUND`` when no VRP covers it.

A VRP for AS0 (RFC 7607, RFC 6483 4) matches no route, so it makes every route it covers
invalid unless another VRP matches. A route whose origin cannot be determined (its AS_PATH ends
in an AS_SET: origin ``None``) matches no VRP either (RFC 6811 2).

The index keeps, per address family, one dict per VRP prefix length mapping the network (as an
integer shifted to that length) to its ``(maxLength, ASN)`` pairs. A lookup walks the lengths
present in the index up to the route's length (precomputed per route length): at most 25
dict probes for an IPv4 /24, a few microseconds per lookup in plain Python.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator
from enum import StrEnum

from ixcenter.core.prefixes import Network
from ixcenter.routing.rpki.vrps import Vrp

logger = logging.getLogger(__name__)

_BITS = {4: 32, 6: 128}

Level = tuple[int, int, dict[int, tuple[tuple[int, int], ...]]]
Probe = tuple[int, dict[int, tuple[tuple[int, int], ...]]]


class OriginValidity(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_FOUND = "not-found"


class VrpIndex:
    """VRPs indexed for origin validation; build once per VRP file, query many times."""

    def __init__(self, vrps: Iterable[Vrp]) -> None:
        tables: dict[int, dict[int, dict[int, set[tuple[int, int]]]]] = {4: {}, 6: {}}
        for vrp in vrps:
            prefix = vrp.prefix
            length = prefix.prefixlen
            key = int(prefix.network_address) >> (_BITS[prefix.version] - length)
            by_key = tables[prefix.version].setdefault(length, {})
            by_key.setdefault(key, set()).add((vrp.max_length, vrp.asn))
        self._levels: dict[int, tuple[Level, ...]] = {}
        self._probes: dict[int, tuple[tuple[Probe, ...], ...]] = {}
        self._count = 0
        for version, by_length in tables.items():
            levels: list[Level] = []
            for length in sorted(by_length):
                frozen = {key: tuple(sorted(pairs)) for key, pairs in by_length[length].items()}
                self._count += sum(len(pairs) for pairs in frozen.values())
                levels.append((length, _BITS[version] - length, frozen))
            self._levels[version] = tuple(levels)
            # per route length, the (shift, table) pairs of the VRP lengths not longer than it
            self._probes[version] = tuple(
                tuple((shift, table) for vrp_len, shift, table in levels if vrp_len <= length)
                for length in range(_BITS[version] + 1)
            )
        logger.debug("VRP index: %d unique VRPs", self._count)

    def __len__(self) -> int:
        """Unique (prefix, maxLength, ASN) triples."""
        return self._count

    def validate(self, prefix: Network | str, origin: int | None) -> OriginValidity:
        """The RFC 6811 state of ``prefix`` announced with origin AS ``origin``."""
        net = ipaddress.ip_network(prefix) if isinstance(prefix, str) else prefix
        return self.validate_int(net.version, int(net.network_address), net.prefixlen, origin)

    def validate_int(
        self, version: int, network: int, length: int, origin: int | None
    ) -> OriginValidity:
        """``validate`` on integers: family 4 or 6, network address as int, prefix length."""
        covered = False
        matchable = origin is not None and origin != 0
        for shift, table in self._probes[version][length]:
            pairs = table.get(network >> shift)
            if pairs:
                covered = True
                if matchable:
                    for max_length, asn in pairs:
                        if asn == origin and length <= max_length:
                            return OriginValidity.VALID
        return OriginValidity.INVALID if covered else OriginValidity.NOT_FOUND

    def covering(self, prefix: Network | str) -> Iterator[Vrp]:
        """The VRPs that cover ``prefix``, shortest first (for reports and the looking glass)."""
        net = ipaddress.ip_network(prefix) if isinstance(prefix, str) else prefix
        bits = _BITS[net.version]
        network = int(net.network_address)
        for vrp_length, shift, table in self._levels[net.version]:
            if vrp_length > net.prefixlen:
                break
            key = network >> shift
            for max_length, asn in table.get(key, ()):
                covering = ipaddress.ip_network((key << (bits - vrp_length), vrp_length))
                yield Vrp(covering, max_length, asn)
