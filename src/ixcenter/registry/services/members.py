"""Members: onboarding in one step, and changes to an organisation or its ASNs.

Onboarding creates the organisation, its ASN, connects a port (an available one, or a new one on
the switch), records the router's MACs, assigns a dual-stack address pair on the peering LAN and
joins the LAN's public-peering service: all or nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.asns import parse_asn, special_purpose
from ixcenter.core.clock import Clock
from ixcenter.core.errors import NotFound, Problems, ValidationFailed
from ixcenter.core.kinds import OrgCategory, PortStatus
from ixcenter.registry.models import (
    IpAssignment,
    MemberAsn,
    Organisation,
    PeeringLan,
    Port,
    PortMac,
    Switch,
)
from ixcenter.registry.services import addresses, lookups, routing_data
from ixcenter.registry.services.rules import check_licence, check_macs
from ixcenter.registry.services.topology import check_country


@dataclass(frozen=True, slots=True)
class Onboarding:
    """Everything needed to connect a new member to a peering LAN."""

    name: str
    category: OrgCategory
    country: str
    asn: int | str
    switch: str
    port: str
    licence_number: str | None = None
    licence_expires: dt.date | None = None
    sme: bool = False
    url: str | None = None
    speed_mbps: int | None = None  # required when the port does not exist yet
    macs: tuple[str, ...] = field(default=())
    vlan: int | None = None  # the peering LAN; default: the exchange center's lowest VLAN
    ipv4: str | None = None  # default: the next free address
    ipv6: str | None = None
    as_set: str | None = None
    irr_sources: str | None = None
    max_prefix_v4: int = 100
    max_prefix_v6: int = 20
    rs_participation: bool = True
    rs_blackhole: bool = False  # receives RFC 7999 blackhole routes from the route servers
    bgp_password: str | None = None  # TCP MD5 password of its route-server sessions


@dataclass(frozen=True, slots=True)
class Onboarded:
    organisation_id: int
    asn: int
    port_id: int
    lan_id: int
    ipv4: str | None
    ipv6: str | None


def _check_asn(session: Session, problems: Problems, raw: int | str) -> int | None:
    try:
        asn = parse_asn(raw)
    except ValidationFailed as exc:
        problems.extend(list(exc.problems))
        return None
    reason = special_purpose(asn)
    if reason:
        problems.add("asn", f"AS{asn} is {reason} and cannot peer at the exchange", "special-asn")
    taken = session.scalars(select(MemberAsn).where(MemberAsn.asn == asn)).first()
    if taken:
        problems.add(
            "asn", f"AS{asn} is already a member ({taken.organisation.name})", "duplicate-asn"
        )
    return asn


def _existing_port(
    session: Session, problems: Problems, switch: Switch | None, request: Onboarding
) -> Port | None:
    """The available port the member gets, or ``None`` when a new one is to be made."""
    if switch is None:
        return None
    port = lookups.port_by_name(session, switch.name, request.port)
    if port is None:
        if request.speed_mbps is None or request.speed_mbps <= 0:
            problems.add("speed_mbps", "a new port needs a positive speed", "speed-required")
        return None
    if port.status != PortStatus.AVAILABLE or port.organisation_id is not None:
        problems.add("port", f"port {switch.name} {port.name} is {port.status}", "port-taken")
    elif port.lag_id is not None:
        problems.add("port", f"port {switch.name} {port.name} is part of a LAG", "port-in-lag")
    if request.speed_mbps is not None and request.speed_mbps != port.speed_mbps:
        problems.add("speed_mbps", f"port {port.name} runs at {port.speed_mbps} Mbit/s")
    return port


def _lan_for(
    session: Session, problems: Problems, switch: Switch | None, vlan: int | None
) -> PeeringLan | None:
    if switch is None:
        return None
    exchange = switch.node.exchange
    query = select(PeeringLan).where(PeeringLan.exchange_id == exchange.id)
    if vlan is not None:
        query = query.where(PeeringLan.vlan == vlan)
    lan = session.scalars(query.order_by(PeeringLan.vlan)).first()
    if lan is None:
        where = f"with VLAN {vlan} " if vlan is not None else ""
        problems.add("vlan", f"{exchange.code} has no peering LAN {where}".strip(), "no-lan")
    return lan


def onboard(session: Session, request: Onboarding, clock: Clock) -> Onboarded:
    """Connect a new member to a peering LAN in one step (see the module docstring)."""
    problems = Problems()
    name = request.name.strip()
    problems.check(bool(name), "name", "a name is required")
    if name and session.scalars(select(Organisation).where(Organisation.name == name)).first():
        problems.add("name", f"a member named {name!r} exists already", "duplicate-name")
    check_country(problems, "country", request.country)
    problems.check(request.max_prefix_v4 >= 0, "max_prefix_v4", "cannot be negative")
    problems.check(request.max_prefix_v6 >= 0, "max_prefix_v6", "cannot be negative")
    asn = _check_asn(session, problems, request.asn)
    as_set = routing_data.check_as_set(problems, "as_set", request.as_set)
    irr_sources = routing_data.check_irr_sources(problems, "irr_sources", request.irr_sources)
    password = routing_data.check_password(problems, "bgp_password", request.bgp_password)
    organisation = Organisation(
        name=name,
        category=OrgCategory(request.category),
        country=request.country,
        licence_number=request.licence_number,
        licence_expires=request.licence_expires,
        sme=request.sme,
        url=request.url,
    )
    check_licence(problems, "licence_number", organisation, clock.today())
    macs = check_macs(session, problems, request.macs)
    switch: Switch | None
    try:
        switch = lookups.switch(session, request.switch)
    except NotFound as exc:
        problems.add("switch", exc.message, "not-found")
        switch = None
    port = _existing_port(session, problems, switch, request)
    lan = _lan_for(session, problems, switch, request.vlan)
    ipv4 = ipv6 = None
    if lan is not None:
        lan = addresses.lock_lan(session, lan.id)
        used = addresses.usage(session, lan)
        ipv4 = addresses.choose(lan, used, 4, request.ipv4, problems)
        ipv6 = addresses.choose(lan, used, 6, request.ipv6, problems)
    problems.raise_if_any()
    if asn is None or switch is None or lan is None:  # each of these added a problem above
        raise ValidationFailed(problems.items)
    if port is None:
        port = Port(switch=switch, name=request.port, speed_mbps=request.speed_mbps)

    member_asn = MemberAsn(
        asn=asn,
        name=name,
        as_set=as_set,
        irr_sources=irr_sources,
        max_prefix_v4=request.max_prefix_v4,
        max_prefix_v6=request.max_prefix_v6,
        rs_participation=request.rs_participation,
        rs_blackhole=request.rs_blackhole,
        bgp_password=password,
    )
    organisation.asns.append(member_asn)
    port.organisation = organisation
    port.status = PortStatus.CONNECTED
    port.macs = [PortMac(mac=mac) for mac in macs]
    session.add_all([organisation, port])
    session.add(IpAssignment(lan=lan, port=port, member_asn=member_asn, ipv4=ipv4, ipv6=ipv6))
    session.flush()
    addresses.join_public_peering(session, lan, port)
    session.flush()
    return Onboarded(organisation.id, asn, port.id, lan.id, ipv4, ipv6)


@dataclass(frozen=True, slots=True)
class MemberChange:
    """Fields to change on a member; ``None`` leaves a field as it is."""

    licence_number: str | None = None
    licence_expires: dt.date | None = None
    sme: bool | None = None
    category: OrgCategory | None = None
    url: str | None = None


def update(session: Session, organisation: Organisation, change: MemberChange) -> Organisation:
    if change.licence_number is not None:
        organisation.licence_number = change.licence_number or None
    if change.licence_expires is not None:
        organisation.licence_expires = change.licence_expires
    if change.sme is not None:
        organisation.sme = change.sme
    if change.category is not None:
        organisation.category = OrgCategory(change.category)
    if change.url is not None:
        organisation.url = change.url or None
    session.flush()
    return organisation
