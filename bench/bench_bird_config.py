"""rs1's BIRD config at exchange scale: compile, render, and BIRD 2.0.12's parse time.

A synthetic exchange: ``--members`` member routers (90% dual-stack) on one LAN, each with an
AS-SET of its own ASN and a few customer ASNs; one set in ten also holds another member's set
(nesting, some deep) and two sets hold each other (a loop). ~275 route and ~38 route6 objects
per member on average are spread over the members' and customers' ASNs. Everything is built
in memory into an ``IrrStore`` (parsing RPSL is the IRR module's benchmark, not this one).

Measured, per run: ``compile_route_server`` from a cold resolver and again from a warm one,
``render_bird``, and ``bird -p`` on the result (wall time of the process). ``--scopes N`` adds N
dummy functions per client to the rendered config, to show what per-client scopes cost BIRD.

Run from the repository root::

    .venv/bin/python -m bench.bench_bird_config --members 1000
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ixcenter.routing.irr.rpsl import AsSet, Route
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.inputs import LanInputs, MemberRouter, Reservation
from ixcenter.routing.policy.model import RouteServer
from ixcenter.routing.render.bird import render_bird

LAN4 = ipaddress.IPv4Network("185.1.0.0/21")
LAN6 = ipaddress.IPv6Network("2001:7f8:1::/64")
RS_ASN = 59900
FIRST_ASN = 200_000  # public 32-bit ASNs: member i is FIRST_ASN + i, customers follow


@dataclass(frozen=True, slots=True)
class Exchange:
    lan: LanInputs
    routers: tuple[MemberRouter, ...]
    store: IrrStore
    routes: int
    routes6: int


def synthetic(members: int, *, seed: int = 1) -> Exchange:
    rng = random.Random(seed)
    store = IrrStore(["B"])
    customers: list[list[int]] = []
    next_asn = FIRST_ASN + members
    for _ in range(members):
        count = rng.choice((0, 0, 1, 2, 3, 5, 8, 12))
        customers.append(list(range(next_asn, next_asn + count)))
        next_asn += count
    origins = [FIRST_ASN + i for i in range(members)] + list(range(FIRST_ASN + members, next_asn))
    # route objects: ~275 v4 and ~38 v6 per member, spread over every origin
    v4_total, v6_total = 275 * members, 38 * members
    v4_next = int(ipaddress.IPv4Address("20.0.0.0"))
    v6_next = int(ipaddress.IPv6Address("2a00::"))
    for n in range(v4_total):
        length = rng.choice((24, 24, 24, 24, 24, 24, 23, 22, 21, 20))
        size = 1 << (32 - length)
        v4_next = -(-v4_next // size) * size  # aligned, never overlapping the previous one
        store.add(Route(ipaddress.IPv4Network((v4_next, length)), origins[n % len(origins)], "B"))
        v4_next += size
    for n in range(v6_total):
        length = rng.choice((48, 48, 44, 40, 32))
        size = 1 << (128 - length)
        v6_next = -(-v6_next // size) * size
        store.add(Route(ipaddress.IPv6Network((v6_next, length)), origins[n % len(origins)], "B"))
        v6_next += size
    for i in range(members):
        own = [f"AS{FIRST_ASN + i}", *(f"AS{c}" for c in customers[i])]
        if i and rng.random() < 0.1:
            own.append(f"AS-M{rng.randrange(i)}")  # nesting: chains through earlier members
        store.add(AsSet(f"AS-M{i}", tuple(own), "B"))
    if members >= 2:  # a loop
        store.add(AsSet("AS-M0", ("AS200000", "AS-M1"), "B"))
        store.add(AsSet("AS-M1", ("AS200001", "AS-M0"), "B"))
    routers = []
    for i in range(members):
        dual = i % 10 != 9
        routers.append(
            MemberRouter(
                asn=FIRST_ASN + i,
                name=f"Member {i}",
                organisation_id=i,
                ipv4=LAN4.network_address + 10 + i,
                ipv6=LAN6.network_address + 10 + i if dual else None,
                as_set=f"AS-M{i}",
                max_prefix_v4=1000,
                max_prefix_v6=200,
                md5_password="bench-secret" if i % 7 == 0 else None,
                blackhole_opt_in=i % 3 == 0,
            )
        )
    reserved = (
        Reservation(LAN4.network_address + 1, "route server rs1"),
        Reservation(LAN6.network_address + 1, "route server rs1"),
        Reservation(LAN4.network_address + 66, "blackhole next hop"),
        Reservation(LAN6.network_address + 0x66, "blackhole next hop"),
    )
    lan = LanInputs("BENCH", RS_ASN, LAN4, LAN6, reserved, (LAN4, LAN6))
    return Exchange(lan, tuple(routers), store, v4_total, v6_total)


def _timed(label: str, wall: float, cpu: float | None = None) -> None:
    spent = f"  (CPU {cpu:.3f} s)" if cpu is not None else ""
    print(f"{label:<38} {wall:8.3f} s{spent}", flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compile_both(
    exchange: Exchange,
) -> tuple[RouteServer, tuple[float, float], tuple[float, float]]:
    """Compile twice: with a cold AS-SET resolver, then warm; (wall, CPU) seconds of each."""
    start, cpu = time.perf_counter(), time.process_time()
    compile_route_server(exchange.lan, exchange.routers, exchange.store)
    cold = (time.perf_counter() - start, time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    rs = compile_route_server(exchange.lan, exchange.routers, exchange.store)
    warm = (time.perf_counter() - start, time.process_time() - cpu)
    return rs, cold, warm


def with_scopes(text: str, rs: RouteServer, per_client: int) -> str:
    extra = [
        f"function ixc_dummy_{c.key}_{n}() {{ if net.len > {n} then return true; return false; }}"
        for c in rs.clients
        for n in range(per_client)
    ]
    marker = "# --- clients: data"
    return text.replace(marker, "\n".join(extra) + "\n\n" + marker, 1)


def bird_parse(text: str) -> tuple[float, float]:
    bird = shutil.which("bird")
    if bird is None:
        raise SystemExit("bird is not installed")
    with tempfile.TemporaryDirectory(prefix="ixc-bench-bird-") as directory:
        path = Path(directory) / "bird.conf"
        path.write_text(text)
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run([bird, "-p", "-c", str(path)], capture_output=True, text=True)
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"bird -p failed: {done.stderr.strip()}")
    return seconds, cpu


def bird_start(text: str, sessions: int) -> tuple[float, str]:
    """Start BIRD in a private network namespace; seconds until every session is configured
    (``birdc show protocols`` lists them all), and BIRD's ``show memory`` then."""
    bird, birdc, unshare = shutil.which("bird"), shutil.which("birdc"), shutil.which("unshare")
    if bird is None or birdc is None or unshare is None:
        raise SystemExit("bird, birdc and unshare are needed")
    with tempfile.TemporaryDirectory(prefix="ixc-bench-bird-") as directory:
        path, sock = Path(directory) / "bird.conf", Path(directory) / "bird.ctl"
        path.write_text(text)
        command = [unshare, "--net", bird, "-f", "-c", str(path), "-s", str(sock)]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            seconds, memory = -1.0, ""
            while time.perf_counter() - start < 600:
                time.sleep(0.05)
                if not sock.exists():
                    continue
                shown = subprocess.run(
                    [birdc, "-s", str(sock), "show", "protocols"], capture_output=True, text=True
                ).stdout
                if shown.count(" BGP ") >= sessions:
                    seconds = time.perf_counter() - start
                    memory = subprocess.run(
                        [birdc, "-s", str(sock), "show", "memory"], capture_output=True, text=True
                    ).stdout
                    break
        finally:
            process.terminate()
            process.wait(timeout=30)
    return seconds, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--scopes", type=int, default=0, help="dummy functions per client")
    parser.add_argument("--start", action="store_true", help="also start BIRD (needs root)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    exchange = synthetic(args.members)
    counts = exchange.store.counts()
    _timed(
        f"synthetic IRR ({counts['route']} route, {counts['route6']} route6)",
        time.perf_counter() - start,
    )
    rs, cold, warm = compile_both(exchange)
    _timed("compile, cold resolver", *cold)
    _timed("compile, warm resolver", *warm)
    prefixes = sum(len(c.allowed_prefixes) for c in rs.clients)
    average = prefixes / len(rs.clients)
    print(f"clients {len(rs.clients)}, allowed prefixes {prefixes} ({average:.0f} per client)")
    start, cpu = time.perf_counter(), time.process_time()
    text = render_bird(rs)
    _timed("render_bird", time.perf_counter() - start, time.process_time() - cpu)
    if args.scopes:
        text = with_scopes(text, rs, args.scopes)
    sessions = text.count("\nprotocol bgp ")
    print(f"config {len(text) / 1e6:.1f} MB, {text.count(chr(10))} lines, {sessions} sessions")
    _timed("bird -p", *bird_parse(text))
    if args.start:
        seconds, memory = bird_start(text, sessions)
        _timed("bird start, all sessions configured", seconds)
        total = [line for line in memory.splitlines() if line.strip().startswith("Total")]
        print(f"bird memory: {total[0].strip() if total else memory.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
