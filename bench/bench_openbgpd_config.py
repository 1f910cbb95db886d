"""rs2's OpenBGPD config at exchange scale: render time, size, and ``bgpd -n`` (OpenBGPD 7.7).

A synthetic ``RouteServer`` built straight from ``routing.policy.model`` (no IRR resolution: that
is the compiler's benchmark): ``--clients`` member routers on one LAN, 90% dual-stack (about 1.9
sessions per client), each with ``--prefixes`` IRR prefix rules (7 in 8 IPv4, /16-/24 with
length ranges like route objects expanded with more specifics), an AS-SET of 1-12 origins, MD5 on
a third of the sessions, blackhole opt-in for a quarter, a transit-free list of 10 ASNs.

Measured per run: ``render_openbgpd`` (wall), the config's size, and ``bgpd -n`` on it (wall time
of the process, and its peak RSS). ``--runs`` repeats the ``bgpd -n`` measurement.

Run from the repository root::

    .venv/bin/python -m bench.bench_openbgpd_config --clients 1000 --prefixes 275
"""

from __future__ import annotations

import argparse
import ipaddress
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ixcenter.routing.policy.model import (
    Client,
    PolicySettings,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.render.openbgpd import render_openbgpd

LAN4 = ipaddress.IPv4Network("185.1.0.0/21")
LAN6 = ipaddress.IPv6Network("2001:7f8:1::/64")
RS_ASN = 59900
FIRST_ASN = 200_000


def synthetic(clients: int, prefixes: int, *, seed: int = 1) -> RouteServer:
    rng = random.Random(seed)
    members: list[Client] = []
    hosts4 = LAN4.hosts()
    next(hosts4)
    for index in range(clients):
        asn = FIRST_ASN + index
        v4 = next(hosts4)
        v6 = LAN6.network_address + index + 10 if rng.random() < 0.9 else None
        rules = []
        for _ in range(prefixes):
            if rng.random() < 7 / 8:
                length = rng.randint(16, 24)
                net: ipaddress.IPv4Network | ipaddress.IPv6Network = ipaddress.IPv4Network(
                    (rng.randrange(1 << 24, 223 << 24) >> (32 - length) << (32 - length), length)
                )
                longest = rng.choice((length, 24))
            else:
                length = rng.randint(29, 48)
                base = (0x2A00 << 112) + (rng.randrange(1 << 40) << 72)
                net = ipaddress.IPv6Network((base >> (128 - length) << (128 - length), length))
                longest = rng.choice((length, 48))
            rules.append(PrefixRule(net, length, longest))
        origins = {
            asn,
            *(FIRST_ASN + clients + rng.randrange(50_000) for _ in range(rng.randint(0, 11))),
        }
        address6 = None if v6 is None else ipaddress.IPv6Address(v6)
        members.append(
            Client(
                key=f"AS{asn}_1",
                asn=asn,
                name=f"Member {index}",
                ipv4=v4,
                ipv6=address6,
                max_prefix_v4=prefixes * 2,
                max_prefix_v6=prefixes,
                as_set=f"AS-M{index}",
                allowed_origins=frozenset(origins),
                allowed_prefixes=tuple(rules),
                next_hops=frozenset(a for a in (v4, address6) if a is not None),
                md5_password=f"secret{index}" if index % 3 == 0 else None,
                blackhole_opt_in=index % 4 == 0,
            )
        )
    return RouteServer(
        name="rs2",
        exchange="BENCH",
        asn=RS_ASN,
        router_id=ipaddress.IPv4Address("185.1.0.1"),
        ipv4=ipaddress.IPv4Address("185.1.0.1"),
        ipv6=ipaddress.IPv6Address("2001:7f8:1::1"),
        lan_prefixes=(LAN4, LAN6),
        blackhole_v4=ipaddress.IPv4Address("185.1.0.66"),
        blackhole_v6=ipaddress.IPv6Address("2001:7f8:1::66"),
        settings=PolicySettings(transit_free_asns=frozenset(range(3356, 3366))),
        clients=tuple(members),
    )


def bgpd_check(bgpd: str, path: Path) -> tuple[float, int]:
    """Wall seconds of ``bgpd -n -f path`` and its peak RSS in KiB.

    The peak is read from ``/proc/<pid>/status`` (``VmHWM``) while bgpd runs: the rusage of a
    child counts the memory of this (large) Python process it was forked from.
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        [bgpd, "-n", "-f", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    status = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.01)
    _, errors = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"bgpd -n failed: {errors[-2000:].decode(errors='replace')}")
    return seconds, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_openbgpd_config")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--prefixes", type=int, default=275)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    bgpd = shutil.which("bgpd")
    if bgpd is None:
        print("bgpd not found (Debian package openbgpd)", file=sys.stderr)
        return 1
    start = time.perf_counter()
    rs = synthetic(args.clients, args.prefixes)
    built = time.perf_counter() - start
    start = time.perf_counter()
    text = render_openbgpd(rs, socket_path="/run/ixcenter/rs2-bgpd.sock")
    rendered = time.perf_counter() - start
    sessions = sum((c.ipv4 is not None) + (c.ipv6 is not None) for c in rs.clients)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bgpd.conf"
        path.write_text(text, encoding="utf-8")
        checks = [bgpd_check(bgpd, path) for _ in range(args.runs)]
    times = [seconds for seconds, _ in checks]
    print(f"python {platform.python_version()}, {platform.machine()}, bgpd {bgpd}")
    print(f"clients {args.clients}, sessions {sessions}, prefix rules {args.prefixes} per client")
    print(f"model built in {built:.2f} s (not part of the renderer)")
    print(
        f"render_openbgpd: {rendered:.2f} s, {len(text) / 1e6:.1f} MB, {text.count(chr(10))} lines"
    )
    peak = max(p for _, p in checks) / 1024
    print(
        f"bgpd -n: median {statistics.median(times):.2f} s over {len(times)} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}), peak RSS {peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
