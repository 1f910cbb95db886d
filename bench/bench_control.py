"""Reading a member's routes from the route servers: our clients against the daemons' own tools.

A lab LAN with rs1 (BIRD 2), rs2 (OpenBGPD) and one BIRD member announcing N prefixes with a
community and a large community each; both route servers filter every tenth prefix (BIRD keeps
it, tagged, with ``import keep filtered on``). Once all N have arrived, each reader runs
``--repeat`` times and the best wall time counts:

- ``birdc``: ``birdc -s SOCK show route protocol m1 all`` into /dev/null (text, no parsing);
- ``bird socket``: our ``BirdSocket`` reading the same reply, lines split, not parsed;
- ``BirdClient``: ``routes("m1", RECEIVED)``: accepted and filtered, parsed into ``Route``s;
- ``bgpctl``: ``bgpctl -j show rib in neighbor m1 detail`` into /dev/null;
- ``BgpctlClient``: ``routes("m1", RECEIVED)``: the same JSON, parsed into ``Route``s.

    .venv/bin/python -m bench.bench_control --routes 50000
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ixcenter.lab import Lab
from ixcenter.routing.control.bird import BirdClient, BirdSocket
from ixcenter.routing.control.daemons import DaemonKind, RouteServer, daemon_for
from ixcenter.routing.control.model import RouteSet
from ixcenter.routing.control.openbgpd import BgpctlClient


def prefixes(count: int) -> list[ipaddress.IPv4Network]:
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    return [ipaddress.IPv4Network((base + (i << 8), 24)) for i in range(count)]


def configs(count: int, directory: Path) -> dict[str, str]:
    routes = "\n".join(
        f"  route {p} blackhole {{ bgp_community.add((64511,{i % 10})); "
        f"bgp_large_community.add((64511,1,{i})); }};"
        for i, p in enumerate(prefixes(count))
    )
    member = f"""router id 192.0.2.11;
protocol device {{}}
protocol static s4 {{ ipv4;
{routes}
}}
protocol bgp to_rs1 {{ local 192.0.2.11 as 64511; neighbor 192.0.2.1 as 64500;
  connect delay time 1; ipv4 {{ import none; export where source = RTS_STATIC; }}; }}
protocol bgp to_rs2 {{ local 192.0.2.11 as 64511; neighbor 192.0.2.2 as 64500;
  connect delay time 1; ipv4 {{ import none; export where source = RTS_STATIC; }}; }}
"""
    rs1 = """router id 192.0.2.1;
protocol device {}
protocol bgp m1 { local 192.0.2.1 as 64500; neighbor 192.0.2.11 as 64511; rs client;
  ipv4 { import keep filtered on; import filter {
    if (64511, 0) ~ bgp_community then {
      bgp_large_community.add((64500, 1101, 5)); reject; }
    accept; }; export none; }; }
"""
    rs2 = f"""AS 64500
router-id 192.0.2.2
fib-update no
socket "{directory / "rs2" / "bgpd.sock"}"
listen on 192.0.2.2
neighbor 192.0.2.11 {{
  remote-as 64511
  descr "m1"
}}
allow from any
deny from any community 64511:0
"""
    return {"m1": member, "rs1": rs1, "rs2": rs2}


def best_of(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return min(times), count


def wait(probe: Callable[[], bool], what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.5)


def run(count: int, repeat: int) -> list[tuple[str, float, int]]:
    with tempfile.TemporaryDirectory(prefix="ixc-bench-") as temporary:
        directory = Path(temporary)
        texts = configs(count, directory)
        with Lab(directory / "lab") as lab:
            lan = lab.add_lan(ipv4="192.0.2.0/24")
            for node, last in (("rs1", 1), ("rs2", 2), ("m1", 11)):
                lan.attach(lab.add_node(node), ipv4=f"192.0.2.{last}")
            servers = [
                RouteServer("rs1", DaemonKind.BIRD, directory / "rs1", lab.namespace("rs1")),
                RouteServer("rs2", DaemonKind.OPENBGPD, directory / "rs2", lab.namespace("rs2")),
            ]
            try:
                for server in servers:
                    server.directory.mkdir()
                    config = server.directory / "start.conf"
                    config.write_text(texts[server.name])
                    daemon_for(server).start(config)
                (directory / "m1.conf").write_text(texts["m1"])
                member = ["bird", "-f", "-c", str(directory / "m1.conf")]
                lab.start("m1", [*member, "-s", str(directory / "m1.ctl")], node="m1")
                return measure(servers, count, repeat)
            finally:
                for server in servers:
                    daemon_for(server).stop()


def measure(servers: list[RouteServer], count: int, repeat: int) -> list[tuple[str, float, int]]:
    bird, bgpd = BirdClient(servers[0].socket), BgpctlClient(servers[1].socket)

    def bird_count() -> int:
        sessions = [s for s in bird.sessions() if s.name == "m1"]
        return sessions[0].routes_received or 0 if sessions else 0

    wait(lambda: bird_count() == count, "BIRD to hold every route")
    wait(lambda: (bgpd.session("m1").routes_received or 0) == count, "bgpd to hold every route")
    command = "show route protocol m1 all"

    def birdc() -> int:
        argv = ["birdc", "-s", str(servers[0].socket), command]
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return 0

    def socket_lines() -> int:
        with BirdSocket(servers[0].socket) as connection:
            return sum(1 for _ in connection.lines(command))

    def bgpctl() -> int:
        argv = ["bgpctl", "-s", str(servers[1].socket), "-j", "show", "rib", "in", "neighbor"]
        subprocess.run([*argv, "m1", "detail"], stdout=subprocess.DEVNULL, check=True)
        return 0

    def parsed(client: BirdClient | BgpctlClient, which: RouteSet) -> Callable[[], int]:
        return lambda: len(client.routes("m1", which))

    readers: list[tuple[str, Callable[[], int]]] = [
        ("birdc show route protocol m1 all", birdc),
        ("BirdSocket: same reply, lines split", socket_lines),
        ("BirdClient.routes(m1): same reply, parsed", parsed(bird, RouteSet.ACCEPTED)),
        ("BirdClient.routes(m1, RECEIVED): + filtered", parsed(bird, RouteSet.RECEIVED)),
        ("bgpctl -j show rib in neighbor m1 detail", bgpctl),
        ("BgpctlClient.routes(m1, RECEIVED): parsed", parsed(bgpd, RouteSet.RECEIVED)),
    ]
    return [(name, *best_of(repeat, work)) for name, work in readers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    results = run(options.routes, options.repeat)
    baseline = {"bird": results[0][1], "bgpd": results[4][1]}
    sys.stdout.write("| reader | seconds | records | vs the daemon's tool |\n")
    sys.stdout.write("|---|---:|---:|---:|\n")
    for name, seconds, got in results:
        base = baseline["bgpd" if "gpctl" in name else "bird"]
        shown = f"{got:,}" if got else "-"
        sys.stdout.write(f"| {name} | {seconds:.3f} | {shown} | {seconds / base:.2f}x |\n")


if __name__ == "__main__":
    main()
