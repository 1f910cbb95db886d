"""A small exchange built through the services, for tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.db import Registry
from ixcenter.registry.services import members, ports, topology

LICENCE_OK = dt.date(2030, 1, 1)


def small_exchange(registry: Registry) -> None:
    """Center BJ (node BJ1, switch bj1-sw1, LAN VLAN 100) and center SH (node SH1, sh1-sw1)."""
    with registry.transaction("test") as s:
        for code, city, province in (("BJ", "Beijing", "Beijing"), ("SH", "Shanghai", "Shanghai")):
            topology.add_exchange(
                s, topology.NewExchange(code, f"{city} IXC", city, province, "CN", rs_asn=65000)
            )
            node = f"{code}1"
            topology.add_node(s, topology.NewNode(code, node, f"{city} 1", city, province, "CN"))
            topology.add_switch(s, node, f"{code.lower()}1-sw1")
        topology.add_lan(
            s,
            topology.NewLan(
                "BJ",
                "BJ peering",
                100,
                "198.51.100.0/24",
                "2001:db8:100::/64",
                reserved=(
                    ("198.51.100.1", "rs1"),
                    ("198.51.100.2", "rs2"),
                    ("2001:db8:100::1", "rs1"),
                    ("2001:db8:100::2", "rs2"),
                ),
            ),
            registry.clock,
        )
        topology.add_lan(
            s,
            topology.NewLan("SH", "SH peering", 200, "203.0.113.0/28", "2001:db8:200::/64"),
            registry.clock,
        )


def onboarding(name: str, asn: int, port: str, **changes: object) -> members.Onboarding:
    request = members.Onboarding(
        name=name,
        category=OrgCategory.ISP,
        country="CN",
        asn=asn,
        switch="bj1-sw1",
        port=port,
        speed_mbps=10_000,
        licence_number=f"B1-{asn}",
        licence_expires=LICENCE_OK,
        macs=(f"02:00:00:00:{asn % 256:02x}:01",),
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def onboard(registry: Registry, name: str, asn: int, port: str, **changes: object) -> int:
    with registry.transaction("test") as s:
        done = members.onboard(s, onboarding(name, asn, port, **changes), registry.clock)
    return done.port_id


def spare_port(registry: Registry, switch: str, name: str, speed: int = 10_000) -> int:
    with registry.transaction("test") as s:
        return ports.add_port(s, switch, name, speed).id
