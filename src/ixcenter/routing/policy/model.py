"""The route-server policy as plain data: what the compiler computes and the renderers print.

One ``RouteServer`` describes one daemon instance (rs1 on BIRD, rs2 on OpenBGPD) on one peering
LAN: its own identity, the exchange-wide ``PolicySettings`` and one ``Client`` per member router
(a member ASN with an address on the LAN). Every per-client decision (allowed origins and
prefixes, accepted next hops, max-prefix, blackhole opt-in) is made here, in Python, so the two
renderers only print it and behave the same.

Announcement control (RFC 7948 4.6, the usual IXP convention, standard and large form; ``RS`` is
the route server's ASN, ``P`` a peer's ASN):

==========================  ================  ==============
meaning                     standard          large
==========================  ================  ==============
do not announce to P        ``0:P``           ``RS:0:P``
do not announce to anyone   ``0:RS``          ``RS:0:0``
announce to P (even if      ``RS:P``          ``RS:1:P``
blocked for everyone)
prepend 1-3 times to P      ``65501-65503:P`` ``RS:101-103:P``
==========================  ================  ==============

"Announce only to P" is "do not announce to anyone" plus "announce to P". Standard forms exist
only for 16-bit peer ASNs. All of these, and the route server's informational communities, are
removed before a route is exported.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from ixcenter.core.prefixes import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

GRACEFUL_SHUTDOWN = (65535, 0)  # RFC 8326
BLACKHOLE = (65535, 666)  # RFC 7999
NO_EXPORT = (65535, 65281)  # RFC 1997

DO_NOT_ANNOUNCE = 0  # RS:0:P and 0:P
ANNOUNCE = 1  # RS:1:P and RS:P
PREPEND_LARGE = (101, 102, 103)  # RS:101:P ... RS:103:P, prepend 1-3 times
PREPEND_STANDARD = (65501, 65502, 65503)  # 65501:P ... 65503:P


class NextHopMode(enum.StrEnum):
    """Which NEXT_HOP a member may send."""

    OWN = "own"  # exactly the address of the session's router
    SAME_MEMBER = "same-member"  # any LAN address of the same member (organisation)


class MaxPrefixAction(enum.StrEnum):
    """What a route server does when a member sends more prefixes than its limit."""

    RESTART = "restart"  # tear the session down, let it come back after a pause
    SHUTDOWN = "shutdown"  # tear it down until an operator restarts it
    BLOCK = "block"  # keep the session, ignore prefixes past the limit (BIRD only; rs2 restarts)


@dataclass(frozen=True, slots=True)
class LengthLimits:
    """Accepted prefix lengths, inclusive."""

    shortest: int
    longest: int


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Exchange-wide knobs; defaults follow the MANRS actions for IXPs and RFC 7454."""

    ipv4_lengths: LengthLimits = LengthLimits(8, 24)
    ipv6_lengths: LengthLimits = LengthLimits(12, 48)
    as_path_shortest: int = 1
    as_path_longest: int = 32
    transit_free_asns: frozenset[int] = frozenset()
    next_hop: NextHopMode = NextHopMode.OWN
    reject_rpki_invalid: bool = True
    irr_origin_check: bool = True
    irr_prefix_check: bool = True
    rpki_valid_bypasses_irr_prefix: bool = True
    max_prefix_action: MaxPrefixAction = MaxPrefixAction.RESTART
    max_prefix_restart_minutes: int = 30
    blackhole: bool = True
    graceful_shutdown: bool = True
    bgp_role: bool = True  # RFC 9234 "rs_server" role where the daemon supports it
    max_communities: int = 100  # more is RS:1101:15
    irr_more_specifics: bool = False  # route objects allow more specifics up to ``longest``

    def lengths(self, version: int) -> LengthLimits:
        return self.ipv4_lengths if version == 4 else self.ipv6_lengths


@dataclass(frozen=True, slots=True)
class PrefixRule:
    """A prefix a member may announce, with the lengths accepted (``prefix`` le/ge as in RPSL)."""

    prefix: Network
    shortest: int
    longest: int

    def covers(self, other: Network) -> bool:
        return (
            other.version == self.prefix.version
            and self.shortest <= other.prefixlen <= self.longest
            and other.subnet_of(self.prefix)  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class Client:
    """One member router's BGP session(s) on the route server, and what it may announce."""

    key: str  # unique, stable, safe as a daemon object name, e.g. "AS64500_2"
    asn: int
    name: str
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None
    max_prefix_v4: int
    max_prefix_v6: int
    as_set: str | None
    allowed_origins: frozenset[int]  # the AS-SET expanded (always includes ``asn``)
    allowed_prefixes: Sequence[PrefixRule]  # IRR route/route6 objects (``PrefixRules``, a tuple)
    next_hops: frozenset[Address]  # NEXT_HOPs it may send (see ``NextHopMode``)
    md5_password: str | None = None
    blackhole_opt_in: bool = False  # receives RFC 7999 blackhole routes
    irr_problems: tuple[str, ...] = ()  # AS-SET expansion problems, for reports

    def prefixes(self, version: int) -> tuple[PrefixRule, ...]:
        return tuple(r for r in self.allowed_prefixes if r.prefix.version == version)

    def address(self, version: int) -> Address | None:
        """The router's session address of one family (``None``: no session of that family)."""
        return self.ipv4 if version == 4 else self.ipv6


@dataclass(frozen=True, slots=True)
class RouteServer:
    """One route-server instance on one peering LAN, with all its clients."""

    name: str  # "rs1" (BIRD) or "rs2" (OpenBGPD)
    exchange: str  # exchange-center code
    asn: int
    router_id: ipaddress.IPv4Address
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None
    lan_prefixes: tuple[Network, ...]  # the exchange's own LANs: bogons for members' routes
    blackhole_v4: ipaddress.IPv4Address | None
    blackhole_v6: ipaddress.IPv6Address | None
    rtr_host: str = "127.0.0.1"
    rtr_port: int = 8323
    settings: PolicySettings = field(default_factory=PolicySettings)
    clients: tuple[Client, ...] = ()

    def address(self, version: int) -> Address | None:
        return self.ipv4 if version == 4 else self.ipv6

    def blackhole_next_hop(self, version: int) -> Address | None:
        """Where accepted blackhole routes of ``version`` point; ``None``: no blackholing."""
        if not self.settings.blackhole:
            return None
        return self.blackhole_v4 if version == 4 else self.blackhole_v6
