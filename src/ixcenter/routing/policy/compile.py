"""The route-server compiler: plain inputs and IRR data in, a ``RouteServer`` out.

For one route server (``rs1`` or ``rs2``) on one peering LAN, every member router that takes
part in route-server peering and shares an address family with the route server becomes a
``Client``:

* ``allowed_origins``: the member's AS-SET expanded through the injected ``IrrSource`` (its own
  ASN alone when it registered no AS-SET), always with the member's ASN added; problems met on
  the way (unknown sets, loops, limits) go to ``irr_problems`` for reports;
* ``allowed_prefixes``: the route/route6 objects of those origins, in the member's IRR sources,
  of the families it has a session in, as ``PrefixRules`` (packed; a sequence of ``PrefixRule``):
  each rule of exactly its prefix's own length, or up to the longest accepted length when
  ``PolicySettings.irr_more_specifics`` is on;
* ``next_hops``: per ``NextHopMode``, the router's own addresses or every LAN address of the
  same organisation.

Results are memoised per (AS-SET, sources) and shared between clients, so the routers of one
member cost one expansion and the renderers can print shared data once. Clients are ordered by
ASN, then address; their keys (``AS64500_1``, ``AS64500_2``) count routers per ASN in that order,
so the same registry gives the same configuration, byte for byte.

Speed: the IRR data arrives as ``prefix_keys`` (ints) and stays packed in ``PrefixRules``, so
no ``ipaddress`` object is made for a prefix: from a warm ``IrrCache`` 1,000 members (~313k
route and route6 objects) compile in ~0.2 s (``bench/bench_route_servers.py``).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ixcenter.core.errors import Problem, Problems, ValidationFailed
from ixcenter.core.prefixes import Network
from ixcenter.routing.irr.asset import Expansion
from ixcenter.routing.policy.inputs import (
    BLACKHOLE_PURPOSE,
    LanInputs,
    MemberRouter,
    route_server_purposes,
)
from ixcenter.routing.policy.model import (
    Address,
    Client,
    NextHopMode,
    PolicySettings,
    RouteServer,
)
from ixcenter.routing.policy.rules import PrefixRules
from ixcenter.routing.policy.sources import IrrSource

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

_BITS = {4: 32, 6: 128}


@dataclass(frozen=True, slots=True)
class _Irr:
    origins: frozenset[int]
    problems: tuple[str, ...]
    prefixes: PrefixRules


class _Compiler:
    def __init__(self, irr: IrrSource, settings: PolicySettings) -> None:
        self.irr = irr
        self.settings = settings
        self._expansions: dict[tuple[str, tuple[str, ...]], Expansion] = {}
        self._results: dict[tuple[str, tuple[str, ...], int, tuple[int, ...]], _Irr] = {}

    def expansion(self, router: MemberRouter) -> Expansion:
        name = (router.as_set or f"AS{router.asn}").strip().upper()
        key = (name, router.irr_sources)
        found = self._expansions.get(key)
        if found is None:
            found = self.irr.origins_of_set(name, sources=router.irr_sources or None)
            self._expansions[key] = found
        return found

    def irr_data(self, router: MemberRouter, families: tuple[int, ...]) -> _Irr:
        expansion = self.expansion(router)
        key = (expansion.name, router.irr_sources, router.asn, families)
        found = self._results.get(key)
        if found is not None:
            return found
        origins = expansion.asns | {router.asn}
        ordered = sorted(origins)
        keys: dict[int, Sequence[int]] = {4: (), 6: ()}
        for version in families:
            sources = router.irr_sources or None
            keys[version] = self.irr.prefix_keys_of_asns(ordered, version, sources)
        more = self.settings.irr_more_specifics
        rules = PrefixRules(
            keys[4],
            keys[6],
            longest4=self.settings.lengths(4).longest if more else None,
            longest6=self.settings.lengths(6).longest if more else None,
        )
        problems = tuple(str(problem) for problem in expansion.problems)
        found = self._results[key] = _Irr(frozenset(origins), problems, rules)
        return found


def _sort_key(router: MemberRouter) -> tuple[int, int, int, int]:
    v4 = int(router.ipv4) if router.ipv4 is not None else -1
    v6 = int(router.ipv6) if router.ipv6 is not None else -1
    return router.asn, v4, v6, router.organisation_id


def _organisation_addresses(routers: Sequence[MemberRouter]) -> dict[int, frozenset[Address]]:
    found: dict[int, set[Address]] = {}
    for router in routers:
        found.setdefault(router.organisation_id, set()).update(router.addresses)
    return {organisation: frozenset(addresses) for organisation, addresses in found.items()}


def _route_server_addresses(
    lan: LanInputs, name: str, problems: Problems
) -> tuple[ipaddress.IPv4Address | None, ipaddress.IPv6Address | None]:
    purposes = route_server_purposes(name)
    ipv4 = lan.reserved_for(purposes, 4)
    ipv6 = lan.reserved_for(purposes, 6)
    if ipv4 is None and ipv6 is None:
        problems.add("reserved", f"no address reserved for route server {name}", "no-rs-address")
    return (
        ipv4 if isinstance(ipv4, ipaddress.IPv4Address) else None,
        ipv6 if isinstance(ipv6, ipaddress.IPv6Address) else None,
    )


def _lan_prefixes(lan: LanInputs) -> tuple[Network, ...]:
    own = [p for p in (lan.ipv4_prefix, lan.ipv6_prefix) if p is not None]
    unique = {(p.version, int(p.network_address), p.prefixlen): p for p in [*lan.bogon_lans, *own]}
    return tuple(unique[key] for key in sorted(unique))


def compile_route_server(
    lan: LanInputs,
    routers: Sequence[MemberRouter],
    irr: IrrSource,
    *,
    name: str = "rs1",
    settings: PolicySettings | None = None,
    router_id: ipaddress.IPv4Address | None = None,
    rtr_host: str = "127.0.0.1",
    rtr_port: int = 8323,
    progress: Progress | None = None,
) -> RouteServer:
    """The policy of route server ``name`` on ``lan`` for ``routers`` (see the module docstring).

    Raises ``ValidationFailed`` when the LAN reserves no address for the route server or no
    IPv4 router ID can be found.
    """
    settings = settings or PolicySettings()
    problems = Problems()
    ipv4, ipv6 = _route_server_addresses(lan, name, problems)
    problems.raise_if_any()
    rid = router_id or ipv4
    if rid is None:
        message = f"{name} has no IPv4 address to use as router ID"
        raise ValidationFailed([Problem("router_id", message, "no-router-id")])
    served = tuple(v for v, address in ((4, ipv4), (6, ipv6)) if address is not None)
    candidates = sorted(
        (
            r
            for r in routers
            if r.rs_participation and any(r.ipv4 if v == 4 else r.ipv6 for v in served)
        ),
        key=_sort_key,
    )
    compiler = _Compiler(irr, settings)
    same_member = _organisation_addresses(routers)
    clients: list[Client] = []
    counts: dict[int, int] = {}
    total = len(candidates)
    for done, router in enumerate(candidates, start=1):
        counts[router.asn] = counts.get(router.asn, 0) + 1
        families = tuple(v for v in served if (router.ipv4 if v == 4 else router.ipv6))
        data = compiler.irr_data(router, families)
        clients.append(
            Client(
                key=f"AS{router.asn}_{counts[router.asn]}",
                asn=router.asn,
                name=router.name,
                ipv4=router.ipv4 if 4 in families else None,
                ipv6=router.ipv6 if 6 in families else None,
                max_prefix_v4=router.max_prefix_v4,
                max_prefix_v6=router.max_prefix_v6,
                as_set=router.as_set,
                allowed_origins=data.origins,
                allowed_prefixes=data.prefixes,
                next_hops=(
                    frozenset(router.addresses)
                    if settings.next_hop is NextHopMode.OWN
                    else same_member[router.organisation_id]
                ),
                md5_password=router.md5_password,
                blackhole_opt_in=router.blackhole_opt_in,
                irr_problems=data.problems,
            )
        )
        if progress is not None:
            progress(done, total)
    blackhole_v4 = lan.reserved_for(frozenset({BLACKHOLE_PURPOSE}), 4)
    blackhole_v6 = lan.reserved_for(frozenset({BLACKHOLE_PURPOSE}), 6)
    logger.info("route server %s on %s: %d clients", name, lan.exchange, len(clients))
    return RouteServer(
        name=name,
        exchange=lan.exchange,
        asn=lan.rs_asn,
        router_id=rid,
        ipv4=ipv4,
        ipv6=ipv6,
        lan_prefixes=_lan_prefixes(lan),
        blackhole_v4=blackhole_v4 if isinstance(blackhole_v4, ipaddress.IPv4Address) else None,
        blackhole_v6=blackhole_v6 if isinstance(blackhole_v6, ipaddress.IPv6Address) else None,
        rtr_host=rtr_host,
        rtr_port=rtr_port,
        settings=settings,
        clients=tuple(clients),
    )
