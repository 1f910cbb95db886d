"""Live: a bad registry entry or a config a daemon refuses never leaves a route server down.

End to end through ``ixcenter.routing.route_servers`` (what ``ixc rs build`` and ``ixc rs
deploy`` run) with a real registry, both daemons in one lab namespace and two ExaBGP members on
the LAN. After a good build and deploy, with every session established:

a. registry rows the services would refuse, written with raw SQL: ``build`` fails with a clear
   error, writes no candidate, and both daemons keep running, untouched, with every session;
b. hand-corrupted candidates: one ``bird -p`` refuses (nothing is touched), and ones the daemon
   loads but cannot run healthily (a session the build promised is gone): that server rolls
   back to its last good config; when it is rs1, rs2 is not touched at all.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ixcenter.core.clock import SystemClock
from ixcenter.core.errors import IxcError
from ixcenter.lab import Lab, netns
from ixcenter.lab.member_router import ExabgpRouter, Neighbor, RouterSpec
from ixcenter.registry.db import Registry
from ixcenter.registry.services import topology
from ixcenter.routing import route_servers
from ixcenter.routing.control import process
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.daemons import daemon_for
from ixcenter.routing.control.deploy import DeployError
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.policy.evaluate import Route
from ixcenter.routing.render.check import ConfigRejected
from ixcenter.routing.rpki.vrps import write_vrps
from tests.lab.livelab import require_namespaces
from tests.live import require
from tests.registry.services.builders import onboard
from tests.routing.scenarios.exchange import PROGRAMS, wait
from tests.routing.scenarios.scenario import rpsl_routes

pytestmark = pytest.mark.live

EXCHANGE = "LAB"
RS_ASN = 64500
LAN4, LAN6 = "185.1.0.0/24", "2a0c:1::/64"
RS_ADDRESSES = {"rs1": ("185.1.0.1", "2a0c:1::1"), "rs2": ("185.1.0.2", "2a0c:1::2")}
# node: ASN, name, switch port, IPv4, IPv6, the prefixes it announces
MEMBERS = {
    "m1": (1001, "Alpha", "xe-0/0/1", "185.1.0.11", "2a0c:1::b", ("11.1.0.0/16", "2a0b:1001::/32")),
    "m2": (1002, "Bravo", "xe-0/0/2", "185.1.0.12", "2a0c:1::c", ("11.2.0.0/16", "2a0b:1002::/32")),
}
RPSL = "\n".join(rpsl_routes(asn, *prefixes) for asn, *_, prefixes in MEMBERS.values())
SESSIONS = ("AS1001_1_v4", "AS1001_1_v6", "AS1002_1_v4", "AS1002_1_v6")


def registry_exchange(registry: Registry) -> None:
    """The exchange LAB through the registry services: one LAN, both route servers, 2 members."""
    reserved = [(address, name) for name, pair in RS_ADDRESSES.items() for address in pair]
    reserved += [("185.1.0.66", "blackhole next hop"), ("2a0c:1::42", "blackhole next hop")]
    with registry.transaction("test") as s:
        topology.add_exchange(
            s, topology.NewExchange(EXCHANGE, "Lab IXC", "Beijing", "Beijing", "CN", rs_asn=RS_ASN)
        )
        topology.add_node(
            s, topology.NewNode(EXCHANGE, "LAB1", "Lab 1", "Beijing", "Beijing", "CN")
        )
        topology.add_switch(s, "LAB1", "lab1-sw1")
        lan = topology.NewLan(EXCHANGE, "LAB peering", 100, LAN4, LAN6, reserved=tuple(reserved))
        topology.add_lan(s, lan, registry.clock)
    for asn, name, port, v4, v6, _ in MEMBERS.values():
        onboard(registry, name, asn, port, switch="lab1-sw1", ipv4=v4, ipv6=v6)


@dataclass
class Deployed:
    registry: Registry
    irr: IrrStore
    root: Path
    namespace: str
    members: dict[str, ExabgpRouter]

    def build(self) -> list[route_servers.Built]:
        return route_servers.build(
            self.registry, self.irr, self.root, exchanges=(EXCHANGE,), namespace=self.namespace
        )

    def deploy(self, *, timeout: float = 30.0) -> list[Any]:
        return route_servers.deploy(
            self.registry,
            self.root,
            exchanges=(EXCHANGE,),
            namespace=self.namespace,
            timeout=timeout,
        )

    def directory(self, name: str) -> Path:
        return self.root / f"{EXCHANGE}-{name}"

    def candidate(self, name: str) -> Path:
        return self.directory(name) / route_servers.CANDIDATE

    def healthy(self) -> bool:
        """Both daemons run with every session established, and each member has the other's
        routes from both route servers."""
        found = route_servers.status(
            self.registry, self.root, exchanges=(EXCHANGE,), namespace=self.namespace
        )
        for server in found:
            up = {s.name for s in server.sessions if s.established}
            if not server.running or not set(SESSIONS) <= up:
                return False
        for node, router in self.members.items():
            other = next(n for n in MEMBERS if n != node)
            wanted = {ipaddress.ip_network(p) for p in MEMBERS[other][5]}
            received = router.received()
            for v4, v6 in RS_ADDRESSES.values():
                got = set(received.get(ipaddress.ip_address(v4), {})) | set(
                    received.get(ipaddress.ip_address(v6), {})
                )
                if got != wanted:
                    return False
        return True

    def state(self, name: str) -> dict[str, Any]:
        """Everything a build or a deployment would change about route server ``name``."""
        directory = self.directory(name)
        found: dict[str, Any] = {}
        for file in (route_servers.CANDIDATE, route_servers.SUMMARY):
            path = directory / file
            found[file] = (path.read_bytes(), path.stat().st_mtime_ns)
        found["versions"] = sorted(p.name for p in (directory / "versions").iterdir())
        found["current"] = os.readlink(directory / "current")
        pid = process.read_pidfile(directory / "daemon.pid")
        assert pid is not None and process.alive(pid)
        found["pid"] = pid
        if name == "rs1":
            status = BirdClient(directory / "bird.ctl").status()
            found["reconfigured"] = status.last_reconfiguration
        return found


def _member(node: str) -> RouterSpec:
    asn, _, _, v4, v6, prefixes = MEMBERS[node]
    neighbors = []
    for rs4, rs6 in RS_ADDRESSES.values():
        neighbors.append(Neighbor(ipaddress.ip_address(rs4), ipaddress.ip_address(v4), RS_ASN))
        neighbors.append(Neighbor(ipaddress.ip_address(rs6), ipaddress.ip_address(v6), RS_ASN))
    routes = tuple(
        Route(
            ipaddress.ip_network(p),
            (asn,),
            ipaddress.ip_address(v6 if ":" in p else v4),
        )
        for p in prefixes
    )
    return RouterSpec(node, asn, ipaddress.IPv4Address(v4), tuple(neighbors), routes)


@pytest.fixture
def exchange(registry: Registry, tmp_path: Path) -> Iterator[Deployed]:
    """LAB built, both route servers deployed in one namespace, both members established."""
    for program in PROGRAMS:
        require(program)
    require_namespaces()
    registry_exchange(registry)
    irr = IrrStore()
    irr.load(parse_rpsl(RPSL)[0])
    root = tmp_path / "rs"
    lab = Lab(tmp_path / "lab")
    rtr: StayRtr | None = None
    namespace = lab.namespace("rs")
    try:
        lan = lab.add_lan(ipv4=LAN4, ipv6=LAN6)
        lan.attach(lab.add_node("rs"), ipv4=RS_ADDRESSES["rs1"][0], ipv6=RS_ADDRESSES["rs1"][1])
        # rs2's addresses on the same port: both daemons share the namespace
        netns.ip("-n", namespace, "addr", "add", f"{RS_ADDRESSES['rs2'][0]}/24", "dev", "lan0")
        netns.ip(
            "-n", namespace, "addr", "add", f"{RS_ADDRESSES['rs2'][1]}/64", "dev", "lan0", "nodad"
        )
        for node, (_, _, _, v4, v6, _) in MEMBERS.items():
            lan.attach(lab.add_node(node), ipv4=v4, ipv6=v6)
        vrps = tmp_path / "vrps.json"
        write_vrps(vrps, (), clock=SystemClock())
        rtr = StayRtr(RtrServer(vrps, tmp_path / "rtr", port=8323, namespace=namespace))
        rtr.start()
        assert (
            len(
                exchange_build := route_servers.build(
                    registry, irr, root, exchanges=(EXCHANGE,), namespace=namespace
                )
            )
            == 2
        )
        deployed = Deployed(registry, irr, root, namespace, {})
        assert [d.started for d in deployed.deploy()] == [True, True]
        assert all(b.sessions == SESSIONS for b in exchange_build)
        for node in MEMBERS:
            router = ExabgpRouter(_member(node), tmp_path / node)
            router.start(lab, node)
            deployed.members[node] = router
        wait("both route servers healthy, every member with the other's routes", deployed.healthy)
        yield deployed
    finally:
        for spec in route_servers.specs(root, [EXCHANGE], namespace):
            daemon_for(spec.process()).stop()
        if rtr is not None:
            rtr.stop()
        lab.down()


def _raw(registry: Registry, statement: str, **values: object) -> None:
    """A registry change the services would refuse, straight into the database."""
    with registry.writer.begin() as connection:
        connection.execute(text(statement), values)


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_no_route_server_is_left_down(exchange: Deployed) -> None:
    registry = exchange.registry
    servers = ("rs1", "rs2")
    before = {name: exchange.state(name) for name in servers}

    def untouched() -> None:
        assert {name: exchange.state(name) for name in servers} == before
        assert exchange.healthy()

    # a. bad registry rows: nothing written, nothing touched
    bad_rows = (
        # a password no config can hold: the renderers refuse it
        (
            "UPDATE member_asns SET bgp_password = :v WHERE asn = 1002",
            'se"cret',
            IxcError,
            "AS1002_1",
        ),
        # a max-prefix past 32 bits: rendered, refused by `bird -p` ("Number out of range")
        (
            "UPDATE member_asns SET max_prefix_v4 = :v WHERE asn = 1002",
            2**32 + 5,
            ConfigRejected,
            "bird rejected the configuration .* receive limit 4294967301",
        ),
        # an IPv4 address that is not one
        (
            "UPDATE ip_assignments SET ipv4 = :v WHERE ipv4 = '185.1.0.12'",
            "185.1.0.300",
            IxcError,
            "185.1.0.300",
        ),
    )
    restore = (
        "UPDATE member_asns SET bgp_password = NULL, max_prefix_v4 = 100 WHERE asn = 1002",
        "UPDATE ip_assignments SET ipv4 = '185.1.0.12' WHERE ipv4 = '185.1.0.300'",
    )
    for statement, value, error, words in bad_rows:
        _raw(registry, statement, v=value)
        with pytest.raises(error, match=words):
            exchange.build()
        untouched()
        for undo in restore:
            _raw(registry, undo)

    # b1. rs1's candidate corrupted so that `bird -p` refuses it: nothing is touched
    rs1, rs2 = exchange.candidate("rs1"), exchange.candidate("rs2")
    good1, good2 = rs1.read_text(), rs2.read_text()
    session = "protocol bgp AS1002_1_v4 {"
    assert session in good1
    rs1.write_text(good1.replace(session, session + " {", 1))
    with pytest.raises(ConfigRejected, match="bird"):
        exchange.deploy()
    rs1.write_text(good1)
    before["rs1"][route_servers.CANDIDATE] = (rs1.read_bytes(), rs1.stat().st_mtime_ns)
    untouched()

    # b2. rs1's candidate parses but loses a session the build promised: rs1 rolls back, rs2
    # is never touched (deployment stops at the first failure)
    rs1.write_text(good1.replace(session, "protocol bgp AS1002_1_renamed {", 1))
    with pytest.raises(DeployError) as failed:
        exchange.deploy(timeout=5)
    assert (failed.value.server, failed.value.rolled_back) == ("LAB-rs1", True)
    assert "sessions missing: AS1002_1_v4" in str(failed.value)
    after = exchange.state("rs1")
    assert after["current"] == before["rs1"]["current"]  # still the last good config
    assert after["pid"] == before["rs1"]["pid"]  # reloaded, never restarted
    assert len(after["versions"]) > len(before["rs1"]["versions"])  # the failed one, recorded
    assert exchange.state("rs2") == before["rs2"]
    wait("rs1 back on its last good config with every session", exchange.healthy)

    # b3. the same for rs2: rs1 (its good candidate again) is deployed first and stays good,
    # rs2 rolls back
    rs1.write_text(good1)
    descr = 'descr "AS1002_1_v4"'
    assert descr in good2
    rs2.write_text(good2.replace(descr, 'descr "AS1002_1_renamed"', 1))
    with pytest.raises(DeployError) as failed:
        exchange.deploy(timeout=5)
    assert (failed.value.server, failed.value.rolled_back) == ("LAB-rs2", True)
    assert exchange.state("rs2")["current"] == before["rs2"]["current"]
    assert exchange.state("rs2")["pid"] == before["rs2"]["pid"]
    assert exchange.state("rs1")["current"] != before["rs1"]["current"]  # the new good version
    wait("both route servers healthy after rs2's rollback", exchange.healthy)


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_a_malformed_address_in_the_registry_is_a_clear_error(
    registry: Registry, tmp_path: Path
) -> None:
    registry_exchange(registry)
    _raw(registry, "UPDATE ip_assignments SET ipv4 = '185.1.0.300' WHERE ipv4 = '185.1.0.12'")
    irr = IrrStore()
    irr.load(parse_rpsl(RPSL)[0])
    with pytest.raises(IxcError, match=r"185\.1\.0\.300"):
        route_servers.build(registry, irr, tmp_path / "rs", exchanges=(EXCHANGE,))
    assert not (tmp_path / "rs").exists()  # nothing written
