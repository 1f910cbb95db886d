"""Building the exchange: centers, nodes, switches, peering LANs and long-distance links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.asns import parse_asn
from ixcenter.core.clock import Clock
from ixcenter.core.errors import Problems, ValidationFailed
from ixcenter.core.kinds import ServiceKind
from ixcenter.registry import ipam
from ixcenter.registry.models import (
    ExchangeCenter,
    LongDistanceLink,
    Node,
    PeeringLan,
    ReservedAddress,
    Service,
    Switch,
)
from ixcenter.registry.services import lookups

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def check_code(problems: Problems, field_name: str, code: str) -> None:
    problems.check(
        bool(_CODE.match(code)), field_name, f"{code!r} is not a code (letters, digits, . _ -)"
    )


def check_country(problems: Problems, field_name: str, country: str) -> None:
    problems.check(
        bool(_COUNTRY.match(country)), field_name, f"{country!r} is not an ISO 3166 country code"
    )


@dataclass(frozen=True, slots=True)
class NewExchange:
    code: str
    name: str
    city: str
    province: str
    country: str
    url: str | None = None
    rs_asn: int | None = None
    ixf_id: int | None = None


def add_exchange(session: Session, new: NewExchange) -> ExchangeCenter:
    problems = Problems()
    check_code(problems, "code", new.code)
    check_country(problems, "country", new.country)
    problems.check(bool(new.name.strip()), "name", "a name is required")
    if session.scalars(select(ExchangeCenter).where(ExchangeCenter.code == new.code)).first():
        problems.add("code", f"exchange center {new.code!r} exists already", "duplicate")
    if new.rs_asn is not None:
        try:
            parse_asn(new.rs_asn)
        except ValidationFailed as exc:
            problems.extend(list(exc.problems))
    problems.raise_if_any()
    exchange = ExchangeCenter(
        code=new.code,
        name=new.name,
        city=new.city,
        province=new.province,
        country=new.country,
        url=new.url,
        rs_asn=new.rs_asn,
        ixf_id=new.ixf_id,
    )
    session.add(exchange)
    session.flush()
    return exchange


@dataclass(frozen=True, slots=True)
class NewNode:
    exchange: str
    code: str
    name: str
    city: str
    province: str
    country: str
    latitude: float | None = None
    longitude: float | None = None
    facility: str | None = None


def add_node(session: Session, new: NewNode) -> Node:
    exchange = lookups.exchange(session, new.exchange)
    problems = Problems()
    check_code(problems, "code", new.code)
    check_country(problems, "country", new.country)
    if session.scalars(select(Node).where(Node.code == new.code)).first():
        problems.add("code", f"node {new.code!r} exists already", "duplicate")
    if new.latitude is not None:
        problems.check(-90 <= new.latitude <= 90, "latitude", "latitude out of range")
    if new.longitude is not None:
        problems.check(-180 <= new.longitude <= 180, "longitude", "longitude out of range")
    problems.raise_if_any()
    node = Node(
        exchange=exchange,
        code=new.code,
        name=new.name,
        city=new.city,
        province=new.province,
        country=new.country,
        latitude=new.latitude,
        longitude=new.longitude,
        facility=new.facility,
    )
    session.add(node)
    session.flush()
    return node


def add_switch(
    session: Session,
    node_code: str,
    name: str,
    manufacturer: str | None = None,
    model: str | None = None,
) -> Switch:
    node = lookups.node(session, node_code)
    problems = Problems()
    check_code(problems, "name", name)
    if session.scalars(select(Switch).where(Switch.name == name)).first():
        problems.add("name", f"switch {name!r} exists already", "duplicate")
    problems.raise_if_any()
    switch = Switch(node=node, name=name, manufacturer=manufacturer, model=model)
    session.add(switch)
    session.flush()
    return switch


@dataclass(frozen=True, slots=True)
class NewLan:
    exchange: str
    name: str
    vlan: int
    ipv4_prefix: str | None
    ipv6_prefix: str | None
    reserved: tuple[tuple[str, str], ...] = field(default=())  # (address, purpose)
    mtu: int = 1500


def add_lan(session: Session, new: NewLan, clock: Clock) -> PeeringLan:
    """A peering LAN with its reserved addresses and its public-peering service."""
    exchange = lookups.exchange(session, new.exchange)
    problems = Problems()
    problems.check(1 <= new.vlan <= 4094, "vlan", f"VLAN {new.vlan} is outside 1-4094")
    problems.check(bool(new.ipv4_prefix or new.ipv6_prefix), "prefix", "a LAN needs a prefix")
    networks: dict[int, ipam.IPNetwork] = {}
    for family, text in ((4, new.ipv4_prefix), (6, new.ipv6_prefix)):
        if text:
            try:
                networks[family] = ipam.parse_prefix(text, family)  # type: ignore[arg-type]
            except ValueError as exc:
                problems.add(f"ipv{family}_prefix", str(exc), "invalid-prefix")
    clash = session.scalars(
        select(PeeringLan).where(PeeringLan.exchange_id == exchange.id, PeeringLan.vlan == new.vlan)
    ).first()
    if clash:
        problems.add("vlan", f"VLAN {new.vlan} is taken by LAN {clash.name!r}", "vlan-clash")
    seen: set[str] = set()
    for index, (address, _purpose) in enumerate(new.reserved):
        try:
            parsed = ipam.parse_address(address)
        except ValueError:
            problems.add(f"reserved[{index}]", f"{address!r} is not an address", "invalid-address")
            continue
        network = networks.get(parsed.version)
        if network is None or parsed not in network:
            problems.add(f"reserved[{index}]", f"{parsed} is outside the LAN", "outside-lan")
        if str(parsed) in seen:
            problems.add(f"reserved[{index}]", f"{parsed} is reserved twice", "duplicate")
        seen.add(str(parsed))
    problems.raise_if_any()
    lan = PeeringLan(
        exchange=exchange,
        name=new.name,
        vlan=new.vlan,
        mtu=new.mtu,
        ipv4_prefix=str(networks[4]) if 4 in networks else None,
        ipv6_prefix=str(networks[6]) if 6 in networks else None,
    )
    lan.reservations = [
        ReservedAddress(address=str(ipam.parse_address(a)), purpose=p) for a, p in new.reserved
    ]
    session.add(lan)
    session.add(
        Service(
            kind=ServiceKind.PUBLIC_PEERING,
            name=f"{exchange.code} {new.name}",
            lan=lan,
            committed_mbps=0,
            created_at=clock.now(),
        )
    )
    session.flush()
    return lan


@dataclass(frozen=True, slots=True)
class NewLink:
    name: str
    a_exchange: str
    capacity_mbps: int
    latency_ms: float
    b_exchange: str | None = None
    remote_name: str | None = None
    remote_country: str | None = None
    cross_border: bool = False


def add_link(session: Session, new: NewLink) -> LongDistanceLink:
    """A long-distance link between two centers, or a cross-border channel to a foreign exchange."""
    a = lookups.exchange(session, new.a_exchange)
    b = lookups.exchange(session, new.b_exchange) if new.b_exchange else None
    problems = Problems()
    problems.check(new.capacity_mbps > 0, "capacity_mbps", "capacity must be positive")
    problems.check(new.latency_ms >= 0, "latency_ms", "latency cannot be negative")
    problems.check(
        b is not None or bool(new.remote_name), "b_exchange", "a link needs a far end", "far-end"
    )
    if b is not None:
        problems.check(b.id != a.id, "b_exchange", "a link joins two different centers")
    if session.scalars(select(LongDistanceLink).where(LongDistanceLink.name == new.name)).first():
        problems.add("name", f"link {new.name!r} exists already", "duplicate")
    far_country = b.country if b is not None else new.remote_country
    if new.cross_border:
        problems.check(
            far_country is not None and far_country != a.country,
            "cross_border",
            "a cross-border link ends in another country",
            "not-cross-border",
        )
    elif far_country is not None and far_country != a.country:
        problems.add("cross_border", "a link into another country must be cross-border")
    problems.raise_if_any()
    link = LongDistanceLink(
        name=new.name,
        a_exchange=a,
        b_exchange=b,
        remote_name=new.remote_name,
        remote_country=new.remote_country,
        capacity_mbps=new.capacity_mbps,
        latency_ms=new.latency_ms,
        cross_border=new.cross_border,
    )
    session.add(link)
    session.flush()
    return link
