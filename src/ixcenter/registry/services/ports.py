"""Ports: adding, bundling into LAGs, moving a member to another port, decommissioning."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ixcenter.core.clock import Clock
from ixcenter.core.errors import Problems
from ixcenter.core.kinds import PortKind, PortStatus, ServiceStatus
from ixcenter.registry.models import Organisation, Port, PortMac
from ixcenter.registry.services import lookups
from ixcenter.registry.services.rules import check_licence, check_macs

IN_SERVICE = (PortStatus.CONNECTED, PortStatus.DISABLED)


def add_port(session: Session, switch_name: str, name: str, speed_mbps: int) -> Port:
    switch = lookups.switch(session, switch_name)
    problems = Problems()
    problems.check(speed_mbps > 0, "speed_mbps", "speed must be positive")
    problems.check(bool(name.strip()), "name", "a port needs a name")
    if lookups.port_by_name(session, switch_name, name) is not None:
        problems.add("name", f"port {switch_name} {name} exists already", "duplicate")
    problems.raise_if_any()
    port = Port(switch=switch, name=name, speed_mbps=speed_mbps)
    session.add(port)
    session.flush()
    return port


def add_lag(session: Session, switch_name: str, name: str, member_port_ids: list[int]) -> Port:
    """Bundle available ports of one switch into a LAG whose speed is the sum of theirs."""
    switch = lookups.switch(session, switch_name)
    members = [lookups.port(session, pid) for pid in member_port_ids]
    problems = Problems()
    problems.check(len(members) >= 2, "ports", "a LAG bundles two or more ports")
    if lookups.port_by_name(session, switch_name, name) is not None:
        problems.add("name", f"port {switch_name} {name} exists already", "duplicate")
    for port in members:
        problems.check(port.switch_id == switch.id, "ports", f"port {port.id} is on another switch")
        problems.check(
            port.status == PortStatus.AVAILABLE
            and port.lag_id is None
            and port.kind == PortKind.PHYSICAL,
            "ports",
            f"port {port.id} is not an available physical port",
        )
    problems.raise_if_any()
    lag = Port(
        switch=switch,
        name=name,
        kind=PortKind.LAG,
        speed_mbps=sum(p.speed_mbps for p in members),
    )
    session.add(lag)
    for port in members:
        port.lag = lag
    session.flush()
    return lag


def set_macs(session: Session, port: Port, macs: list[str]) -> Port:
    """Replace the MACs allowed on ``port``."""
    problems = Problems()
    wanted = check_macs(session, problems, macs, port_id=port.id)
    problems.raise_if_any()
    keep = [m for m in port.macs if m.mac in wanted]
    kept = {m.mac for m in keep}
    port.macs = keep + [PortMac(mac=m) for m in wanted if m not in kept]
    session.flush()
    return port


def connect(
    session: Session, port_id: int, organisation: Organisation, macs: list[str], clock: Clock
) -> Port:
    """Give an existing member one more available port (addresses follow with ``assign``)."""
    port = lookups.port(session, port_id)
    problems = Problems()
    label = f"port {port.switch.name} {port.name}"
    if port.status != PortStatus.AVAILABLE or port.organisation_id is not None:
        problems.add("port_id", f"{label} is {port.status}", "port-taken")
    elif port.lag_id is not None:
        problems.add("port_id", f"{label} is part of a LAG", "port-in-lag")
    check_licence(problems, "member", organisation, clock.today())
    found = check_macs(session, problems, macs)
    problems.raise_if_any()
    port.organisation = organisation
    port.status = PortStatus.CONNECTED
    port.macs = [PortMac(mac=m) for m in found]
    session.flush()
    return port


@dataclass(frozen=True, slots=True)
class Move:
    port_id: int
    to_switch: str
    to_port: str
    speed_mbps: int | None = None  # for a port that does not exist yet


def move(session: Session, request: Move) -> Port:
    """Move a member's connection (MACs, addresses, service VLANs) to another port.

    The addresses stay the member's; the old port becomes available again.
    """
    old = lookups.port(session, request.port_id)
    problems = Problems()
    problems.check(old.status in IN_SERVICE, "port_id", f"port {old.id} serves no member")
    switch = lookups.switch(session, request.to_switch)
    target = lookups.port_by_name(session, request.to_switch, request.to_port)
    speed = target.speed_mbps if target else (request.speed_mbps or old.speed_mbps)
    if target is not None:
        problems.check(target.id != old.id, "to_port", "the port is already there")
        problems.check(
            target.status == PortStatus.AVAILABLE
            and target.organisation_id is None
            and target.lag_id is None,
            "to_port",
            f"port {request.to_switch} {request.to_port} is {target.status}",
            "port-taken",
        )
    if switch.node.exchange_id != old.switch.node.exchange_id:
        problems.add("to_switch", "a port moves within its exchange center", "wrong-exchange")
    committed = sum(
        e.service.committed_mbps for e in old.endpoints if e.service.status == ServiceStatus.ACTIVE
    )
    if committed > speed:
        problems.add(
            "to_port",
            f"the member's services commit {committed} Mbit/s, more than the "
            f"{speed} Mbit/s of the new port",
            "over-capacity",
        )
    problems.raise_if_any()
    if target is None:
        target = Port(switch=switch, name=request.to_port, speed_mbps=speed)
        session.add(target)
    target.organisation = old.organisation
    target.status = old.status
    macs = [m.mac for m in old.macs]
    old.macs = []
    session.flush()  # the MACs leave the old port before they land on the new one
    target.macs = [PortMac(mac=m) for m in macs]
    for assignment in list(old.assignments):
        assignment.port = target
    for endpoint in list(old.endpoints):
        endpoint.port = target
    old.organisation = None
    old.status = PortStatus.AVAILABLE
    session.flush()
    return target


def decommission(session: Session, port_id: int) -> Port:
    """Take a port out of service: its addresses are released and its service VLANs removed."""
    port = lookups.port(session, port_id)
    problems = Problems()
    problems.check(
        port.status != PortStatus.DECOMMISSIONED, "port_id", f"port {port.id} is decommissioned"
    )
    problems.check(
        port.lag_id is None, "port_id", f"port {port.id} is part of a LAG: decommission the LAG"
    )
    problems.raise_if_any()
    for assignment in list(port.assignments):
        session.delete(assignment)
    for endpoint in list(port.endpoints):
        session.delete(endpoint)
    port.macs = []
    port.organisation = None
    port.status = PortStatus.DECOMMISSIONED
    for member in port.lag_members:
        member.lag = None
    session.flush()
    return port
