"""The registry as IX-F Member Export JSON 1.0: every exchange center, every member ASN.

Identifiers in the export:

- ``ixp_id`` is the exchange center's registry id, ``switch.id`` the switch's registry id and
  ``vlan.id`` / ``vlan_id`` the peering LAN's VLAN number.
- ``ixf_id`` is required by the schema: ``ExchangeCenter.ixf_id`` when set, otherwise the stable
  fallback ``-ExchangeCenter.id``. Real IX-F database ids are positive, so a negative value never
  collides with one and says plainly "not registered with IX-F"; ``import_ixf`` treats a
  non-positive ``ixf_id`` as absent.

Each member ASN is one ``member_list`` entry named after its organisation. Each top-level port
(physical, or a LAG whose physical members form ``if_list``) in service (connected or disabled)
is one connection of each ASN that has addresses on it; a port without addresses belongs to the
lowest ASN of its organisation. Route-server participation, max-prefix and AS-SET come from
``MemberAsn``; MAC addresses from the port. Everything is sorted, so two exports of the same
registry are equal except for ``timestamp``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ixcenter.core.kinds import PortKind, PortStatus
from ixcenter.registry.interchange.ixf_schema import EXPORT_VERSION
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Port,
    Switch,
)

logger = logging.getLogger(__name__)

_IN_SERVICE = (PortStatus.CONNECTED, PortStatus.DISABLED)


def export_ixf(session: Session, *, generated: dt.datetime) -> dict[str, Any]:
    """The whole registry as an IX-F 1.0 document stamped ``generated`` (timezone-aware)."""
    if generated.tzinfo is None:
        raise ValueError("export_ixf needs a timezone-aware time")
    exchanges = session.scalars(
        select(ExchangeCenter)
        .options(
            selectinload(ExchangeCenter.lans),
            selectinload(ExchangeCenter.nodes).selectinload(Node.switches),
        )
        .order_by(ExchangeCenter.id)
    ).all()
    asns = session.scalars(
        select(MemberAsn)
        .options(selectinload(MemberAsn.organisation).selectinload(Organisation.asns))
        .order_by(MemberAsn.asn)
    ).all()
    connections = _connections(session, {a.id: a for a in asns})
    document = {
        "version": EXPORT_VERSION,
        "timestamp": generated.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ixp_list": [_ixp(exchange) for exchange in exchanges],
        "member_list": [_member(asn, connections.get(asn.id, [])) for asn in asns],
    }
    logger.info("IX-F export: %d exchanges, %d members", len(exchanges), len(asns))
    return document


def _ixp(exchange: ExchangeCenter) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ixp_id": exchange.id,
        "ixf_id": exchange.ixf_id if exchange.ixf_id is not None else -exchange.id,
        "shortname": exchange.code,
        "name": exchange.name,
        "country": exchange.country,
    }
    if exchange.url:
        entry["url"] = exchange.url
    if exchange.peeringdb_id is not None:
        entry["peeringdb_id"] = exchange.peeringdb_id
    switches = sorted((s for n in exchange.nodes for s in n.switches), key=lambda s: s.id)
    entry["switch"] = [_switch(switch) for switch in switches]
    entry["vlan"] = [_vlan(lan) for lan in sorted(exchange.lans, key=lambda lan: lan.vlan)]
    return entry


def _switch(switch: Switch) -> dict[str, Any]:
    node = switch.node
    entry: dict[str, Any] = {
        "id": switch.id,
        "name": switch.name,
        "colo": node.facility or node.name,
        "country": node.country,
    }
    if node.city:
        entry["city"] = node.city
    if switch.manufacturer:
        entry["manufacturer"] = switch.manufacturer
        if switch.model:
            entry["model"] = switch.model
    return entry


def _vlan(lan: PeeringLan) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": lan.vlan, "name": lan.name}
    for family, prefix in ((4, lan.ipv4_prefix), (6, lan.ipv6_prefix)):
        if prefix:
            network = ipaddress.ip_network(prefix, strict=False)
            entry[f"ipv{family}"] = {
                "prefix": str(network.network_address),
                "mask_length": network.prefixlen,
            }
    return entry


def _member(member_asn: MemberAsn, connections: list[dict[str, Any]]) -> dict[str, Any]:
    org = member_asn.organisation
    entry: dict[str, Any] = {
        "asnum": member_asn.asn,
        "member_type": "peering",
        "name": org.name,
    }
    if org.url:
        entry["url"] = org.url
    entry["connection_list"] = connections
    return entry


def _connections(session: Session, asns: dict[int, MemberAsn]) -> dict[int, list[dict[str, Any]]]:
    """Connections per ``MemberAsn.id``, sorted by exchange, switch and port name."""
    ports = session.scalars(
        select(Port)
        .where(Port.lag_id.is_(None), Port.status.in_(_IN_SERVICE))
        .options(
            selectinload(Port.macs),
            selectinload(Port.lag_members),
            selectinload(Port.assignments).selectinload(IpAssignment.lan),
            selectinload(Port.switch).selectinload(Switch.node),
        )
    ).all()
    found: dict[int, list[tuple[tuple[int, str, str], dict[str, Any]]]] = defaultdict(list)
    for port in ports:
        rows: dict[int, list[IpAssignment]] = defaultdict(list)
        for row in port.assignments:
            rows[row.asn_id].append(row)
        if not rows and port.organisation is not None and port.organisation.asns:
            rows[port.organisation.asns[0].id] = []
        for asn_id, assigned in rows.items():
            exchange_id = port.switch.node.exchange_id
            key = (exchange_id, port.switch.name, port.name)
            found[asn_id].append((key, _connection(port, exchange_id, asns[asn_id], assigned)))
    return {
        asn_id: [c for _, c in sorted(items, key=lambda i: i[0])] for asn_id, items in found.items()
    }


def _connection(
    port: Port, exchange_id: int, member_asn: MemberAsn, rows: list[IpAssignment]
) -> dict[str, Any]:
    members = sorted(port.lag_members, key=lambda p: p.name)
    interfaces = members if port.kind is PortKind.LAG and members else [port]
    macs = sorted(m.mac for m in port.macs)
    return {
        "ixp_id": exchange_id,
        "state": "active" if port.status is PortStatus.CONNECTED else "inactive",
        "if_list": [{"switch_id": i.switch_id, "if_speed": i.speed_mbps} for i in interfaces],
        "vlan_list": [
            _vlan_entry(row, member_asn, macs)
            for row in sorted(rows, key=lambda r: (r.lan.vlan, r.ipv4 or "", r.ipv6 or ""))
        ],
    }


def _vlan_entry(row: IpAssignment, member_asn: MemberAsn, macs: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"vlan_id": row.lan.vlan}
    for family, value, limit in (
        (4, row.ipv4, member_asn.max_prefix_v4),
        (6, row.ipv6, member_asn.max_prefix_v6),
    ):
        if value is None:
            continue
        part: dict[str, Any] = {
            "address": value,
            "routeserver": member_asn.rs_participation,
            "max_prefix": limit,
        }
        if member_asn.as_set:
            part["as_macro"] = member_asn.as_set
        part["mac_addresses"] = macs
        entry[f"ipv{family}"] = part
    return entry
