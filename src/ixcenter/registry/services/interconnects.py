"""Private interconnects: a VLAN joining two or more member ports with committed bandwidth.

Kinds: multi-cloud, enterprise cloud, 5G VPN, industrial internet, satellite, cross-border channel.
Rules: every port exists and serves a member whose licence is valid, the VLAN is free on each port,
and the bandwidth committed on a port stays within its speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ixcenter.core.clock import Clock
from ixcenter.core.errors import NotFound, Problems
from ixcenter.core.kinds import ServiceKind, ServiceStatus
from ixcenter.registry.models import Port, Service, ServiceEndpoint
from ixcenter.registry.services import lookups
from ixcenter.registry.services.ports import IN_SERVICE
from ixcenter.registry.services.rules import check_licence


@dataclass(frozen=True, slots=True)
class Interconnect:
    kind: ServiceKind
    name: str
    committed_mbps: int
    port_ids: tuple[int, ...]
    vlan: int
    vlans: tuple[int, ...] = ()  # per port, when the VLAN differs per port (translation)


def committed_on(session: Session, port_id: int) -> int:
    """Bandwidth committed by active private services on a port, in Mbit/s."""
    total = session.scalar(
        select(func.coalesce(func.sum(Service.committed_mbps), 0))
        .join(ServiceEndpoint)
        .where(ServiceEndpoint.port_id == port_id, Service.status == ServiceStatus.ACTIVE)
    )
    return int(total or 0)


def add(session: Session, request: Interconnect, clock: Clock) -> Service:
    problems = Problems()
    kind = ServiceKind(request.kind)
    problems.check(kind.is_private, "kind", "public peering is a LAN, not an interconnect")
    problems.check(bool(request.name.strip()), "name", "a name is required")
    problems.check(request.committed_mbps > 0, "committed_mbps", "bandwidth must be positive")
    problems.check(
        len(request.port_ids) >= 2, "port_ids", "an interconnect joins two or more ports"
    )
    problems.check(
        len(set(request.port_ids)) == len(request.port_ids), "port_ids", "a port is named twice"
    )
    vlans = request.vlans or tuple(request.vlan for _ in request.port_ids)
    problems.check(len(vlans) == len(request.port_ids), "vlans", "one VLAN per port")
    ports: list[tuple[Port, int]] = []
    checked_orgs: set[int] = set()
    for index, (port_id, vlan) in enumerate(zip(request.port_ids, vlans, strict=False)):
        field = f"port_ids[{index}]"
        if not 1 <= vlan <= 4094:
            problems.add(f"vlans[{index}]", f"VLAN {vlan} is outside 1-4094", "vlan-range")
        try:
            port = lookups.port(session, port_id)
        except NotFound as exc:
            problems.add(field, exc.message, "not-found")
            continue
        label = f"port {port.switch.name} {port.name}"
        if port.status not in IN_SERVICE or port.organisation is None:
            problems.add(field, f"{label} serves no member", "port-unassigned")
            continue
        if port.organisation.id not in checked_orgs:
            checked_orgs.add(port.organisation.id)
            check_licence(problems, field, port.organisation, clock.today())
        clash = session.scalars(
            select(ServiceEndpoint).where(
                ServiceEndpoint.port_id == port.id, ServiceEndpoint.vlan == vlan
            )
        ).first()
        if clash is not None:
            problems.add(
                field, f"VLAN {vlan} on {label} is used by {clash.service.name!r}", "vlan-clash"
            )
        committed = committed_on(session, port.id)
        if committed + request.committed_mbps > port.speed_mbps:
            problems.add(
                field,
                f"{label} has {port.speed_mbps - committed} of {port.speed_mbps} Mbit/s left, "
                f"{request.committed_mbps} Mbit/s asked",
                "over-capacity",
            )
        ports.append((port, vlan))
    problems.raise_if_any()
    service = Service(
        kind=kind,
        name=request.name.strip(),
        committed_mbps=request.committed_mbps,
        created_at=clock.now(),
    )
    service.endpoints = [ServiceEndpoint(port=port, vlan=vlan) for port, vlan in ports]
    session.add(service)
    session.flush()
    return service


def cease(session: Session, service_id: int) -> Service:
    """End a private interconnect: its VLANs are freed on every port."""
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound(f"no service {service_id}")
    problems = Problems()
    problems.check(service.kind.is_private, "service_id", "public peering ends with its LAN")
    problems.check(service.status == ServiceStatus.ACTIVE, "service_id", "the service has ceased")
    problems.raise_if_any()
    service.status = ServiceStatus.CEASED
    service.endpoints = []
    session.flush()
    return service
