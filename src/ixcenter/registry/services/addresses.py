"""IP assignments on peering LANs: checking, allocating and releasing member addresses.

Allocation locks the LAN row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers are already
serialised) so two transactions never hand out the same address; the unique constraints on
(LAN, address) are the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.errors import NotFound, Problem, Problems, ValidationFailed
from ixcenter.registry import ipam
from ixcenter.registry.models import (
    IpAssignment,
    MemberAsn,
    PeeringLan,
    Port,
    ReservedAddress,
    Service,
    ServiceEndpoint,
)
from ixcenter.registry.services import lookups


@dataclass(frozen=True, slots=True)
class LanUsage:
    """What of a LAN's address space is not free: reserved and assigned, per family."""

    reserved: frozenset[str]
    assigned_v4: frozenset[str]
    assigned_v6: frozenset[str]

    def taken(self, family: ipam.Family) -> frozenset[str]:
        return self.reserved | (self.assigned_v4 if family == 4 else self.assigned_v6)


def lock_lan(session: Session, lan_id: int) -> PeeringLan:
    lan = session.get(PeeringLan, lan_id, with_for_update=True, populate_existing=True)
    if lan is None:
        raise NotFound(f"no peering LAN {lan_id}")
    return lan


def usage(session: Session, lan: PeeringLan) -> LanUsage:
    reserved = session.scalars(
        select(ReservedAddress.address).where(ReservedAddress.lan_id == lan.id)
    ).all()
    rows = session.execute(
        select(IpAssignment.ipv4, IpAssignment.ipv6).where(IpAssignment.lan_id == lan.id)
    ).all()
    return LanUsage(
        reserved=frozenset(reserved),
        assigned_v4=frozenset(v4 for v4, _ in rows if v4),
        assigned_v6=frozenset(v6 for _, v6 in rows if v6),
    )


def network_of(lan: PeeringLan, family: ipam.Family) -> ipam.IPNetwork | None:
    text = lan.ipv4_prefix if family == 4 else lan.ipv6_prefix
    return ipam.parse_prefix(text, family) if text else None


def choose(
    lan: PeeringLan, used: LanUsage, family: ipam.Family, wanted: str | None, problems: Problems
) -> str | None:
    """The address a new assignment gets: ``wanted`` if it is allowed, else the next free one.

    Returns ``None`` (and adds nothing) when the LAN has no prefix of that family and no address
    was asked for. Every reason ``wanted`` is refused is added to ``problems``.
    """
    network = network_of(lan, family)
    field = f"ipv{family}"
    if wanted is not None:
        found = ipam.check_address(
            field,
            wanted,
            family,
            network,
            used.reserved,
            used.assigned_v4 if family == 4 else used.assigned_v6,
        )
        problems.extend(found)
        return None if found else ipam.normalise(wanted, family)
    if network is None:
        return None
    free = ipam.next_free(network, used.taken(family))
    if free is None:
        problems.add(field, f"no free IPv{family} address left on LAN {lan.name!r}", "lan-full")
    return free


def assign(
    session: Session,
    lan: PeeringLan,
    port: Port,
    asn: MemberAsn,
    ipv4: str | None = None,
    ipv6: str | None = None,
) -> IpAssignment:
    """One more member router on ``lan``: a dual-stack pair, chosen or the next free ones."""
    lan = lock_lan(session, lan.id)
    used = usage(session, lan)
    problems = Problems()
    if port.organisation_id != asn.organisation_id:
        problems.add("asn", f"AS{asn.asn} does not belong to the port's member", "wrong-member")
    if port.switch.node.exchange_id != lan.exchange_id:
        problems.add("lan", "the port is not at the LAN's exchange center", "wrong-exchange")
    v4 = choose(lan, used, 4, ipv4, problems)
    v6 = choose(lan, used, 6, ipv6, problems)
    problems.check(v4 is not None or v6 is not None or bool(problems), "ip", "no address")
    problems.raise_if_any()
    assignment = IpAssignment(lan=lan, port=port, member_asn=asn, ipv4=v4, ipv6=v6)
    session.add(assignment)
    join_public_peering(session, lan, port)
    session.flush()
    return assignment


def assign_to_port(
    session: Session,
    port_id: int,
    exchange: str,
    vlan: int,
    asn: int | None = None,
    ipv4: str | None = None,
    ipv6: str | None = None,
) -> IpAssignment:
    """``assign`` by the names people use: the member on ``port_id``, its ``asn`` (default its
    first) on the LAN with ``vlan`` at ``exchange``."""
    port = lookups.port(session, port_id)
    lan = lookups.lan(session, exchange, vlan)
    if port.organisation is None:
        raise ValidationFailed(
            [Problem("port_id", f"port {port.id} serves no member", "port-unassigned")]
        )
    chosen = next((a for a in port.organisation.asns if asn in (None, a.asn)), None)
    if chosen is None:
        raise ValidationFailed(
            [Problem("asn", f"{port.organisation.name} has no AS{asn}", "wrong-asn")]
        )
    return assign(session, lan, port, chosen, ipv4, ipv6)


def join_public_peering(session: Session, lan: PeeringLan, port: Port) -> None:
    """Put the LAN's VLAN on ``port`` as an endpoint of its public-peering service, once."""
    peering = session.scalars(select(Service).where(Service.lan_id == lan.id)).one()
    present = session.scalars(
        select(ServiceEndpoint).where(
            ServiceEndpoint.port_id == port.id, ServiceEndpoint.service_id == peering.id
        )
    ).first()
    if present is None:
        session.add(ServiceEndpoint(service=peering, port=port, vlan=lan.vlan))


def release(session: Session, assignment: IpAssignment) -> None:
    session.delete(assignment)
    session.flush()


def find(session: Session, address: str) -> IpAssignment:
    """The assignment holding ``address`` (IPv4 or IPv6)."""
    try:
        parsed = ipam.parse_address(address)
    except ValueError:
        raise NotFound(f"{address!r} is not an IP address") from None
    column = IpAssignment.ipv4 if parsed.version == 4 else IpAssignment.ipv6
    found = session.scalars(select(IpAssignment).where(column == str(parsed))).first()
    if found is None:
        raise NotFound(f"{parsed} is not assigned")
    return found
