"""rs2 live: bgpd runs the rendered config, and does with real routes what ``evaluate`` says.

Each test gets its own network namespace (a veth pair carrying every address of the LAN, so
nothing leaves it), starts bgpd (and GoBGP members, stayrtr) inside, and stops them by PID.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pwd
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ixcenter.core.clock import SystemClock
from ixcenter.routing.policy.evaluate import Evaluator, ImportVerdict, Route, rank
from ixcenter.routing.policy.model import Client, PolicySettings, RouteServer
from ixcenter.routing.render.openbgpd import FILTERED_RIB, WELL_KNOWN, render_openbgpd
from ixcenter.routing.rpki.validation import VrpIndex
from ixcenter.routing.rpki.vrps import Vrp, write_vrps
from tests.live import require
from tests.routing.policies import client, rule
from tests.routing.render.test_openbgpd import reference_route_server

pytestmark = pytest.mark.live

RS_ASN = 64500
LAN = ipaddress.ip_network("192.0.2.0/24")
WELL_KNOWN_NAMES = {
    "BLACKHOLE": (65535, 666),
    "GRACEFUL_SHUTDOWN": (65535, 0),
    "NO_EXPORT": (65535, 65281),
    "NO_ADVERTISE": (65535, 65282),
    "NO_EXPORT_SUBCONFED": (65535, 65283),
}


def _require_root() -> None:
    if os.geteuid() != 0:
        message = "network namespaces need root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _bgpd_chroot() -> None:
    """bgpd chroots into its user's home (Debian: _openbgpd, /run/openbgpd), which systemd
    creates only when the packaged service runs."""
    try:
        home = Path(pwd.getpwnam("_openbgpd").pw_dir)
    except KeyError:
        pytest.fail("user _openbgpd missing (the openbgpd package creates it)")
    home.mkdir(mode=0o755, parents=True, exist_ok=True)


def _settled(probe: Callable[[], Any], expected: Any, timeout: float = 30.0) -> Any:
    """``probe()`` once it equals ``expected``, or its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def _wait(what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``probe`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


@dataclass
class Namespace:
    name: str
    logs: Path
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        )

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.name, *argv], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.processes.append((name, process))
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> int:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator[Namespace]:
    _require_root()
    require("ip")
    name = f"ixc-ob-{os.getpid()}-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    ns = Namespace(name, tmp_path)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=30)
        subprocess.run(
            ["ip", "-n", name, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
            check=True,
            timeout=30,
        )
        for link in ("lan0", "lan1"):
            subprocess.run(["ip", "-n", name, "link", "set", link, "up"], check=True, timeout=30)
        yield ns
    finally:
        for _, process in reversed(ns.processes):
            ns.stop(process)
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=30)


def _address(ns: Namespace, address: str) -> None:
    argv = ["ip", "-n", ns.name, "addr", "add", f"{address}/24", "dev", "lan0"]
    if ":" in address:  # usable at once, without duplicate address detection
        argv[-3:-2] = [f"{address}/64"]
        argv.append("nodad")
    subprocess.run(argv, check=True, timeout=30)


def _start_bgpd(ns: Namespace, rs: RouteServer, tmp_path: Path) -> tuple[Any, str]:
    bgpd = require("bgpd")
    require("bgpctl")
    _bgpd_chroot()
    socket = str(tmp_path / "bgpd.sock")
    conf = tmp_path / "bgpd.conf"
    conf.write_text(render_openbgpd(rs, socket_path=socket), encoding="utf-8")
    process = ns.start("bgpd", bgpd, "-d", "-f", str(conf))
    _wait(
        "bgpd's control socket",
        lambda: (
            process.poll() is not None
            or ns.run("bgpctl", "-s", socket, "show", "summary", check=False).returncode == 0
        ),
    )
    assert process.poll() is None, ns.log("bgpd")
    return process, socket


def _bgpctl(ns: Namespace, socket: str, *argv: str) -> Any:
    return json.loads(ns.run("bgpctl", "-s", socket, "-j", *argv).stdout)


# --- smoke: every client configured --------------------------------------------------------------


def test_bgpd_starts_with_every_client_configured(namespace: Namespace, tmp_path: Path) -> None:
    rs = reference_route_server()
    for address in (rs.ipv4, rs.ipv6):
        _address(namespace, str(address))
    process, socket = _start_bgpd(namespace, rs, tmp_path)

    neighbors = _bgpctl(namespace, socket, "show", "neighbor")["neighbors"]
    found = {(n["remote_addr"], n["remote_as"], n["description"]) for n in neighbors}
    expected = {
        (str(address), str(c.asn), f"{c.key}_v{address.version}")
        for c in rs.clients
        for address in (c.ipv4, c.ipv6)
        if address is not None
    }
    assert found == expected
    assert all(n["config"]["passive"] for n in neighbors)
    families = {n["remote_addr"]: n["config"]["capabilities"]["multiprotocol"] for n in neighbors}
    assert families["192.0.2.11"] == ["IPv4 unicast"]
    assert families["2001:db8::11"] == ["IPv6 unicast"]
    sets = _bgpctl(namespace, socket, "show", "sets")["sets"]
    assert {"bogons", "lans", "AS1001_1_irr", "AS1001_1_origins"} <= {s["name"] for s in sets}

    assert namespace.stop(process) == 0
    assert process.poll() is not None


# --- routes: bgpd against the reference semantics ------------------------------------------------

ROUTERS = {"AS1001_1": "192.0.2.11", "AS1002_1": "192.0.2.12", "AS1003_1": "192.0.2.13"}
ROUTERS["AS1001_2"] = "192.0.2.15"
ROUTERS6 = {"AS1001_1": "2001:db8::11", "AS1003_1": "2001:db8::13"}
VRPS = (
    Vrp(ipaddress.ip_network("11.1.40.0/24"), 24, 1001),
    Vrp(ipaddress.ip_network("11.1.41.0/24"), 24, 9999),
    Vrp(ipaddress.ip_network("11.9.0.0/24"), 24, 1001),
)


def _route_server() -> RouteServer:
    hops = frozenset({ipaddress.ip_address("192.0.2.11"), ipaddress.ip_address("192.0.2.15")})
    alpha = [
        rule("11.1.0.0/16", 16, 24),
        rule("11.2.0.0/16", 16, 24),
        rule("2a0b:1001::/32", 32, 48),
    ]
    hops |= {ipaddress.ip_address("2001:db8::11")}
    clients = (
        client(
            "AS1001_1",
            1001,
            "Alpha",
            "192.0.2.11",
            "2001:db8::11",
            allowed_origins=frozenset({1001, 1010}),
            allowed_prefixes=tuple(alpha),
            next_hops=hops,
        ),
        client(
            "AS1002_1",
            1002,
            "Bravo",
            "192.0.2.12",
            None,
            allowed_prefixes=(rule("12.1.0.0/16", 16, 24),),
            blackhole_opt_in=True,
        ),
        client(
            "AS1003_1",
            1003,
            "Charlie",
            "192.0.2.13",
            "2001:db8::13",
            allowed_prefixes=(rule("11.1.0.0/16", 16, 24), rule("13.1.0.0/16", 16, 24)),
        ),
        client(
            "AS1001_2",
            1001,
            "Alpha second router",
            "192.0.2.15",
            None,
            allowed_prefixes=tuple(alpha),
            next_hops=hops,
        ),
    )
    return RouteServer(
        name="rs2",
        exchange="LAB",
        asn=RS_ASN,
        router_id=ipaddress.IPv4Address("192.0.2.2"),
        ipv4=ipaddress.IPv4Address("192.0.2.2"),
        ipv6=ipaddress.IPv6Address("2001:db8::2"),
        lan_prefixes=(LAN, ipaddress.ip_network("2001:db8::/64")),
        blackhole_v4=ipaddress.IPv4Address("192.0.2.66"),
        blackhole_v6=None,  # no IPv6 blackholing: BLACKHOLE on IPv6 routes is an ordinary community
        settings=PolicySettings(transit_free_asns=frozenset({3356})),
        clients=clients,
    )


@dataclass(frozen=True)
class Announcement:
    sender: str
    prefix: str
    path: tuple[int, ...] = ()  # after the sender's own ASN
    communities: tuple[tuple[int, int], ...] = ()
    large: tuple[tuple[int, int, int], ...] = ()
    next_hop: str | None = None


RS = RS_ASN
ANNOUNCEMENTS = (
    Announcement("AS1001_1", "11.1.1.0/24"),
    Announcement("AS1001_1", "11.1.2.0/24", communities=((0, 1002),)),
    Announcement("AS1001_1", "11.1.3.0/24", large=((RS, 0, 0), (RS, 1, 1003))),
    Announcement("AS1001_1", "11.1.4.0/24", communities=((65502, 1002),), large=((RS, 103, 1002),)),
    Announcement("AS1001_1", "11.1.5.0/24", communities=((0, RS), (RS, 1003))),
    Announcement(
        "AS1001_1", "11.1.6.0/24", communities=((1, 2),), large=((RS, 0, 1003), (7, 8, 9))
    ),
    Announcement("AS1001_1", "11.3.0.0/24"),
    Announcement("AS1001_1", "11.1.7.0/25"),
    Announcement("AS1001_1", "10.1.0.0/24"),
    Announcement("AS1001_1", "11.1.8.0/24", path=(3356,)),
    Announcement("AS1001_1", "11.1.9.0/24", next_hop="192.0.2.99"),
    Announcement("AS1001_1", "11.1.10.0/24", path=(64512,)),
    Announcement("AS1001_1", "11.1.11.0/24", large=((RS, 1101, 3), (RS, 1500, 7), (RS, 1000, 1))),
    Announcement("AS1001_1", "11.1.12.0/24", path=(1010,)),
    Announcement("AS1001_1", "11.1.13.0/24", communities=((65535, 65281),)),
    Announcement("AS1001_1", "11.1.14.0/24", communities=((65535, 0),)),
    Announcement("AS1001_1", "11.1.15.32/32", communities=((65535, 666),)),
    Announcement("AS1001_1", "11.8.8.8/32", communities=((65535, 666),)),
    Announcement("AS1001_1", "11.1.40.0/24"),
    Announcement("AS1001_1", "11.1.41.0/24"),
    Announcement("AS1001_1", "11.1.41.1/32", communities=((65535, 666),)),
    Announcement("AS1001_1", "11.9.0.0/24"),
    Announcement("AS1001_1", "11.1.16.0/24", communities=tuple((1, n) for n in range(101))),
    Announcement("AS1001_1", "11.1.17.0/24", path=(1001, 1001)),
    Announcement("AS1001_1", "11.1.18.0/24", next_hop="192.0.2.15"),  # the member's other router
    # the best path is denied to Bravo (0:1002): Bravo gets Charlie's graceful-shutdown path
    Announcement("AS1001_1", "11.1.30.0/24", communities=((0, 1002),)),
    Announcement("AS1003_1", "11.1.30.0/24", communities=((65535, 0),)),
    # Bravo's own route is filtered (not in its IRR): it never competes with Charlie's
    Announcement("AS1002_1", "11.1.31.0/24"),
    Announcement("AS1003_1", "11.1.31.0/24", path=(1003, 1003), communities=((65535, 0),)),
    Announcement("AS1003_1", "13.1.1.0/24"),
    Announcement("AS1002_1", "12.1.1.0/24", communities=((65501, 1001),)),
    Announcement("AS1001_1", "2a0b:1001:1::/48", large=((RS, 101, 1003),)),
    Announcement("AS1001_1", "2a0b:1001:2::/56"),
    Announcement("AS1001_1", "2a0b:1001:3::/48", communities=((65535, 666),)),
    Announcement("AS1001_1", "2a0b:1001::1/128", communities=((65535, 666),)),
    Announcement("AS1001_1", "2001:db8:1::/48"),
    Announcement("AS1003_1", "2a0b:1001:4::/48"),
)


def _route(rs: RouteServer, a: Announcement) -> Route:
    sender = next(c for c in rs.clients if c.key == a.sender)
    return Route(
        prefix=ipaddress.ip_network(a.prefix),
        as_path=(sender.asn, *a.path),
        next_hop=ipaddress.ip_address(a.next_hop or _router(a.sender, a.prefix)),
        communities=frozenset(a.communities),
        large_communities=frozenset(a.large),
    )


def _router(key: str, prefix: str) -> str:
    return ROUTERS6[key] if ":" in prefix else ROUTERS[key]


def _gobgp_config(c: Client, path: Path) -> None:
    text = f"""[global.config]
  as = {c.asn}
  router-id = "{c.ipv4}"
  port = -1
"""
    for rs, local, family in (("192.0.2.2", c.ipv4, "ipv4"), ("2001:db8::2", c.ipv6, "ipv6")):
        if local is not None:
            text += f"""[[neighbors]]
  [neighbors.config]
    neighbor-address = "{rs}"
    peer-as = {RS_ASN}
  [neighbors.transport.config]
    local-address = "{local}"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "{family}-unicast"
"""
    path.write_text(text, encoding="utf-8")


def _announce(ns: Namespace, port: int, a: Announcement, route: Route) -> None:
    family = "ipv6" if ":" in a.prefix else "ipv4"
    argv = ["gobgp", "-p", str(port), "global", "rib", "add", "-a", family, a.prefix]
    argv += ["nexthop", str(route.next_hop)]
    if a.path:
        argv += ["aspath", " ".join(str(n) for n in a.path)]
    if a.communities:
        argv += ["community", ",".join(f"{x}:{y}" for x, y in a.communities)]
    if a.large:
        argv += ["large-community", ",".join(f"{x}:{y}:{z}" for x, y, z in a.large)]
    ns.run(*argv)


def _community(text: str) -> tuple[int, int]:
    if text in WELL_KNOWN_NAMES:
        return WELL_KNOWN_NAMES[text]
    high, low = text.split(":")
    return int(high), int(low)


def _large(text: str) -> tuple[int, int, int]:
    a, b, c = text.split(":")
    return int(a), int(b), int(c)


def _stored(entry: dict[str, Any]) -> tuple[Any, ...]:
    """A bgpctl RIB entry as evaluate stores a route (well-known communities read back)."""
    communities = {_community(c) for c in entry.get("communities", [])}
    large = set()
    for text in entry.get("large_communities", []):
        value = _large(text)
        if value[:2] == (RS_ASN, 1999) and value[2] in WELL_KNOWN:
            communities.add((65535, value[2]))
        else:
            large.add(value)
    path = tuple(int(n) for n in entry["aspath"].split())
    return path, entry["exit_nexthop"], frozenset(communities), frozenset(large)


def _expected_stored(verdict: ImportVerdict) -> tuple[Any, ...]:
    stored = verdict.stored
    assert stored is not None
    return (
        stored.as_path,
        str(stored.next_hop),
        stored.communities,
        stored.large_communities,
    )


def _received(ns: Namespace, port: int, peer: Client) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    tables = {}
    for rs, family, session in (
        ("192.0.2.2", "ipv4", peer.ipv4),
        ("2001:db8::2", "ipv6", peer.ipv6),
    ):
        if session is not None:
            argv = ("gobgp", "-p", str(port), "-j", "neighbor", rs, "adj-in", "-a", family)
            tables.update(json.loads(ns.run(*argv).stdout) or {})
    for prefix, paths in tables.items():
        assert len(paths) == 1, paths
        attrs = {a["type"]: a for a in paths[0]["attrs"]}
        path = tuple(n for seg in attrs[2]["as_paths"] for n in seg["asns"])
        communities = frozenset(
            (v >> 16, v & 0xFFFF) for v in attrs.get(8, {}).get("communities", [])
        )
        large = frozenset(
            (v["ASN"], v["LocalData1"], v["LocalData2"]) for v in attrs.get(32, {}).get("value", [])
        )
        hop = attrs[3]["nexthop"] if 3 in attrs else attrs[14]["nexthop"]  # MP_REACH (IPv6)
        found[prefix] = (path, hop, communities, large)
    return found


def test_routes_are_filtered_and_exported_as_evaluate_says(
    namespace: Namespace, tmp_path: Path
) -> None:
    require("gobgpd")
    require("gobgp")
    stayrtr = require("stayrtr")
    rs = _route_server()
    for address in ("192.0.2.2", "2001:db8::2", *ROUTERS.values(), *ROUTERS6.values()):
        _address(namespace, address)
    vrp_file = tmp_path / "vrps.json"
    write_vrps(vrp_file, VRPS, clock=SystemClock())
    namespace.start(
        "stayrtr",
        stayrtr,
        "-bind",
        "127.0.0.1:8323",
        "-cache",
        str(vrp_file),
        "-metrics.addr",
        "127.0.0.1:9847",
    )
    # bgpd retries a failed RTR connection only after minutes: stayrtr must listen first
    _wait("stayrtr", lambda: "Server started" in namespace.log("stayrtr"))
    _, socket = _start_bgpd(namespace, rs, tmp_path)
    ports = {}
    for number, c in enumerate(rs.clients):
        ports[c.key] = 50100 + number
        config = tmp_path / f"gobgp-{c.key}.toml"
        _gobgp_config(c, config)
        namespace.start(
            f"gobgp-{c.key}",
            "gobgpd",
            "--pprof-disable",
            "-f",
            str(config),
            "--api-hosts",
            f"127.0.0.1:{ports[c.key]}",
        )

    def established() -> bool:
        neighbors = _bgpctl(namespace, socket, "show", "neighbor")["neighbors"]
        sessions = sum((c.ipv4 is not None) + (c.ipv6 is not None) for c in rs.clients)
        return len(neighbors) == sessions and all(n["state"] == "Established" for n in neighbors)

    _wait("every session established", established)
    _wait(
        "the ROAs from stayrtr",
        lambda: any(
            s["type"] == "ROA" and s["num_IPv4"] == len(VRPS)
            for s in _bgpctl(namespace, socket, "show", "sets")["sets"]
        ),
    )

    evaluator = Evaluator(rs, VrpIndex(VRPS))
    verdicts: list[tuple[Client, ImportVerdict]] = []
    for a in ANNOUNCEMENTS:
        route = _route(rs, a)
        sender = evaluator.client(a.sender)
        verdicts.append((sender, evaluator.import_route(sender, route)))
        _announce(namespace, ports[a.sender], a, route)

    accepted = {
        (_router(s.key, str(v.received.prefix)), str(v.received.prefix)): _expected_stored(v)
        for s, v in verdicts
        if v.accepted
    }
    filtered = {
        (_router(s.key, str(v.received.prefix)), str(v.received.prefix)): {
            int(r) for r in v.reasons
        }
        for s, v in verdicts
        if not v.accepted
    }

    def loc_rib() -> dict[tuple[str, str], tuple[Any, ...]]:
        rib = _bgpctl(namespace, socket, "show", "rib", "detail").get("rib", [])
        return {(e["neighbor"]["remote_addr"], e["prefix"]): _stored(e) for e in rib}

    def filtered_rib() -> dict[tuple[str, str], set[int]]:
        rib = _bgpctl(namespace, socket, "show", "rib", "table", FILTERED_RIB, "detail")
        return {
            (e["neighbor"]["remote_addr"], e["prefix"]): {
                _large(t)[2] for t in e.get("large_communities", []) if _large(t)[1] == 1101
            }
            for e in rib.get("rib", [])
        }

    assert _settled(loc_rib, accepted) == accepted
    assert _settled(filtered_rib, filtered) == filtered

    for peer in rs.clients:
        expected, skipped = _expected_exports(evaluator, verdicts, peer)
        port = ports[peer.key]

        def received(port: int = port, peer: Client = peer, skip: set[str] = skipped) -> Any:
            got = _received(namespace, port, peer)
            return {p: r for p, r in got.items() if p not in skip}

        assert _settled(received, expected) == expected, peer.key


def _expected_exports(
    evaluator: Evaluator, verdicts: list[tuple[Client, ImportVerdict]], peer: Client
) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
    """What ``peer`` gets per prefix: the best accepted path it may get (bgpd's ``rde evaluate
    all``), and the prefixes whose best path is the peer's own (bgpd then sends nothing)."""
    expected: dict[str, tuple[Any, ...]] = {}
    skipped: set[str] = set()
    for prefix in {str(v.received.prefix) for _, v in verdicts}:
        paths = sorted(
            ((s, v) for s, v in verdicts if v.accepted and str(v.received.prefix) == prefix),
            key=lambda item: rank(item[1]),
            reverse=True,
        )
        if paths and paths[0][0].key == peer.key:
            skipped.add(prefix)
            continue
        for source, verdict in paths:
            route = evaluator.export_route(verdict, source, peer)
            if route is not None:
                hop = str(route.next_hop)
                expected[prefix] = (route.as_path, hop, route.communities, route.large_communities)
                break
    return expected, skipped
