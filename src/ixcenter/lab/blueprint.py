"""What the lab builds, read from the registry: centers, their sites and LANs, member routers.

``read_blueprint`` turns the registry into plain values the lab assembles, so the lab never
holds a database session while it creates namespaces and starts daemons:

* every exchange center with a route-server ASN and a peering LAN (its lowest VLAN, the one the
  route servers serve), the addresses its LAN reserves for rs1 and rs2, and its nodes (sites);
* the one-way latency between two sites of a center (great-circle distance over fibre, as the
  demo data computes it) and of every long-distance link between two centers;
* every member router on those LANs: ASN, name, addresses, the node its port is at, the port's
  first MAC address (so flows from the lab enrich to the member) and its port speed.

``limit`` keeps the lab small on a big registry: at most that many routers per center, the
fastest ports first (the members that carry most traffic).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ixcenter.core.errors import NotFound
from ixcenter.core.kinds import ServiceStatus
from ixcenter.registry.db import Registry
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    LongDistanceLink,
    MemberAsn,
    Node,
    Port,
    Service,
    Switch,
)
from ixcenter.routing.policy.inputs import MemberRouter, read_inputs, route_server_purposes

logger = logging.getLogger(__name__)

ROUTE_FACTOR = 1.4  # fibre route length / great-circle distance (as the demo data)
KM_PER_MS = 200.0  # light in fibre
SERVERS = ("rs1", "rs2")
MAX_INTERCONNECTS = 6


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class RouterPlace:
    """A member router of the registry and where the lab puts it."""

    router: MemberRouter
    center: str
    site: str  # node code
    mac: str | None
    speed_mbps: int
    port_id: int = 0

    @property
    def key(self) -> str:
        """A short name unique in the lab: the ASN and the last group of its IPv4/IPv6."""
        address = self.router.ipv4 or self.router.ipv6
        tail = int(address) & 0xFFFF if address is not None else 0
        return f"{self.router.asn}-{tail:x}"


@dataclass(frozen=True, slots=True)
class CenterPlan:
    code: str
    rs_asn: int
    vlan: int
    ipv4: ipaddress.IPv4Network | None
    ipv6: ipaddress.IPv6Network | None
    route_servers: dict[str, tuple[ipaddress.IPv4Address | None, ipaddress.IPv6Address | None]]
    sites: tuple[Site, ...]  # the main site (lowest node code with members or the first) first
    routers: tuple[RouterPlace, ...]

    def site_latency_ms(self, a: str, b: str) -> float:
        """One-way delay between two sites of this center (0 without coordinates)."""
        one, two = self.site(a), self.site(b)
        if None in (one.latitude, one.longitude, two.latitude, two.longitude):
            return 0.0
        km = distance_km(one.latitude, one.longitude, two.latitude, two.longitude)  # type: ignore[arg-type]
        return round(km * ROUTE_FACTOR / KM_PER_MS, 3)

    def site(self, code: str) -> Site:
        for site in self.sites:
            if site.code == code:
                return site
        raise NotFound(f"{self.code} has no node {code}")


@dataclass(frozen=True, slots=True)
class LinkPlan:
    name: str
    a: str  # center codes
    b: str
    latency_ms: float
    capacity_mbps: int


@dataclass(frozen=True, slots=True)
class InterconnectPlan:
    """A private interconnect (a VLAN joining member ports) between routers the lab emulates."""

    name: str
    kind: str
    vlan: int
    routers: tuple[str, ...]  # RouterPlace.key, one per port


@dataclass(frozen=True, slots=True)
class Blueprint:
    centers: tuple[CenterPlan, ...]
    links: tuple[LinkPlan, ...]
    interconnects: tuple[InterconnectPlan, ...] = ()

    @property
    def routers(self) -> tuple[RouterPlace, ...]:
        return tuple(r for c in self.centers for r in c.routers)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def read_blueprint(
    registry: Registry, *, centers: tuple[str, ...] = (), limit: int | None = None
) -> Blueprint:
    """The lab's plan from the registry (see the module doc); ``centers`` limits it to some."""
    with registry.read() as session:
        query = select(ExchangeCenter).where(ExchangeCenter.rs_asn.is_not(None))
        found = session.scalars(query.order_by(ExchangeCenter.code)).all()
        wanted = [c for c in found if not centers or c.code in centers]
        missing = set(centers) - {c.code for c in found}
        if missing:
            raise NotFound(f"no exchange center with a route-server ASN: {sorted(missing)}")
        plans = [_center(session, center, limit) for center in wanted if center.lans]
        codes = {p.code for p in plans}
        links = [
            LinkPlan(
                link.name,
                link.a_exchange.code,
                link.b_exchange.code,
                link.latency_ms,
                link.capacity_mbps,
            )
            for link in session.scalars(select(LongDistanceLink).order_by(LongDistanceLink.name))
            if link.b_exchange is not None and {link.a_exchange.code, link.b_exchange.code} <= codes
        ]
        interconnects = _interconnects(session, plans)
    return Blueprint(tuple(plans), tuple(links), interconnects)


def _interconnects(session: Session, plans: list[CenterPlan]) -> tuple[InterconnectPlan, ...]:
    """Active private interconnects with at least two ports on emulated routers, those that
    join different centers first; at most ``MAX_INTERCONNECTS``."""
    by_port = {p.port_id: p for c in plans for p in c.routers}
    found = []
    query = (
        select(Service)
        .where(Service.lan_id.is_(None), Service.status == ServiceStatus.ACTIVE)
        .options(joinedload(Service.endpoints))
        .order_by(Service.id)
    )
    for service in session.scalars(query).unique():
        places = [by_port[e.port_id] for e in service.endpoints if e.port_id in by_port]
        if len({p.key for p in places}) < 2:
            continue
        vlan = service.endpoints[0].vlan
        keys = tuple(dict.fromkeys(p.key for p in places))
        found.append((len({p.center for p in places}) < 2, service.id,
                      InterconnectPlan(service.name, service.kind.value, vlan, keys)))  # fmt: skip
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(plan for *_, plan in found[:MAX_INTERCONNECTS])


def _center(session: Session, center: ExchangeCenter, limit: int | None) -> CenterPlan:
    inputs = read_inputs(session, center.code)
    lan = inputs.lan
    servers = {}
    for name in SERVERS:
        purposes = route_server_purposes(name)
        v4, v6 = lan.reserved_for(purposes, 4), lan.reserved_for(purposes, 6)
        servers[name] = (
            v4 if isinstance(v4, ipaddress.IPv4Address) else None,
            v6 if isinstance(v6, ipaddress.IPv6Address) else None,
        )
    places = _places(session, center, inputs.routers)
    places.sort(key=lambda p: (-p.speed_mbps, p.router.asn, p.key))
    if limit is not None:
        places = places[:limit]
    places.sort(key=lambda p: (p.router.asn, p.key))
    used = {p.site for p in places}
    nodes = sorted(center.nodes, key=lambda n: (n.code not in used, n.code))
    sites = tuple(Site(n.code, n.latitude, n.longitude) for n in nodes)
    return CenterPlan(
        code=center.code,
        rs_asn=lan.rs_asn,
        vlan=min(x.vlan for x in center.lans),
        ipv4=lan.ipv4_prefix if isinstance(lan.ipv4_prefix, ipaddress.IPv4Network) else None,
        ipv6=lan.ipv6_prefix if isinstance(lan.ipv6_prefix, ipaddress.IPv6Network) else None,
        route_servers=servers,
        sites=sites,
        routers=tuple(places),
    )


def _places(
    session: Session, center: ExchangeCenter, routers: tuple[MemberRouter, ...]
) -> list[RouterPlace]:
    """Where each router's port is: the node, its first MAC and its speed."""
    vlan = min(x.vlan for x in center.lans)
    query = (
        select(IpAssignment)
        .join(IpAssignment.lan)
        .where(IpAssignment.lan.has(exchange_id=center.id, vlan=vlan))
        .options(
            joinedload(IpAssignment.port).joinedload(Port.switch).joinedload(Switch.node),
            joinedload(IpAssignment.port).joinedload(Port.macs),
            joinedload(IpAssignment.member_asn).joinedload(MemberAsn.organisation),
        )
    )
    by_address: dict[tuple[int, str | None, str | None], IpAssignment] = {
        (a.member_asn.asn, a.ipv4, a.ipv6): a for a in session.scalars(query).unique()
    }
    places = []
    for router in routers:
        v4 = str(router.ipv4) if router.ipv4 is not None else None
        v6 = str(router.ipv6) if router.ipv6 is not None else None
        assignment = by_address.get((router.asn, v4, v6))
        if assignment is None:  # the registry spells the IPv6 address another way
            assignment = next(
                a for (asn, a4, _), a in by_address.items() if asn == router.asn and a4 == v4
            )
        port = assignment.port
        node: Node = port.switch.node
        macs = [m.mac for m in port.macs] or [m.mac for p in port.lag_members for m in p.macs]
        places.append(
            RouterPlace(
                router, center.code, node.code, macs[0] if macs else None, port.speed_mbps, port.id
            )
        )
    return places
