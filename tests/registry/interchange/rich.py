"""A small but rich registry for the interchange tests, and a source-neutral view of IX-F data."""

from __future__ import annotations

import json
from typing import Any

from ixcenter.core.kinds import OrgCategory, PortKind, PortStatus
from ixcenter.registry.db import Registry
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Port,
    PortMac,
    Switch,
)

MEMBERS = 12


def build(registry: Registry) -> None:
    """Two exchanges (three LANs, three nodes, three switches) and a dozen dual-stack members."""
    with registry.transaction("builder") as s:
        bj = ExchangeCenter(
            code="BJ-IX",
            name="Beijing IX",
            city="Beijing",
            province="Beijing",
            country="CN",
            url="https://bj.example.net/",
            ixf_id=901,
        )
        sh = ExchangeCenter(
            code="SH-IX",
            name="Shanghai IX",
            city="Shanghai",
            province="Shanghai",
            country="CN",
        )
        lans = [
            PeeringLan(
                exchange=bj,
                name="BJ public",
                vlan=100,
                ipv4_prefix="203.0.113.0/24",
                ipv6_prefix="2001:db8:100::/64",
            ),
            PeeringLan(exchange=bj, name="BJ jumbo", vlan=101, ipv4_prefix="198.51.100.0/24"),
            PeeringLan(
                exchange=sh,
                name="SH public",
                vlan=200,
                ipv4_prefix="192.0.2.0/24",
                ipv6_prefix="2001:db8:200::/64",
            ),
        ]
        nodes = [
            Node(
                exchange=bj,
                code="BJ1",
                name="Beijing 1",
                city="Beijing",
                province="Beijing",
                country="CN",
                facility="DC Yizhuang",
            ),
            Node(
                exchange=bj,
                code="BJ2",
                name="Beijing 2",
                city="Beijing",
                province="Beijing",
                country="CN",
                facility="DC Jiuxianqiao",
            ),
            Node(
                exchange=sh,
                code="SH1",
                name="Shanghai 1",
                city="Shanghai",
                province="Shanghai",
                country="CN",
            ),
        ]
        switches = [
            Switch(node=nodes[0], name="bj1-sw1", manufacturer="Arista", model="7280R"),
            Switch(node=nodes[1], name="bj2-sw1"),
            Switch(node=nodes[2], name="sh1-sw1", manufacturer="Juniper"),
        ]
        s.add_all([bj, sh, *lans, *nodes, *switches])
        for i in range(MEMBERS):
            org = Organisation(
                name=f"Member {i:02d}",
                category=OrgCategory.CLOUD,
                country="CN",
                url=f"https://m{i}.example.com/" if i % 3 else None,
                licence_number=f"L-{i}",
            )
            asn = MemberAsn(
                organisation=org,
                asn=64500 + i,
                as_set=f"AS-M{i}" if i % 2 else None,
                max_prefix_v4=10 + i,
                max_prefix_v6=5 + i,
                rs_participation=i % 4 != 3,
            )
            s.add_all([org, asn])
            on_sh = i % 2 == 1
            switch, lan = (switches[2], lans[2]) if on_sh else (switches[i % 4 // 2], lans[0])
            port = Port(
                switch=switch,
                name=f"et-{i}",
                speed_mbps=10_000 * (1 + i % 3),
                status=PortStatus.CONNECTED,
                organisation=org,
            )
            s.add(port)
            if i == 0:  # a LAG of two 100G ports
                port.kind, port.speed_mbps = PortKind.LAG, 200_000
                for n in (1, 2):
                    s.add(
                        Port(
                            switch=switch,
                            name=f"et-0-{n}",
                            speed_mbps=100_000,
                            status=PortStatus.CONNECTED,
                            organisation=org,
                            lag=port,
                        )
                    )
            s.add(PortMac(port=port, mac=f"02:00:00:00:00:{i:02x}"))
            net4 = lan.ipv4_prefix.split("0/")[0]  # type: ignore[union-attr]
            net6 = lan.ipv6_prefix.split("/")[0]  # type: ignore[union-attr]
            s.add(
                IpAssignment(
                    lan=lan,
                    port=port,
                    member_asn=asn,
                    ipv4=f"{net4}{10 + i}",
                    ipv6=f"{net6}{10 + i:x}",
                )
            )
            if i == 2:  # a second LAN on the same port, IPv4 only
                s.add(IpAssignment(lan=lans[1], port=port, member_asn=asn, ipv4="198.51.100.7"))
            if i == 4:  # a second connection at the other exchange
                other = Port(
                    switch=switches[2],
                    name="et-4b",
                    speed_mbps=1000,
                    status=PortStatus.CONNECTED,
                    organisation=org,
                )
                s.add(other)
                s.add(
                    IpAssignment(
                        lan=lans[2],
                        port=other,
                        member_asn=asn,
                        ipv4="192.0.2.99",
                        ipv6="2001:db8:200::99",
                    )
                )


def view(document: dict[str, Any]) -> dict[int, Any]:
    """Members, connections and addresses of an IX-F document, free of registry ids."""
    ixps = {ixp["ixp_id"]: ixp["shortname"] for ixp in document["ixp_list"]}
    switches = {
        (ixp["ixp_id"], sw["id"]): sw.get("name")
        for ixp in document["ixp_list"]
        for sw in ixp.get("switch", [])
    }
    members = {}
    for member in document["member_list"]:
        connections = []
        for conn in member["connection_list"]:
            interfaces = sorted(
                (switches.get((conn["ixp_id"], i.get("switch_id"))), i.get("if_speed"))
                for i in conn.get("if_list", [])
            )
            entries = sorted(json_key(entry) for entry in conn.get("vlan_list", []))
            connections.append((ixps[conn["ixp_id"]], conn.get("state"), interfaces, entries))
        members[member["asnum"]] = (member.get("name"), member.get("url"), sorted(connections))
    return members


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
