"""The data of the overview page: centers with their nodes and LANs, member counts, links.

Computed here as plain values (a few grouped queries, no lazy loading in templates), so the
template only prints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ixcenter.core.kinds import PortStatus
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    LongDistanceLink,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Port,
    Switch,
)

_SERVING = (PortStatus.CONNECTED, PortStatus.DISABLED)


@dataclass(frozen=True, slots=True)
class NodeRow:
    code: str
    name: str
    city: str
    facility: str
    switches: int


@dataclass(frozen=True, slots=True)
class LanRow:
    name: str
    vlan: int
    ipv4_prefix: str
    ipv6_prefix: str
    members: int


@dataclass(frozen=True, slots=True)
class CenterRow:
    code: str
    name: str
    city: str
    province: str
    country: str
    members: int
    nodes: tuple[NodeRow, ...]
    lans: tuple[LanRow, ...]


@dataclass(frozen=True, slots=True)
class LinkRow:
    name: str
    a_end: str
    b_end: str
    capacity: str
    latency_ms: float
    cross_border: bool


@dataclass(frozen=True, slots=True)
class Overview:
    centers: tuple[CenterRow, ...]
    links: tuple[LinkRow, ...]
    members: int


def capacity_text(mbps: int) -> str:
    """``100000`` -> ``100 Gbit/s``; ``2500`` -> ``2.5 Gbit/s``; ``800`` -> ``800 Mbit/s``."""
    if mbps >= 1_000_000 and mbps % 100_000 == 0:
        return f"{mbps / 1_000_000:g} Tbit/s"
    if mbps >= 1000:
        return f"{mbps / 1000:g} Gbit/s"
    return f"{mbps} Mbit/s"


def _members_per_center(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Node.exchange_id, func.count(func.distinct(Port.organisation_id)))
        .join(Switch, Switch.node_id == Node.id)
        .join(Port, Port.switch_id == Switch.id)
        .where(Port.organisation_id.is_not(None), Port.status.in_(_SERVING))
        .group_by(Node.exchange_id)
    ).all()
    return {exchange_id: count for exchange_id, count in rows}


def _members_per_lan(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(IpAssignment.lan_id, func.count(func.distinct(MemberAsn.organisation_id)))
        .join(MemberAsn, IpAssignment.asn_id == MemberAsn.id)
        .group_by(IpAssignment.lan_id)
    ).all()
    return {lan_id: count for lan_id, count in rows}


def _switches_per_node(session: Session) -> dict[int, int]:
    rows = session.execute(select(Switch.node_id, func.count(Switch.id)).group_by(Switch.node_id))
    return {node_id: count for node_id, count in rows.all()}


def overview(session: Session) -> Overview:
    per_center = _members_per_center(session)
    per_lan = _members_per_lan(session)
    per_node = _switches_per_node(session)
    nodes: dict[int, list[NodeRow]] = defaultdict(list)
    for node in session.scalars(select(Node).order_by(Node.code)):
        nodes[node.exchange_id].append(
            NodeRow(node.code, node.name, node.city, node.facility or "", per_node.get(node.id, 0))
        )
    lans: dict[int, list[LanRow]] = defaultdict(list)
    for lan in session.scalars(select(PeeringLan).order_by(PeeringLan.vlan)):
        lans[lan.exchange_id].append(
            LanRow(
                lan.name,
                lan.vlan,
                lan.ipv4_prefix or "",
                lan.ipv6_prefix or "",
                per_lan.get(lan.id, 0),
            )
        )
    centers = tuple(
        CenterRow(
            code=center.code,
            name=center.name,
            city=center.city,
            province=center.province,
            country=center.country,
            members=per_center.get(center.id, 0),
            nodes=tuple(nodes[center.id]),
            lans=tuple(lans[center.id]),
        )
        for center in session.scalars(select(ExchangeCenter).order_by(ExchangeCenter.code))
    )
    codes: dict[int, str] = {
        row.id: row.code for row in session.execute(select(ExchangeCenter.id, ExchangeCenter.code))
    }
    links = tuple(
        LinkRow(
            name=link.name,
            a_end=codes[link.a_exchange_id],
            b_end=(
                codes[link.b_exchange_id]
                if link.b_exchange_id is not None
                else f"{link.remote_name or '?'} ({link.remote_country or '?'})"
            ),
            capacity=capacity_text(link.capacity_mbps),
            latency_ms=link.latency_ms,
            cross_border=link.cross_border,
        )
        for link in session.scalars(select(LongDistanceLink).order_by(LongDistanceLink.name))
    )
    members = session.scalar(select(func.count(Organisation.id))) or 0
    return Overview(centers=centers, links=links, members=members)
