"""What the lab's member routers announce, and the IRR and RPKI data that judges it.

The registry knows members, not the address space they route, so the lab makes both up,
deterministically from the seed: member ``i`` (in ASN order) holds one IPv4 /16 of
``20.0.0.0/8``-``59.0.0.0/8`` and one IPv6 /32 of ``2a0a::/16``. Those blocks are public space,
announced only inside the lab's namespaces, where nothing reaches the internet; the
documentation prefixes cannot be used because every route server rightly filters them as bogons.

Every router that peers with the route servers announces a few good routes (a /20 and /22s,
a /36) with route objects in the lab's RPSL file, and about one in five of them valid in RPKI
too. A realistic share of those members also make a mistake, each one a filter the route
servers must catch (``MISTAKES``): a prefix with no
route object, an RPKI-invalid origin, a /25, a private ASN in the path, an RFC 1918 prefix.
``plan_announcements`` returns each router's routes, the RPSL text (route objects and an
``as-set`` per member that has one in the registry) and the VRPs; ``mistakes`` says which route
is wrong and why, for tests and for the demo's own explanation.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ixcenter.lab.blueprint import RouterPlace
from ixcenter.routing.policy.evaluate import Route
from ixcenter.routing.policy.reasons import Reason
from ixcenter.routing.rpki.vrps import Vrp

V4_BASE = ipaddress.IPv4Network("20.0.0.0/8")
V6_BASE = ipaddress.IPv6Network("2a0a::/16")
MAX_MEMBERS = 40 * 256  # /16s in 20.0.0.0/8 - 59.0.0.0/8
PRIVATE_ASN = 64_512
INVALID_ORIGIN = 64_496 + 15  # a documentation ASN: never a member, so RPKI says invalid
MISTAKE_SHARE = 0.35  # of members

# what a wrong announcement is, and the reason the route servers give
MISTAKES: dict[str, Reason] = {
    "no route object": Reason.IRR_PREFIX,
    "RPKI invalid": Reason.RPKI_INVALID,
    "too long": Reason.PREFIX_TOO_LONG,
    "private ASN in the path": Reason.BOGON_ASN,
    "RFC 1918 prefix": Reason.BOGON,
}


@dataclass(frozen=True, slots=True)
class Mistake:
    router: str  # RouterPlace.key
    route: Route
    kind: str

    @property
    def reason(self) -> Reason:
        return MISTAKES[self.kind]


@dataclass(frozen=True, slots=True)
class Announcements:
    routes: dict[str, tuple[Route, ...]]  # by RouterPlace.key
    rpsl: str
    vrps: tuple[Vrp, ...]
    mistakes: tuple[Mistake, ...]

    def good(self, key: str) -> tuple[Route, ...]:
        """The routes of ``key`` no route server filters."""
        wrong = {m.route.prefix for m in self.mistakes if m.router == key}
        return tuple(r for r in self.routes.get(key, ()) if r.prefix not in wrong)


def member_blocks(index: int) -> tuple[ipaddress.IPv4Network, ipaddress.IPv6Network]:
    """The IPv4 /16 and IPv6 /32 of the ``index``-th member."""
    if not 0 <= index < MAX_MEMBERS:
        raise ValueError(f"the lab numbers at most {MAX_MEMBERS} members")
    v4 = ipaddress.IPv4Network((int(V4_BASE.network_address) + (index << 16), 16))
    v6 = ipaddress.IPv6Network((int(V6_BASE.network_address) + ((index + 1) << 96), 32))
    return v4, v6


def plan_announcements(places: Sequence[RouterPlace], *, seed: int = 1) -> Announcements:
    """Routes, IRR objects and VRPs for ``places`` (see the module doc)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible lab, not secrets
    asns = sorted({p.router.asn for p in places})
    index = {asn: n for n, asn in enumerate(asns)}
    kinds = list(MISTAKES)
    peering = sorted({p.router.asn for p in places if p.router.rs_participation})
    chosen = sorted(rng.sample(peering, _share(peering)))
    wrong = {asn: kinds[n % len(kinds)] for n, asn in enumerate(chosen)}  # every kind from 5 on
    rpsl: list[str] = []
    vrps: list[Vrp] = []
    for asn in asns:
        v4, v6 = member_blocks(index[asn])
        source = _source(places, asn)
        rpsl.append(_aut_num(asn, source))
        sets = {p.router.as_set for p in places if p.router.asn == asn and p.router.as_set}
        rpsl += [_as_set(name, asn, source) for name in sorted(sets)]
        rpsl += [_route(prefix, asn, source) for prefix in _good_prefixes(v4, v6)]
        if rng.random() < 0.2 and asn not in wrong:  # a valid ROA would excuse the mistake
            vrps += [Vrp(v4, 24, asn), Vrp(v6, 48, asn)]
        if wrong.get(asn) == "RPKI invalid":
            invalid = _wrong_prefix("RPKI invalid", index[asn], v4)
            vrps.append(Vrp(invalid, invalid.prefixlen, INVALID_ORIGIN))
            rpsl.append(_route(invalid, asn, source))
    routes: dict[str, tuple[Route, ...]] = {}
    mistakes: list[Mistake] = []
    for place in places:
        if not place.router.rs_participation:
            routes[place.key] = ()  # no route-server sessions: nothing to announce
            continue
        asn = place.router.asn
        v4, v6 = member_blocks(index[asn])
        mine: list[Route] = []
        for prefix in _good_prefixes(v4, v6):
            hop = place.router.ipv4 if prefix.version == 4 else place.router.ipv6
            if hop is not None:
                mine.append(Route(prefix=prefix, as_path=(asn,), next_hop=hop))
        kind = wrong.get(asn)
        if kind is not None and place.router.ipv4 is not None:
            path = (asn, PRIVATE_ASN) if kind == "private ASN in the path" else (asn,)
            prefix = _wrong_prefix(kind, index[asn], v4)
            route = Route(prefix=prefix, as_path=path, next_hop=place.router.ipv4)
            mine.append(route)
            mistakes.append(Mistake(place.key, route, kind))
        routes[place.key] = tuple(mine)
    return Announcements(routes, "\n".join(rpsl), tuple(vrps), tuple(mistakes))


def _share(asns: Sequence[int]) -> int:
    """How many members make a mistake: ``MISTAKE_SHARE``, and at least one of two or more."""
    return max(round(len(asns) * MISTAKE_SHARE), 1 if len(asns) > 1 else 0)


def _source(places: Sequence[RouterPlace], asn: int) -> str:
    """The IRR source the member's objects are written to: the first it names, else LAB."""
    for place in places:
        if place.router.asn == asn and place.router.irr_sources:
            return place.router.irr_sources[0]
    return "LAB"


def _good_prefixes(
    v4: ipaddress.IPv4Network, v6: ipaddress.IPv6Network
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    subnets = list(v4.subnets(new_prefix=22))
    return [
        next(v4.subnets(new_prefix=20)),
        subnets[4],
        subnets[5],
        next(v6.subnets(new_prefix=36)),
    ]


def _wrong_prefix(kind: str, index: int, v4: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    subnets = list(v4.subnets(new_prefix=24))
    if kind == "too long":
        return next(v4.subnets(new_prefix=25))
    if kind == "RFC 1918 prefix":
        return ipaddress.IPv4Network((int(ipaddress.IPv4Address("10.0.0.0")) + (index << 16), 16))
    return subnets[200 + kinds_index(kind)]


def kinds_index(kind: str) -> int:
    return list(MISTAKES).index(kind)


def _aut_num(asn: int, source: str) -> str:
    return f"aut-num: AS{asn}\nas-name: LAB-AS{asn}\nsource: {source}\n"


def _as_set(name: str, asn: int, source: str) -> str:
    return f"as-set: {name}\nmembers: AS{asn}\nsource: {source}\n"


def _route(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network, asn: int, source: str) -> str:
    kind = "route" if prefix.version == 4 else "route6"
    return f"{kind}: {prefix}\norigin: AS{asn}\nsource: {source}\n"
