"""The lab's long-distance links (``ixcenter.lab.wire``, a user-space delay line) against the
kernel's own path (veth + bridge, which netem would delay if the kernel had it).

One lab, one LAN: m1 and m2 on the same bridge in fabric ``a`` (kernel only); m3 in ``a`` and
m4 in fabric ``b`` across a link (VXLAN over the wire). For each path:

- round trip: ``ping -c N -i 0.005 -q``, min and average (link delay 0, then ``--delay``);
- throughput: one sender blasts 100-byte UDP datagrams for ``--seconds``; the receiver counts
  what arrived (the sender's own rate is the same for both paths).

    .venv/bin/python -m bench.bench_lab_wire --seconds 3 --delay 20
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ixcenter.lab import Lab

RTT = re.compile(r"= ([\d.]+)/([\d.]+)/")

RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 9000))
s.settimeout(5.0)
n = 0
try:
    s.recv(2048); n = 1; s.settimeout(1.0)
    while True:
        s.recv(2048); n += 1
except socket.timeout:
    pass
print(n)
"""

SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload, target, end, n = b"x" * 100, (sys.argv[1], 9000), time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.sendto(payload, target); n += 1
        except OSError:
            pass
print(n)
"""


def rtt(lab: Lab, node: str, address: str, count: int) -> tuple[float, float]:
    argv = ["ping", "-c", str(count), "-i", "0.005", "-q", address]
    found = RTT.search(lab.run(node, argv, timeout=120).stdout)
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def blast(lab: Lab, source: str, target: str, address: str, seconds: float) -> tuple[int, int]:
    receiver = subprocess.Popen(
        [*lab.exec_prefix(target), sys.executable, "-c", RECEIVER],
        stdout=subprocess.PIPE,
        text=True,
    )
    sent = int(lab.run(source, [sys.executable, "-c", SENDER, address, str(seconds)]).stdout)
    received = int(receiver.communicate(timeout=60)[0])
    return sent, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--delay", type=float, default=20.0)
    parser.add_argument("--pings", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, Lab(Path(directory)) as lab:
        a, b = lab.add_fabric("a"), lab.add_fabric("b")
        lab.add_link("a", "b", latency_ms=0)
        lab.add_link("a", "b", latency_ms=options.delay)  # second link, used below
        lan = lab.add_lan(ipv4="192.0.2.0/24", fabric="a", spans=["b"])
        for i, fabric in ((1, a), (2, a), (3, a), (4, b)):
            lan.attach(lab.add_node(f"m{i}"), ipv4=f"192.0.2.{i}", fabric=fabric)
        rows = []
        for path, source, target, address in (
            ("veth + bridge (kernel)", "m1", "m2", "192.0.2.2"),
            ("VXLAN over a 0 ms wire", "m3", "m4", "192.0.2.4"),
        ):
            low, mean = rtt(lab, source, address, options.pings)
            sent, received = blast(lab, source, target, address, options.seconds)
            rows.append((path, low, mean, sent / options.seconds, received / options.seconds))
        # the same path over the delaying link: the 0 ms link goes down, routes move over
        lab.run("a", ["ip", "link", "set", "lk0a", "down"])
        lab.run("b", ["ip", "link", "set", "lk0b", "down"])
        for fabric, far in (("a", "198.19.0.3"), ("b", "198.19.0.2")):
            other = str(lab.fabric("b" if fabric == "a" else "a").vtep)
            lab.run(fabric, ["ip", "route", "replace", f"{other}/32", "via", far])
        low, mean = rtt(lab, "m3", "192.0.2.4", min(options.pings, 50))
    sys.stdout.write("| path | RTT min ms | RTT avg ms | sent pps | received pps | vs kernel |\n")
    sys.stdout.write("|---|---:|---:|---:|---:|---:|\n")
    for path, low_, mean_, sent_pps, received_pps in rows:
        ratio = received_pps / rows[0][4]
        sys.stdout.write(
            f"| {path} | {low_:.3f} | {mean_:.3f} | {sent_pps:,.0f} | {received_pps:,.0f} "
            f"| {ratio:.2f}x |\n"
        )
    sys.stdout.write(
        f"\n{options.delay:g} ms link: RTT min {low:.3f} ms, avg {mean:.3f} ms "
        f"(configured round trip {2 * options.delay:g} ms)\n"
    )


if __name__ == "__main__":
    main()
