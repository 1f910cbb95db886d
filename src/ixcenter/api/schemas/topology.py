"""Exchange centers, their nodes, switches and peering LANs, and the long-distance links."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ixcenter.api.schemas.numbers import Int32, Int64
from ixcenter.registry.models import ExchangeCenter, LongDistanceLink, Node, PeeringLan, Switch
from ixcenter.registry.services import topology


class NodeOut(BaseModel):
    id: int
    exchange: str
    code: str
    name: str
    city: str
    province: str
    country: str
    latitude: float | None
    longitude: float | None
    facility: str | None

    @classmethod
    def of(cls, node: Node) -> NodeOut:
        return cls(
            id=node.id,
            exchange=node.exchange.code,
            code=node.code,
            name=node.name,
            city=node.city,
            province=node.province,
            country=node.country,
            latitude=node.latitude,
            longitude=node.longitude,
            facility=node.facility,
        )


class LanOut(BaseModel):
    id: int
    exchange: str
    name: str
    vlan: int
    ipv4_prefix: str | None
    ipv6_prefix: str | None
    mtu: int

    @classmethod
    def of(cls, lan: PeeringLan) -> LanOut:
        return cls(
            id=lan.id,
            exchange=lan.exchange.code,
            name=lan.name,
            vlan=lan.vlan,
            ipv4_prefix=lan.ipv4_prefix,
            ipv6_prefix=lan.ipv6_prefix,
            mtu=lan.mtu,
        )


class ExchangeOut(BaseModel):
    id: int
    code: str
    name: str
    city: str
    province: str
    country: str
    url: str | None
    rs_asn: int | None
    ixf_id: int | None
    nodes: list[NodeOut]
    lans: list[LanOut]

    @classmethod
    def of(cls, exchange: ExchangeCenter) -> ExchangeOut:
        return cls(
            id=exchange.id,
            code=exchange.code,
            name=exchange.name,
            city=exchange.city,
            province=exchange.province,
            country=exchange.country,
            url=exchange.url,
            rs_asn=exchange.rs_asn,
            ixf_id=exchange.ixf_id,
            nodes=[NodeOut.of(n) for n in exchange.nodes],
            lans=[LanOut.of(lan) for lan in exchange.lans],
        )


class SwitchOut(BaseModel):
    id: int
    node: str
    name: str
    manufacturer: str | None
    model: str | None

    @classmethod
    def of(cls, switch: Switch) -> SwitchOut:
        return cls(
            id=switch.id,
            node=switch.node.code,
            name=switch.name,
            manufacturer=switch.manufacturer,
            model=switch.model,
        )


class ExchangeIn(BaseModel):
    code: str
    name: str
    city: str
    province: str
    country: str
    url: str | None = None
    rs_asn: Int64 | None = None
    ixf_id: Int32 | None = None

    def to_new(self) -> topology.NewExchange:
        return topology.NewExchange(**self.model_dump())


class NodeIn(BaseModel):
    code: str
    name: str
    city: str
    province: str
    country: str
    latitude: float | None = None
    longitude: float | None = None
    facility: str | None = None

    def to_new(self, exchange: str) -> topology.NewNode:
        return topology.NewNode(exchange=exchange, **self.model_dump())


class SwitchIn(BaseModel):
    name: str
    manufacturer: str | None = None
    model: str | None = None


class ReservedIn(BaseModel):
    address: str
    purpose: str


class LanIn(BaseModel):
    name: str
    vlan: Int32
    ipv4_prefix: str | None = None
    ipv6_prefix: str | None = None
    reserved: list[ReservedIn] = Field(default_factory=list)
    mtu: Int32 = 1500

    def to_new(self, exchange: str) -> topology.NewLan:
        return topology.NewLan(
            exchange=exchange,
            name=self.name,
            vlan=self.vlan,
            ipv4_prefix=self.ipv4_prefix,
            ipv6_prefix=self.ipv6_prefix,
            reserved=tuple((r.address, r.purpose) for r in self.reserved),
            mtu=self.mtu,
        )


class LinkOut(BaseModel):
    id: int
    name: str
    a_exchange: str
    b_exchange: str | None
    remote_name: str | None
    remote_country: str | None
    capacity_mbps: int
    latency_ms: float
    cross_border: bool

    @classmethod
    def of(cls, link: LongDistanceLink) -> LinkOut:
        return cls(
            id=link.id,
            name=link.name,
            a_exchange=link.a_exchange.code,
            b_exchange=link.b_exchange.code if link.b_exchange is not None else None,
            remote_name=link.remote_name,
            remote_country=link.remote_country,
            capacity_mbps=link.capacity_mbps,
            latency_ms=link.latency_ms,
            cross_border=link.cross_border,
        )


class LinkIn(BaseModel):
    name: str
    a_exchange: str
    capacity_mbps: Int64
    latency_ms: float
    b_exchange: str | None = None
    remote_name: str | None = None
    remote_country: str | None = None
    cross_border: bool = False

    def to_new(self) -> topology.NewLink:
        return topology.NewLink(**self.model_dump())
