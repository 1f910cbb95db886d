"""The route servers' policy as executable reference semantics, in plain Python.

Reports, the looking glass and the live scenario suite ask this module what a route server does
with a route; both renderers (BIRD for rs1, OpenBGPD for rs2) must make their daemon do exactly
this. ``RS`` is the route server's ASN, ``S`` the client that sent a route, ``P`` a client it may
be exported to. Communities are ``(a, b)`` pairs, large communities ``(a, b, c)`` triples.

Import (a route from ``S``, on a session of address family ``F``)
------------------------------------------------------------------
0. A route whose AS_PATH contains ``RS`` is discarded by BGP loop detection before any policy:
   it is not stored and gets no tag (``ImportVerdict.discarded``).
1. Large communities ``RS:1000-1999:*`` are removed: members cannot set the route server's
   informational and filter tags. Everything else is kept as received.
2. The route is a *blackhole request* when it carries ``65535:666`` (RFC 7999), blackholing is on
   (``settings.blackhole``) and the route server has a blackhole next hop of the prefix's family;
   otherwise ``65535:666`` is an ordinary community.
3. Every check runs (none stops the others); each violation adds ``RS:1101:<reason>``:

   ==  ==========================================================================================
   16  the prefix's family is not ``F``
   1   prefix longer than ``settings.ipvX_lengths.longest``; for a blackhole request the limit
       is the whole address (/32, /128) instead
   2   prefix shorter than ``settings.ipvX_lengths.shortest``; a default route is always too short
   3   bogon: ``core.prefixes.bogon_reason`` (inside or covering special-purpose space that is not
       globally reachable, judged by the most specific IANA block, so a globally reachable block
       nested in a bogon block, such as ``2001:4:112::/48`` AS112 in ``2001::/23``, is fine), or
       equal to or inside one of the exchange's LAN prefixes (``RouteServer.lan_prefixes``)
   6   AS_PATH shorter than ``settings.as_path_shortest`` (an empty path is)
   5   AS_PATH longer than ``settings.as_path_longest``
   7   the first AS is not ``S``'s ASN (an empty path has no first AS)
   4   any ASN in the AS_PATH is not public (``core.asns.is_public``: 0, AS_TRANS, documentation,
       private and reserved ranges)
   14  an ASN of ``settings.transit_free_asns`` other than ``S``'s own ASN is in the AS_PATH
       (so a transit-free member may send its own, prepended routes)
   8   NEXT_HOP not in ``S.next_hops``
   13  RPKI INVALID (RFC 6811, origin = last AS, none for an empty path) when
       ``settings.reject_rpki_invalid``; never for a blackhole request: a /32 inside a /24 ROA
       would always be invalid (maxLength), so RPKI cannot judge blackholes
   10  the origin AS is not in ``S.allowed_origins`` (``settings.irr_origin_check``)
   9   ``settings.irr_prefix_check``: the prefix matches no ``S.allowed_prefixes`` rule; skipped
       when the route is RPKI VALID and ``settings.rpki_valid_bypasses_irr_prefix``. For a
       blackhole request: the prefix is not equal to or inside some rule's prefix (any length)
   15  more than ``settings.max_communities`` standard communities, or more than that many
       large communities (after step 1); counted per kind because OpenBGPD can only count so
   ==  ==========================================================================================

4. A route with a tag is *filtered*: it stays in the route server's table with the lowest
   preference (BIRD ``preference = 1``; it never wins over an accepted route) and is never
   exported. Nothing else about it changes.
5. An accepted route gets ``RS:1000:1`` (RPKI VALID), ``RS:1000:2`` (NOT FOUND) or ``RS:1000:3``
   (not checked: a blackhole request, or no VRPs given here); an accepted INVALID route (only
   when invalids are not rejected) gets no ``RS:1000`` tag. A blackhole request's NEXT_HOP is
   rewritten to the route server's blackhole address of its family and ``NO_EXPORT`` is added.
   ``65535:0`` (RFC 8326, when ``settings.graceful_shutdown``) sets LOCAL_PREF 0 on the route
   server, so another path wins when there is one; the community is kept.

Export (an accepted route from ``S`` to ``P``)
-----------------------------------------------
The route is not sent when any of these holds, in this order:
``P`` has no session of the prefix's family; ``P``'s ASN is ``S``'s ASN; it is a blackhole and
``P`` has not opted in (``blackhole_opt_in``); ``RS:0:P`` or ``0:P`` is present; ``RS:0:0`` or
``0:RS`` is present and neither ``RS:1:P`` nor ``RS:P`` is. Otherwise ``P`` receives it with:

* the AS_PATH prepended ``n`` times with ``S``'s ASN, ``n`` the largest of ``RS:101-103:P`` and
  ``65501-65503:P`` present (0 when none);
* every standard community ``0:*``, ``RS:*`` and ``65501-65503:*`` and every large community
  ``RS:*:*`` removed; all others kept (``65535:0``, ``65535:666``, ``NO_EXPORT`` and
  ``NO_ADVERTISE`` included: the route server passes RFC 1997 well-known communities on and does
  not act on them itself);
* the NEXT_HOP as stored (the blackhole address for blackholes, otherwise ``S``'s).

A standard community can only name 16-bit ASNs: ``0:P`` and ``65501-65503:P`` are recognised
when ``P`` fits 16 bits, ``0:RS`` when ``RS`` does, ``RS:P`` when both do. (``P`` still drops a
route whose AS_PATH contains its own ASN: that is ``P``'s loop detection, not the route server.)

Out of scope here, handled by the daemons alike: RFC 9234 roles (routes carrying OTC from a
member are dropped before policy; the route server adds OTC on export), max-prefix limits, and
BIRD's rule that a NEXT_HOP outside the peering LAN makes the update a withdrawal before policy
runs. Of several accepted paths for one prefix, the route server prefers higher ``rank``;
ties are broken differently by BIRD and OpenBGPD, so tests must accept either of equal rank.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from ixcenter.core.asns import is_public
from ixcenter.core.prefixes import Network, bogon_reason
from ixcenter.routing.policy.model import (
    ANNOUNCE,
    BLACKHOLE,
    DO_NOT_ANNOUNCE,
    GRACEFUL_SHUTDOWN,
    NO_EXPORT,
    PREPEND_LARGE,
    PREPEND_STANDARD,
    Address,
    Client,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.policy.reasons import FILTERED, RPKI_INFO, Reason, RpkiInfo
from ixcenter.routing.rpki.validation import OriginValidity, VrpIndex

_BITS = {4: 32, 6: 128}
_SIXTEEN_BITS = 0xFFFF
DEFAULT_LOCAL_PREF = 100


@dataclass(frozen=True, slots=True)
class Route:
    """A BGP route as a member sends it, as the route server stores it, or as a peer gets it."""

    prefix: Network
    as_path: tuple[int, ...]
    next_hop: Address
    communities: frozenset[tuple[int, int]] = frozenset()
    large_communities: frozenset[tuple[int, int, int]] = frozenset()

    @property
    def origin(self) -> int | None:
        return self.as_path[-1] if self.as_path else None


@dataclass(frozen=True, slots=True)
class ImportVerdict:
    """What the route server did with one received route."""

    received: Route
    stored: Route | None  # as kept in the route server's table; None when discarded
    reasons: tuple[Reason, ...]  # the RS:1101 tags, in code order
    rpki: OriginValidity | None  # None: not checked
    blackhole: bool
    graceful_shutdown: bool
    local_pref: int = DEFAULT_LOCAL_PREF

    @property
    def discarded(self) -> bool:
        return self.stored is None

    @property
    def accepted(self) -> bool:
        return self.stored is not None and not self.reasons

    @property
    def rpki_info(self) -> RpkiInfo | None:
        """The ``RS:1000`` value an accepted route carries."""
        if not self.accepted:
            return None
        if self.rpki is None:
            return RpkiInfo.NOT_CHECKED
        return {
            OriginValidity.VALID: RpkiInfo.VALID,
            OriginValidity.NOT_FOUND: RpkiInfo.UNKNOWN,
        }.get(self.rpki)


class _RuleIndex:
    """``PrefixRule``s by family and prefix length, for ``covers`` and ``inside`` lookups."""

    def __init__(self, rules: Iterable[PrefixRule]) -> None:
        tables: dict[int, dict[int, dict[int, list[tuple[int, int]]]]] = {4: {}, 6: {}}
        for rule in rules:
            net = rule.prefix
            shift = _BITS[net.version] - net.prefixlen
            by_key = tables[net.version].setdefault(net.prefixlen, {})
            by_key.setdefault(int(net.network_address) >> shift, []).append(
                (rule.shortest, rule.longest)
            )
        self._tables = tables

    def _candidates(self, prefix: Network) -> Iterable[tuple[int, int]]:
        bits = _BITS[prefix.version]
        address = int(prefix.network_address)
        for length, table in self._tables[prefix.version].items():
            if length <= prefix.prefixlen:
                yield from table.get(address >> (bits - length), ())

    def covers(self, prefix: Network) -> bool:
        """Some rule accepts exactly this prefix (its length within the rule's range)."""
        length = prefix.prefixlen
        return any(lo <= length <= hi for lo, hi in self._candidates(prefix))

    def inside(self, prefix: Network) -> bool:
        """The prefix equals or lies inside some rule's prefix, whatever its length."""
        return any(True for _ in self._candidates(prefix))


class Evaluator:
    """The policy of one route server, with per-client indexes built once and reused."""

    def __init__(self, rs: RouteServer, vrps: VrpIndex | None = None) -> None:
        self.rs = rs
        self.vrps = vrps
        self._indexes: dict[str, _RuleIndex] = {}
        self._clients = {client.key: client for client in rs.clients}

    def client(self, key: str) -> Client:
        return self._clients[key]

    def _index(self, client: Client) -> _RuleIndex:
        found = self._indexes.get(client.key)
        if found is None:
            found = self._indexes[client.key] = _RuleIndex(client.allowed_prefixes)
        return found

    # --- import --------------------------------------------------------------------------------

    def _is_bogon(self, prefix: Network) -> bool:
        if bogon_reason(prefix) is not None:
            return True
        return any(
            lan.version == prefix.version and prefix.subnet_of(lan)  # type: ignore[arg-type]
            for lan in self.rs.lan_prefixes
        )

    def import_route(
        self, client: Client, route: Route, *, family: int | None = None
    ) -> ImportVerdict:
        """The verdict on ``route`` received from ``client`` on a session of ``family``."""
        rs, settings = self.rs, self.rs.settings
        prefix, path = route.prefix, route.as_path
        version = prefix.version
        blackhole_hop = rs.blackhole_next_hop(version) if BLACKHOLE in route.communities else None
        blackhole = blackhole_hop is not None
        gshut = settings.graceful_shutdown and GRACEFUL_SHUTDOWN in route.communities
        if rs.asn in path:
            return ImportVerdict(route, None, (), None, blackhole, gshut)
        large = frozenset(
            c for c in route.large_communities if not (c[0] == rs.asn and 1000 <= c[1] <= 1999)
        )
        reasons: set[Reason] = set()
        if (family or version) != version:
            reasons.add(Reason.WRONG_ADDRESS_FAMILY)
        lengths = settings.lengths(version)
        longest = _BITS[version] if blackhole else lengths.longest
        if prefix.prefixlen > longest:
            reasons.add(Reason.PREFIX_TOO_LONG)
        if prefix.prefixlen < lengths.shortest or prefix.prefixlen == 0:
            reasons.add(Reason.PREFIX_TOO_SHORT)
        if self._is_bogon(prefix):
            reasons.add(Reason.BOGON)
        if len(path) < settings.as_path_shortest:
            reasons.add(Reason.AS_PATH_TOO_SHORT)
        if len(path) > settings.as_path_longest:
            reasons.add(Reason.AS_PATH_TOO_LONG)
        if not path or path[0] != client.asn:
            reasons.add(Reason.FIRST_AS_NOT_PEER_AS)
        if any(not is_public(asn) for asn in path):
            reasons.add(Reason.BOGON_ASN)
        if any(a in settings.transit_free_asns and a != client.asn for a in path):
            reasons.add(Reason.TRANSIT_FREE_ASN)
        if route.next_hop not in client.next_hops:
            reasons.add(Reason.NEXT_HOP_NOT_PEER_IP)
        rpki = None
        if self.vrps is not None and not blackhole:
            rpki = self.vrps.validate(prefix, route.origin)
        if rpki is OriginValidity.INVALID and settings.reject_rpki_invalid:
            reasons.add(Reason.RPKI_INVALID)
        if settings.irr_origin_check and route.origin not in client.allowed_origins:
            reasons.add(Reason.IRR_ORIGIN)
        if settings.irr_prefix_check:
            index = self._index(client)
            if blackhole:
                if not index.inside(prefix):
                    reasons.add(Reason.IRR_PREFIX)
            elif not (
                rpki is OriginValidity.VALID and settings.rpki_valid_bypasses_irr_prefix
            ) and not index.covers(prefix):
                reasons.add(Reason.IRR_PREFIX)
        if max(len(route.communities), len(large)) > settings.max_communities:
            reasons.add(Reason.TOO_MANY_COMMUNITIES)
        ordered = tuple(sorted(reasons))
        local_pref = 0 if gshut else DEFAULT_LOCAL_PREF
        if ordered:
            tags = frozenset((rs.asn, FILTERED, int(r)) for r in ordered)
            stored = replace(route, large_communities=large | tags)
            return ImportVerdict(route, stored, ordered, rpki, blackhole, gshut, local_pref)
        verdict = ImportVerdict(route, route, (), rpki, blackhole, gshut, local_pref)
        info = verdict.rpki_info
        if info is not None:
            large = large | {(rs.asn, RPKI_INFO, int(info))}
        stored = replace(route, large_communities=large)
        if blackhole_hop is not None:
            communities = route.communities | {NO_EXPORT}
            stored = replace(stored, next_hop=blackhole_hop, communities=communities)
        return replace(verdict, stored=stored)

    # --- export --------------------------------------------------------------------------------

    def export_route(self, verdict: ImportVerdict, source: Client, peer: Client) -> Route | None:
        """What ``peer`` receives of ``verdict``'s route from ``source`` (``None``: nothing)."""
        stored = verdict.stored
        if stored is None or verdict.reasons:
            return None
        rs = self.rs.asn
        p = peer.asn
        if peer.address(stored.prefix.version) is None or p == source.asn:
            return None
        if verdict.blackhole and not peer.blackhole_opt_in:
            return None
        std, large = stored.communities, stored.large_communities
        if not announced_to(std, large, rs, p):
            return None
        p16 = p <= _SIXTEEN_BITS
        prepends = 0
        for times, (large_code, standard) in enumerate(
            zip(PREPEND_LARGE, PREPEND_STANDARD, strict=True), start=1
        ):
            if (rs, large_code, p) in large or (p16 and (standard, p) in std):
                prepends = times
        return Route(
            prefix=stored.prefix,
            as_path=(source.asn,) * prepends + stored.as_path,
            next_hop=stored.next_hop,
            communities=frozenset(c for c in std if not _stripped(c, rs)),
            large_communities=frozenset(c for c in large if c[0] != rs),
        )


def announced_to(
    communities: Collection[tuple[int, int]],
    large_communities: Collection[tuple[int, int, int]],
    rs: int,
    peer: int,
) -> bool:
    """Whether a route's announcement-control communities let the route server of AS ``rs``
    send it to AS ``peer``: ``RS:0:P``/``0:P`` never to P; ``RS:0:0``/``0:RS`` to nobody but
    those named by ``RS:1:P``/``RS:P`` (the standard forms only where the ASNs fit 16 bits)."""
    p16, rs16 = peer <= _SIXTEEN_BITS, rs <= _SIXTEEN_BITS
    if (rs, DO_NOT_ANNOUNCE, peer) in large_communities or (p16 and (0, peer) in communities):
        return False
    blocked = (rs, DO_NOT_ANNOUNCE, 0) in large_communities or (rs16 and (0, rs) in communities)
    allowed = (rs, ANNOUNCE, peer) in large_communities or (
        rs16 and p16 and (rs, peer) in communities
    )
    return not blocked or allowed


def _stripped(community: tuple[int, int], rs: int) -> bool:
    first = community[0]
    return first == 0 or first == rs or first in PREPEND_STANDARD


def rank(verdict: ImportVerdict) -> tuple[int, int, int]:
    """How the route server orders paths for one prefix: higher wins (ties: daemon-specific)."""
    stored = verdict.stored
    length = len(stored.as_path) if stored is not None else 0
    return (int(verdict.accepted), verdict.local_pref, -length)


def evaluate_import(
    rs: RouteServer,
    client: Client,
    route: Route,
    vrps: VrpIndex | None = None,
    *,
    family: int | None = None,
) -> ImportVerdict:
    """``Evaluator(rs, vrps).import_route(client, route, family=family)`` for one-off use."""
    return Evaluator(rs, vrps).import_route(client, route, family=family)


def evaluate_export(
    rs: RouteServer, verdict: ImportVerdict, source: Client, peer: Client
) -> Route | None:
    return Evaluator(rs).export_route(verdict, source, peer)
