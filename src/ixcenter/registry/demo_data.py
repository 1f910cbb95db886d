"""A realistic synthetic exchange, built through the services: ``ixc demo-data``.

``generate`` builds three exchange centers (Beijing, Shanghai, Guangdong) with their nodes,
switches, peering LANs and long-distance links, one cross-border channel to an (invented) exchange
in Singapore, a few hundred members of every category and private interconnects of every kind.
Every object is created by the registry services, so every rule (public ASNs, valid licences, free
addresses, port capacity) holds, and the audit log reads as if an operator had done the work.
The same seed gives the same registry; only timestamps come from the registry's clock, and licence
dates are relative to its ``today()``.

Addresses. Peering LANs get IPv4 from 100.64.0.0/10, the Shared Address Space of RFC 6598: it is
not routed on the internet, it belongs to no one (unlike real public space, which would make the
demo claim someone else's addresses), and it is large enough for a /22 per center, which the
documentation blocks of RFC 5737 (three /24s) are not. A real exchange numbers its LANs from public
space; the demo must not. IPv6 comes from the documentation prefix 2001:db8::/32 (RFC 3849), a /64
per center. On each LAN ``.1``/``::1`` and ``.2``/``::2`` are reserved for the route servers and
``.66``/``::66`` for the RFC 7999 blackhole next hop. Link latencies are one-way propagation delays:
great-circle distance, times 1.4 for the fibre route, at 200 km per millisecond.

A member on two centers. The services connect a member once (onboarding); a second port for an
existing organisation cannot be connected to a peering LAN yet. So a few large members get a branch
company (its own licence and ASN, as Chinese branch companies have) at another center.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.core.kinds import OrgCategory, PortKind, ServiceKind
from ixcenter.registry.db import Registry
from ixcenter.registry.demo_names import (
    CENTERS,
    FOREIGN_COUNTRY,
    FOREIGN_EXCHANGE,
    FOREIGN_LATITUDE,
    FOREIGN_LONGITUDE,
    SWITCH_MODELS,
)
from ixcenter.registry.demo_plan import AsnPool, Layout, MemberPlan, plan_layout, plan_members
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    LongDistanceLink,
    Node,
    Organisation,
    PeeringLan,
    Port,
    Service,
    Switch,
)
from ixcenter.registry.services import interconnects, lookups, ports, topology
from ixcenter.registry.services import members as member_service

ACTOR = "demo-data"
SHARED_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598
ROUTE_FACTOR = 1.4  # fibre route length / great-circle distance
KM_PER_MS = 200.0  # light in fibre
_BANDWIDTHS = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``generate`` built, counted in the registry afterwards."""

    exchanges: int
    nodes: int
    switches: int
    lans: int
    links: int
    members: int
    branches: int
    ports: int
    lags: int
    assignments: int
    interconnects: int
    expired_licences: int

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class _Connected:
    """A member port as the interconnect planner sees it."""

    category: OrgCategory
    organisation_id: int
    asn: int
    port_id: int
    speed_mbps: int
    primary: bool
    vlans: set[int] = field(default_factory=set)
    committed: int = 0


# Private interconnects: the categories at each end, and how many per member of the exchange.
_ROLES: dict[ServiceKind, tuple[frozenset[OrgCategory], ...]] = {
    ServiceKind.MULTI_CLOUD: (
        frozenset({OrgCategory.ENTERPRISE, OrgCategory.CONTENT, OrgCategory.AI_COMPUTING_CENTER}),
        frozenset({OrgCategory.CLOUD}),
        frozenset({OrgCategory.CLOUD}),
    ),
    ServiceKind.ENTERPRISE_CLOUD: (
        frozenset({OrgCategory.ENTERPRISE}),
        frozenset({OrgCategory.CLOUD, OrgCategory.GOVERNMENT_CLOUD}),
    ),
    ServiceKind.FIVE_G_VPN: (
        frozenset({OrgCategory.BASIC_CARRIER}),
        frozenset({OrgCategory.ENTERPRISE}),
    ),
    ServiceKind.INDUSTRIAL_INTERNET: (
        frozenset({OrgCategory.ENTERPRISE}),
        frozenset({OrgCategory.DATA_CENTER, OrgCategory.AI_COMPUTING_CENTER, OrgCategory.CLOUD}),
    ),
    ServiceKind.SATELLITE: (
        frozenset({OrgCategory.VALUE_ADDED_TELECOM}),
        frozenset({OrgCategory.ISP, OrgCategory.BASIC_CARRIER, OrgCategory.GOVERNMENT_CLOUD}),
    ),
    ServiceKind.CROSS_BORDER: (
        frozenset({OrgCategory.INTERNATIONAL_NETWORK}),
        frozenset({OrgCategory.BASIC_CARRIER, OrgCategory.CLOUD, OrgCategory.CONTENT}),
    ),
}
_SHARE: dict[ServiceKind, float] = {
    ServiceKind.MULTI_CLOUD: 0.03,
    ServiceKind.ENTERPRISE_CLOUD: 0.04,
    ServiceKind.FIVE_G_VPN: 0.02,
    ServiceKind.INDUSTRIAL_INTERNET: 0.02,
    ServiceKind.SATELLITE: 0.01,
    ServiceKind.CROSS_BORDER: 0.02,
}


def generate(
    registry: Registry,
    *,
    seed: int = 1,
    members: int = 300,
    centers: int = len(CENTERS),
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty, migrated ``registry`` with a demo exchange of ``members`` member networks
    in ``centers`` exchange centers (1 to 3: Beijing, Shanghai, Guangdong, in that order).

    One transaction builds the topology, one per member connects it, one adds the private
    interconnects and one lets a few licences expire. ``progress(done, members)`` is called after
    each member.
    """
    if members < 0:
        raise ValidationFailed([Problem("members", "cannot be negative")])
    if not 1 <= centers <= len(CENTERS):
        raise ValidationFailed([Problem("centers", f"between 1 and {len(CENTERS)}")])
    _require_empty(registry)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    today = registry.clock.today()
    asns = AsnPool(rng)
    layouts = plan_layout(rng, asns, centers)
    plans = plan_members(rng, layouts, members, today, asns)
    with registry.transaction(ACTOR, reason="demo data: topology") as session:
        _build_topology(session, layouts, plans, registry)
    connected: list[_Connected] = []
    for done, plan in enumerate(plans, start=1):
        with registry.transaction(ACTOR, reason="demo data: onboarding") as session:
            connected.append(_connect(session, plan, registry))
        if progress is not None:
            progress(done, members)
    with registry.transaction(ACTOR, reason="demo data: private interconnects") as session:
        _interconnect(session, rng, connected, registry)
    with registry.transaction(ACTOR, reason="demo data: lapsed licences") as session:
        _expire_licences(session, rng, connected, today)
    return summarise(registry)


def _require_empty(registry: Registry) -> None:
    with registry.read() as session:
        used = session.scalar(select(func.count()).select_from(ExchangeCenter)) or 0
        used += session.scalar(select(func.count()).select_from(Organisation)) or 0
    if used:
        raise ValidationFailed(
            [Problem("registry", "demo data goes into an empty registry only", "not-empty")]
        )


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def latency_ms(distance_km: float) -> float:
    return round(distance_km * ROUTE_FACTOR / KM_PER_MS, 1)


def _lan_prefixes(layouts: Sequence[Layout], plans: Sequence[MemberPlan]) -> list[str]:
    """A /22 per center from the Shared Address Space, or more when the center needs it."""
    prefixes: list[str] = []
    start = int(SHARED_SPACE.network_address)
    for layout in layouts:
        wanted = sum(1 for p in plans if p.center == layout.plan.code) * 5 // 4 + 8
        length = min(22, 32 - max(2, math.ceil(math.log2(wanted + 2))))
        size = 2 ** (32 - length)
        start = -(-start // size) * size  # align to the block
        prefixes.append(str(ipaddress.IPv4Network((start, length))))
        start += size
    return prefixes


def _build_topology(
    session: Session, layouts: Sequence[Layout], plans: Sequence[MemberPlan], registry: Registry
) -> None:
    for index, (layout, v4) in enumerate(zip(layouts, _lan_prefixes(layouts, plans), strict=True)):
        plan = layout.plan
        topology.add_exchange(
            session,
            topology.NewExchange(
                code=plan.code,
                name=plan.name,
                city=plan.city,
                province=plan.province,
                country="CN",
                url=f"https://www.{plan.code.lower()}.example",
                rs_asn=layout.rs_asn,
            ),
        )
        for site, switch_names in zip(layout.sites, layout.switches, strict=True):
            topology.add_node(
                session,
                topology.NewNode(
                    exchange=plan.code,
                    code=site.code,
                    name=f"{plan.code} {site.city}",
                    city=site.city,
                    province=site.province,
                    country="CN",
                    latitude=site.latitude,
                    longitude=site.longitude,
                    facility=site.facility,
                ),
            )
            for n, name in enumerate(switch_names):
                maker, model = SWITCH_MODELS[(index + n) % len(SWITCH_MODELS)]
                topology.add_switch(session, site.code, name, maker, model)
        network = ipaddress.IPv4Network(v4)
        v6 = ipaddress.IPv6Network(f"2001:db8:{(index + 1) * 0x10:x}::/64")
        reserved = tuple(
            (str(net.network_address + offset), purpose)
            for net, blackhole in ((network, 66), (v6, 0x66))
            for offset, purpose in (
                (1, "route server rs1"),
                (2, "route server rs2"),
                (blackhole, "blackhole next hop"),
            )
        )
        topology.add_lan(
            session,
            topology.NewLan(
                plan.code, f"{plan.code} Peering LAN", layout.vlan, v4, str(v6), reserved
            ),
            registry.clock,
        )
    _build_links(session, layouts)


def _build_links(session: Session, layouts: Sequence[Layout]) -> None:
    capacities = (400_000, 400_000, 200_000)  # BJ-SH, SH-GD, BJ-GD
    pairs = ((0, 1), (1, 2), (0, 2))
    for (a, b), capacity in zip(pairs, capacities, strict=True):
        if b >= len(layouts):
            continue
        here, there = layouts[a].sites[0], layouts[b].sites[0]
        distance = _distance_km(here.latitude, here.longitude, there.latitude, there.longitude)
        code_a, code_b = layouts[a].plan.code, layouts[b].plan.code
        topology.add_link(
            session,
            topology.NewLink(
                name=f"{code_a}-{code_b}-1",
                a_exchange=code_a,
                b_exchange=code_b,
                capacity_mbps=capacity,
                latency_ms=latency_ms(distance),
            ),
        )
    south = layouts[-1]
    site = south.sites[0]
    distance = _distance_km(site.latitude, site.longitude, FOREIGN_LATITUDE, FOREIGN_LONGITUDE)
    topology.add_link(
        session,
        topology.NewLink(
            name=f"{south.plan.code}-{FOREIGN_COUNTRY}-1",
            a_exchange=south.plan.code,
            remote_name=FOREIGN_EXCHANGE,
            remote_country=FOREIGN_COUNTRY,
            capacity_mbps=100_000,
            latency_ms=latency_ms(distance),
            cross_border=True,
        ),
    )


def _connect(session: Session, plan: MemberPlan, registry: Registry) -> _Connected:
    request = plan.request
    if plan.lag_ports:
        bundled = [
            ports.add_port(session, request.switch, name, plan.lag_port_speed).id
            for name in plan.lag_ports
        ]
        ports.add_lag(session, request.switch, request.port, bundled)
    done = member_service.onboard(session, request, registry.clock)
    port = lookups.port(session, done.port_id)
    return _Connected(
        category=request.category,
        organisation_id=done.organisation_id,
        asn=done.asn,
        port_id=done.port_id,
        speed_mbps=port.speed_mbps,
        primary=plan.parent is None,
        vlans={plan.vlan},
    )


def _interconnect(
    session: Session, rng: random.Random, connected: list[_Connected], registry: Registry
) -> None:
    if len(connected) < 2:
        return
    number = 0
    for kind, roles in _ROLES.items():
        wanted = max(1, round(len(connected) * _SHARE[kind]))
        for _ in range(wanted):
            chosen = _endpoints(rng, connected, roles)
            if chosen is None:
                continue
            limit = min(min(p.speed_mbps // 4, p.speed_mbps - p.committed) for p in chosen)
            bandwidth = rng.choice([b for b in _BANDWIDTHS if b <= limit])
            vlan = rng.randrange(1000, 4000)
            while any(vlan in p.vlans for p in chosen):
                vlan = rng.randrange(1000, 4000)
            number += 1
            name = f"{kind.value}-{number:03d} " + "/".join(f"AS{p.asn}" for p in chosen)
            request = interconnects.Interconnect(
                kind, name, bandwidth, tuple(p.port_id for p in chosen), vlan
            )
            interconnects.add(session, request, registry.clock)
            for port in chosen:
                port.vlans.add(vlan)
                port.committed += bandwidth


def _endpoints(
    rng: random.Random, connected: list[_Connected], roles: tuple[frozenset[OrgCategory], ...]
) -> list[_Connected] | None:
    """One port per role, of a member of that role's categories when there is one."""
    chosen: list[_Connected] = []
    for role in roles:
        free = [
            p
            for p in connected
            if p not in chosen
            and p.organisation_id not in {c.organisation_id for c in chosen}
            and min(p.speed_mbps // 4, p.speed_mbps - p.committed) >= _BANDWIDTHS[0]
        ]
        fitting = [p for p in free if p.category in role] or free
        if not fitting:
            break
        chosen.append(rng.choice(fitting))
    return chosen if len(chosen) >= 2 else None


def _expire_licences(
    session: Session, rng: random.Random, connected: list[_Connected], today: dt.date
) -> None:
    """Let the licences of about 3% of the members lapse, so compliance has something to find."""
    primaries = [p for p in connected if p.primary]
    if not primaries:
        return
    count = max(1, round(len(primaries) * 0.03))
    for port in sorted(rng.sample(primaries, count), key=lambda p: p.organisation_id):
        organisation = lookups.member(session, f"#{port.organisation_id}")
        lapsed = today - dt.timedelta(days=rng.randint(1, 200))
        member_service.update(
            session, organisation, member_service.MemberChange(licence_expires=lapsed)
        )


def summarise(registry: Registry) -> DemoSummary:
    """Count what the registry holds, in the terms of ``DemoSummary``."""
    today = registry.clock.today()
    org, port = Organisation, Port
    with registry.read() as session:

        def count(query: Select[Any]) -> int:
            return int(session.scalar(query) or 0)

        return DemoSummary(
            exchanges=count(select(func.count(ExchangeCenter.id))),
            nodes=count(select(func.count(Node.id))),
            switches=count(select(func.count(Switch.id))),
            lans=count(select(func.count(PeeringLan.id))),
            links=count(select(func.count(LongDistanceLink.id))),
            members=count(select(func.count(org.id))),
            branches=count(select(func.count(org.id)).where(org.name.like("% Branch"))),
            ports=count(select(func.count(port.id)).where(port.organisation_id.is_not(None))),
            lags=count(select(func.count(port.id)).where(port.kind == PortKind.LAG)),
            assignments=count(select(func.count(IpAssignment.id))),
            interconnects=count(
                select(func.count(Service.id)).where(Service.kind != ServiceKind.PUBLIC_PEERING)
            ),
            expired_licences=count(select(func.count(org.id)).where(org.licence_expires < today)),
        )
