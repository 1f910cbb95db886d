"""Ports and LAGs, moves, MAC addresses; and the IP assignments on peering LANs."""

from __future__ import annotations

from pydantic import BaseModel

from ixcenter.api.schemas.numbers import Id, Int32, Int64
from ixcenter.core.kinds import PortKind, PortStatus
from ixcenter.registry.models import IpAssignment, Port
from ixcenter.registry.services import ports


class PortOut(BaseModel):
    id: int
    switch: str
    name: str
    kind: PortKind
    speed_mbps: int
    status: PortStatus
    organisation_id: int | None
    lag_id: int | None
    lag_member_ids: list[int]
    macs: list[str]

    @classmethod
    def of(cls, port: Port) -> PortOut:
        return cls(
            id=port.id,
            switch=port.switch.name,
            name=port.name,
            kind=port.kind,
            speed_mbps=port.speed_mbps,
            status=port.status,
            organisation_id=port.organisation_id,
            lag_id=port.lag_id,
            lag_member_ids=[p.id for p in port.lag_members],
            macs=[m.mac for m in port.macs],
        )


class PortIn(BaseModel):
    switch: str
    name: str
    speed_mbps: Int64


class LagIn(BaseModel):
    switch: str
    name: str
    port_ids: list[Id]


class MoveIn(BaseModel):
    to_switch: str
    to_port: str
    speed_mbps: Int64 | None = None

    def to_move(self, port_id: int) -> ports.Move:
        return ports.Move(port_id, self.to_switch, self.to_port, self.speed_mbps)


class MacsIn(BaseModel):
    macs: list[str]


class ConnectIn(BaseModel):
    """Give an existing member this available port."""

    member_id: Id
    macs: list[str] = []


class AssignIn(BaseModel):
    """One more router address pair for the member on ``port_id``; omitted addresses: next free."""

    port_id: Id
    exchange: str
    vlan: Int32
    asn: Int64 | None = None
    ipv4: str | None = None
    ipv6: str | None = None


class AssignmentOut(BaseModel):
    id: int
    lan_id: int
    exchange: str
    vlan: int
    port_id: int
    organisation_id: int
    asn: int
    ipv4: str | None
    ipv6: str | None

    @classmethod
    def of(cls, assignment: IpAssignment) -> AssignmentOut:
        return cls(
            id=assignment.id,
            lan_id=assignment.lan_id,
            exchange=assignment.lan.exchange.code,
            vlan=assignment.lan.vlan,
            port_id=assignment.port_id,
            organisation_id=assignment.member_asn.organisation_id,
            asn=assignment.member_asn.asn,
            ipv4=assignment.ipv4,
            ipv6=assignment.ipv6,
        )
