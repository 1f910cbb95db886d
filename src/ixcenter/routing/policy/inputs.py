"""What the route-server compiler needs from the registry, as plain data, and reading it.

``LanInputs`` describes one peering LAN (the exchange's code and route-server ASN, its prefixes,
the addresses it reserves) and ``MemberRouter`` one member router on it (an ``IpAssignment``
with its ASN's routing data). ``read_inputs`` fills both from a registry session; the compiler
itself never touches the database.

Reserved addresses are found by purpose, as the registry records them: ``"route server rs1"``
and ``"route server rs2"`` (or just ``"rs1"``/``"rs2"``) for the route servers' own addresses,
``"blackhole next hop"`` for the RFC 7999 next hop. The bogon list of a route server holds every
peering LAN in the registry, of every exchange center: they are the operator's own
infrastructure, announced by no member anywhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixcenter.core.errors import NotFound, Problem, ValidationFailed
from ixcenter.core.prefixes import Network
from ixcenter.routing.policy.model import Address

if TYPE_CHECKING:  # the registry (SQLAlchemy) is imported when it is read, not before
    from sqlalchemy.orm import Session

    from ixcenter.registry.models import ExchangeCenter, IpAssignment, MemberAsn, PeeringLan
    from ixcenter.routing.irr.refresh import Target

BLACKHOLE_PURPOSE = "blackhole next hop"


def route_server_purposes(name: str) -> frozenset[str]:
    """The reserved-address purposes that name route server ``name`` (``rs1``, ``rs2``)."""
    return frozenset({f"route server {name}".lower(), name.lower()})


@dataclass(frozen=True, slots=True)
class Reservation:
    address: Address
    purpose: str


@dataclass(frozen=True, slots=True)
class LanInputs:
    """One peering LAN and what a route server on it must know about the exchange."""

    exchange: str
    rs_asn: int
    ipv4_prefix: ipaddress.IPv4Network | None
    ipv6_prefix: ipaddress.IPv6Network | None
    reserved: tuple[Reservation, ...] = ()
    bogon_lans: tuple[Network, ...] = ()  # every peering LAN of the operator (this one included)

    def reserved_for(self, purposes: frozenset[str], version: int) -> Address | None:
        """The first reserved address of ``version`` whose purpose is one of ``purposes``."""
        for item in sorted(self.reserved, key=lambda r: (r.address.version, int(r.address))):
            if item.address.version == version and item.purpose.strip().lower() in purposes:
                return item.address
        return None


@dataclass(frozen=True, slots=True)
class MemberRouter:
    """One member router (an address pair of one member ASN) on the peering LAN."""

    asn: int
    name: str
    organisation_id: int
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None
    as_set: str | None = None
    irr_sources: tuple[str, ...] = ()  # preference order; empty: every source the IRR knows
    max_prefix_v4: int = 100
    max_prefix_v6: int = 20
    rs_participation: bool = True
    md5_password: str | None = None
    blackhole_opt_in: bool = False

    @property
    def addresses(self) -> tuple[Address, ...]:
        return tuple(a for a in (self.ipv4, self.ipv6) if a is not None)


@dataclass(frozen=True, slots=True)
class RouteServerInputs:
    lan: LanInputs
    routers: tuple[MemberRouter, ...]


def _sources(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())


def _address(assignment: IpAssignment, text: str | None, version: int) -> Address | None:
    if not text:
        return None
    try:
        return ipaddress.IPv4Address(text) if version == 4 else ipaddress.IPv6Address(text)
    except ValueError:
        message = f"assignment #{assignment.id} holds {text!r}, not an IPv{version} address"
        raise ValidationFailed([Problem(f"ipv{version}", message, "invalid-address")]) from None


def _router(assignment: IpAssignment) -> MemberRouter:
    member: MemberAsn = assignment.member_asn
    ipv4 = _address(assignment, assignment.ipv4, 4)
    ipv6 = _address(assignment, assignment.ipv6, 6)
    return MemberRouter(
        asn=member.asn,
        name=member.name or member.organisation.name,
        organisation_id=member.organisation_id,
        ipv4=ipv4 if isinstance(ipv4, ipaddress.IPv4Address) else None,
        ipv6=ipv6 if isinstance(ipv6, ipaddress.IPv6Address) else None,
        as_set=member.as_set,
        irr_sources=_sources(member.irr_sources),
        max_prefix_v4=member.max_prefix_v4,
        max_prefix_v6=member.max_prefix_v6,
        rs_participation=member.rs_participation,
        md5_password=member.bgp_password,
        blackhole_opt_in=member.rs_blackhole,
    )


def _lan(session: Session, exchange: ExchangeCenter, vlan: int | None) -> PeeringLan:
    from sqlalchemy import select

    from ixcenter.registry.models import PeeringLan

    query = select(PeeringLan).where(PeeringLan.exchange_id == exchange.id)
    if vlan is not None:
        query = query.where(PeeringLan.vlan == vlan)
    lan = session.scalars(query.order_by(PeeringLan.vlan)).first()
    if lan is None:
        where = f" with VLAN {vlan}" if vlan is not None else ""
        raise NotFound(f"{exchange.code} has no peering LAN{where}")
    return lan


def read_inputs(session: Session, exchange: str, *, vlan: int | None = None) -> RouteServerInputs:
    """The LAN (default: the exchange's lowest VLAN) and every member router on it."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from ixcenter.registry.models import ExchangeCenter, IpAssignment, MemberAsn, PeeringLan

    center = session.scalars(select(ExchangeCenter).where(ExchangeCenter.code == exchange)).first()
    if center is None:
        raise NotFound(f"no exchange center {exchange!r}")
    if center.rs_asn is None:
        problem = Problem("rs_asn", f"{exchange} has no route-server ASN", "no-rs-asn")
        raise ValidationFailed([problem])
    lan = _lan(session, center, vlan)
    all_lans: list[Network] = []
    for other in session.scalars(select(PeeringLan).order_by(PeeringLan.id)):
        for text in (other.ipv4_prefix, other.ipv6_prefix):
            if text:
                all_lans.append(ipaddress.ip_network(text))
    lan_inputs = LanInputs(
        exchange=center.code,
        rs_asn=center.rs_asn,
        ipv4_prefix=ipaddress.IPv4Network(lan.ipv4_prefix) if lan.ipv4_prefix else None,
        ipv6_prefix=ipaddress.IPv6Network(lan.ipv6_prefix) if lan.ipv6_prefix else None,
        reserved=tuple(
            Reservation(ipaddress.ip_address(r.address), r.purpose) for r in lan.reservations
        ),
        bogon_lans=tuple(sorted(set(all_lans), key=lambda n: (n.version, int(n.network_address)))),
    )
    assignments = session.scalars(
        select(IpAssignment)
        .where(IpAssignment.lan_id == lan.id)
        .options(joinedload(IpAssignment.member_asn).joinedload(MemberAsn.organisation))
        .order_by(IpAssignment.id)
    ).all()
    return RouteServerInputs(lan_inputs, tuple(_router(a) for a in assignments))


def irr_targets(session: Session) -> list[Target]:
    """Every member ASN with its routing data (AS-SET or the ASN alone, IRR sources)."""
    from sqlalchemy import select

    from ixcenter.registry.models import MemberAsn
    from ixcenter.routing.irr.refresh import Target

    rows = session.scalars(select(MemberAsn).order_by(MemberAsn.asn))
    return [Target(m.asn, (m.as_set or "").strip() or None, _sources(m.irr_sources)) for m in rows]
