"""Writing one member connection: its port (or LAG of ports), MACs and IP assignments."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy.orm import Session

from ixcenter.core.errors import Problem
from ixcenter.core.kinds import PortKind, PortStatus
from ixcenter.registry.interchange.index import ImportState
from ixcenter.registry.interchange.plan import (
    DEFAULT_SPEED_MBPS,
    AddressPlan,
    ConnectionPlan,
    InterfacePlan,
    fit,
)
from ixcenter.registry.interchange.report import Kind
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Organisation,
    PeeringLan,
    Port,
    PortMac,
    Switch,
)

Resolved = tuple[AddressPlan, PeeringLan, IpAssignment | None]


def update(obj: Any, **values: Any) -> bool:
    """Set the values that are given (not ``None``) and differ; True if anything changed."""
    changed = False
    for key, value in values.items():
        if value is not None and getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _within(address: str, prefix: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(prefix, strict=False)


class ConnectionWriter:
    def __init__(self, state: ImportState) -> None:
        self.state = state

    def write(self, plan: ConnectionPlan, org: Organisation, member_asn: MemberAsn) -> None:
        state = self.state
        exchange = state.exchanges[plan.exchange_key]
        resolved = [
            found
            for address in plan.addresses
            if (found := self._resolve(plan.exchange_key, exchange, address)) is not None
        ]
        switch = state.switches.get((plan.exchange_key, plan.interfaces[0].switch_key))
        if switch is None:
            return  # its problem is already recorded
        port = self._port(plan, switch, org, resolved)
        if port is None:
            return
        status = PortStatus.DISABLED if plan.disabled else PortStatus.CONNECTED
        changed = self._shape(port, plan, org, status)
        if plan.macs is not None:
            changed |= _set_macs(state.session, port, plan.macs)
        state.tally.touched(Kind.PORTS, port, changed)
        for address, lan, row in resolved:
            self._assign(address, lan, row, port, member_asn)

    # -- addresses -------------------------------------------------------------------------

    def _resolve(
        self, exchange_key: int, exchange: ExchangeCenter, plan: AddressPlan
    ) -> Resolved | None:
        state = self.state
        if plan.lan_key is not None:
            lan = state.lans.get((exchange_key, plan.lan_key))
            if lan is None:
                return None  # its problem is already recorded
        else:
            lan = next((lan for lan in exchange.lans if _lan_holds(lan, plan)), None)
            if lan is None:
                shown = plan.ipv4 or plan.ipv6
                state.problems.add(
                    plan.path, f"no peering LAN of {exchange.code} contains {shown}", "no-lan"
                )
                return None
        self._check_prefix(plan, lan)
        index = state.index
        by_v4 = index.rows.get((lan, 4, plan.ipv4)) if plan.ipv4 else None
        by_v6 = index.rows.get((lan, 6, plan.ipv6)) if plan.ipv6 else None
        row = by_v4 or by_v6
        if by_v4 is not None and by_v6 is not None and by_v4 is not by_v6:
            state.problems.add(
                plan.path,
                f"{plan.ipv4} and {plan.ipv6} belong to two different routers in the registry",
                "split-pair",
            )
            return None
        if row in state.claimed_rows:
            row = None
        return plan, lan, row

    def _check_prefix(self, plan: AddressPlan, lan: PeeringLan) -> None:
        for family, value, prefix in (
            (4, plan.ipv4, lan.ipv4_prefix),
            (6, plan.ipv6, lan.ipv6_prefix),
        ):
            if value is None or prefix is None or _within(value, prefix):
                continue
            problem = Problem(
                f"{plan.path}.ipv{family}.address",
                f"{value} is outside {prefix} of peering LAN {lan.name}",
                "outside-prefix",
            )
            if self.state.allow_outside_prefix:
                self.state.warnings.append(problem)
            else:
                self.state.problems.extend([problem])

    def _assign(
        self,
        plan: AddressPlan,
        lan: PeeringLan,
        row: IpAssignment | None,
        port: Port,
        member_asn: MemberAsn,
    ) -> None:
        state = self.state
        if row is None:
            row = IpAssignment(
                lan=lan, port=port, member_asn=member_asn, ipv4=plan.ipv4, ipv6=plan.ipv6
            )
            state.session.add(row)
            state.tally.created(Kind.ADDRESSES, row)
        else:
            changed = False
            for key, value in (
                ("ipv4", plan.ipv4),
                ("ipv6", plan.ipv6),
                ("port", port),
                ("member_asn", member_asn),
            ):
                if getattr(row, key) is not value and getattr(row, key) != value:
                    setattr(row, key, value)
                    changed = True
            state.tally.touched(Kind.ADDRESSES, row, changed)
        state.index.add_row(row, lan)
        state.claimed_rows.add(row)

    # -- ports -----------------------------------------------------------------------------

    def _port(
        self, plan: ConnectionPlan, switch: Switch, org: Organisation, resolved: list[Resolved]
    ) -> Port | None:
        state = self.state
        for _, _, row in resolved:
            if row is not None:
                carrier = row.port.lag or row.port
                if carrier not in state.claimed_ports:
                    state.claimed_ports.add(carrier)
                    return carrier
        port = state.index.ports.get((switch, plan.name))
        if port is not None and port.organisation not in (None, org):
            state.problems.add(
                plan.path, f"port {plan.name} on {switch.name} serves another member"
            )
            return None
        if port is not None and port in state.claimed_ports:
            state.problems.add(plan.path, f"port {plan.name} on {switch.name} is used twice")
            return None
        if port is None:
            first = plan.interfaces[0].speed_mbps
            port = Port(
                switch=switch,
                name=plan.name,
                kind=PortKind.PHYSICAL,
                speed_mbps=first or DEFAULT_SPEED_MBPS,
                status=PortStatus.CONNECTED,
                organisation=org,
            )
            state.session.add(port)
            state.index.ports[(switch, plan.name)] = port
            state.tally.created(Kind.PORTS, port)
        state.claimed_ports.add(port)
        return port

    def _shape(
        self, port: Port, plan: ConnectionPlan, org: Organisation, status: PortStatus
    ) -> bool:
        """Give ``port`` the document's speed, status and owner; make it a LAG if it has to be."""
        interfaces = plan.interfaces
        if port.kind is not PortKind.LAG and len(interfaces) == 1:
            return update(
                port, speed_mbps=interfaces[0].speed_mbps, status=status, organisation=org
            )
        members = sorted(port.lag_members, key=lambda p: p.name)
        speeds = []
        for n, interface in enumerate(interfaces):
            if n < len(members):
                member = members[n]
                changed = update(
                    member, speed_mbps=interface.speed_mbps, status=status, organisation=org
                )
                self.state.tally.touched(Kind.PORTS, member, changed)
            else:
                member = self._lag_member(plan, port, n, interface, org, status)
            speeds.append(member.speed_mbps)
        return update(
            port, kind=PortKind.LAG, speed_mbps=sum(speeds), status=status, organisation=org
        )

    def _lag_member(
        self,
        plan: ConnectionPlan,
        lag: Port,
        n: int,
        interface: InterfacePlan,
        org: Organisation,
        status: PortStatus,
    ) -> Port:
        state = self.state
        switch = state.switches.get((plan.exchange_key, interface.switch_key), lag.switch)
        name = fit(f"{lag.name}-{n + 1}", 100)
        member = state.index.ports.get((switch, name))
        if member is None:
            member = Port(
                switch=switch,
                name=name,
                kind=PortKind.PHYSICAL,
                speed_mbps=interface.speed_mbps or DEFAULT_SPEED_MBPS,
                status=status,
                organisation=org,
                lag=lag,
            )
            state.session.add(member)
            state.index.ports[(switch, name)] = member
            state.tally.created(Kind.PORTS, member)
        else:
            changed = update(
                member, speed_mbps=interface.speed_mbps, status=status, organisation=org
            )
            if member.lag is not lag:
                member.lag = lag
                changed = True
            state.tally.touched(Kind.PORTS, member, changed)
        return member


def _lan_holds(lan: PeeringLan, plan: AddressPlan) -> bool:
    return bool(
        (plan.ipv4 and lan.ipv4_prefix and _within(plan.ipv4, lan.ipv4_prefix))
        or (plan.ipv6 and lan.ipv6_prefix and _within(plan.ipv6, lan.ipv6_prefix))
    )


def _set_macs(session: Session, port: Port, macs: tuple[str, ...]) -> bool:
    """Make the port's MAC addresses exactly ``macs``; True if that changed anything."""
    current = {row.mac: row for row in port.macs}
    wanted = set(macs)
    for mac in sorted(wanted - current.keys()):
        session.add(PortMac(port=port, mac=mac))
    for mac, row in current.items():
        if mac not in wanted:
            port.macs.remove(row)
    return wanted != current.keys()
