"""Compiler inputs read from a real registry (SQLite and PostgreSQL), then compiled."""

from __future__ import annotations

import ipaddress

import pytest

from ixcenter.core.errors import NotFound, ValidationFailed
from ixcenter.registry.db import Registry
from ixcenter.registry.services import topology
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.inputs import read_inputs
from tests.registry.services.builders import onboard

A = ipaddress.ip_address
N = ipaddress.ip_network

RPSL = """\
as-set: AS-ALPHA
members: AS1001, AS1002
source: RIPE

route: 11.0.0.0/16
origin: AS1002
source: RIPE

route6: 2a01::/32
origin: AS1001
source: RIPE
"""


def exchange(registry: Registry, rs_asn: int | None = 59900) -> None:
    with registry.transaction("test") as s:
        for code, city in (("BJ", "Beijing"), ("SH", "Shanghai")):
            topology.add_exchange(
                s, topology.NewExchange(code, f"{city} IXC", city, city, "CN", rs_asn=rs_asn)
            )
            topology.add_node(s, topology.NewNode(code, f"{code}1", f"{city} 1", city, city, "CN"))
            topology.add_switch(s, f"{code}1", f"{code.lower()}1-sw1")
        topology.add_lan(
            s,
            topology.NewLan(
                "BJ",
                "BJ peering",
                100,
                "185.1.0.0/24",
                "2a0c:1::/64",
                reserved=(
                    ("185.1.0.1", "route server rs1"),
                    ("185.1.0.2", "route server rs2"),
                    ("185.1.0.66", "blackhole next hop"),
                    ("2a0c:1::1", "route server rs1"),
                    ("2a0c:1::2", "route server rs2"),
                    ("2a0c:1::66", "blackhole next hop"),
                ),
            ),
            registry.clock,
        )
        topology.add_lan(
            s, topology.NewLan("SH", "SH peering", 200, "185.2.0.0/24", None), registry.clock
        )


def test_read_inputs_and_compile(registry: Registry) -> None:
    exchange(registry)
    onboard(
        registry,
        "Alpha",
        1001,
        "xe-0/0/1",
        as_set="AS-ALPHA",
        irr_sources="ripe",
        max_prefix_v4=50,
        max_prefix_v6=5,
        rs_blackhole=True,
        bgp_password="Secret-1",
        ipv4="185.1.0.10",
        ipv6="2a0c:1::10",
    )
    onboard(registry, "Beta", 2001, "xe-0/0/2", ipv4="185.1.0.11", ipv6="2a0c:1::11")
    onboard(registry, "Quiet", 3001, "xe-0/0/3", rs_participation=False)
    with registry.read() as session:
        inputs = read_inputs(session, "BJ")
        assert read_inputs(session, "BJ", vlan=100) == inputs
        with pytest.raises(NotFound):
            read_inputs(session, "BJ", vlan=999)
    lan = inputs.lan
    assert lan.exchange == "BJ" and lan.rs_asn == 59900
    assert lan.ipv4_prefix == N("185.1.0.0/24") and lan.ipv6_prefix == N("2a0c:1::/64")
    assert lan.bogon_lans == (N("185.1.0.0/24"), N("185.2.0.0/24"), N("2a0c:1::/64"))
    assert {(str(r.address), r.purpose) for r in lan.reserved} >= {
        ("185.1.0.66", "blackhole next hop"),
        ("2a0c:1::1", "route server rs1"),
    }
    alpha, beta, quiet = inputs.routers
    assert (alpha.asn, alpha.name, alpha.as_set, alpha.irr_sources) == (
        1001,
        "Alpha",
        "AS-ALPHA",
        ("RIPE",),
    )
    assert (alpha.max_prefix_v4, alpha.max_prefix_v6) == (50, 5)
    assert alpha.md5_password == "Secret-1" and alpha.blackhole_opt_in
    assert alpha.ipv4 == A("185.1.0.10") and alpha.ipv6 == A("2a0c:1::10")
    assert beta.md5_password is None and not beta.blackhole_opt_in and beta.irr_sources == ()
    assert not quiet.rs_participation
    assert alpha.organisation_id != beta.organisation_id

    store = IrrStore()
    store.load(parse_rpsl(RPSL)[0])
    rs = compile_route_server(inputs.lan, inputs.routers, store)
    assert [c.key for c in rs.clients] == ["AS1001_1", "AS2001_1"]
    first = rs.clients[0]
    assert first.allowed_origins == {1001, 1002}
    assert [str(r.prefix) for r in first.allowed_prefixes] == ["11.0.0.0/16", "2a01::/32"]
    assert first.md5_password == "Secret-1" and first.blackhole_opt_in
    assert rs.blackhole_v4 == A("185.1.0.66") and rs.ipv6 == A("2a0c:1::1")


def test_read_inputs_refuses_what_it_cannot_use(registry: Registry) -> None:
    exchange(registry, rs_asn=None)
    with registry.read() as session:
        with pytest.raises(ValidationFailed) as error:
            read_inputs(session, "BJ")
        assert error.value.problems[0].code == "no-rs-asn"
        with pytest.raises(NotFound):
            read_inputs(session, "GZ")
