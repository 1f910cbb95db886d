"""Live: fabrics joined by delaying links, LANs spanning them over VXLAN, and a teardown that
leaves nothing behind, even after the Python side was killed in the middle of a build."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ixcenter.lab import Lab
from ixcenter.lab import netns as lab_netns
from ixcenter.routing.control import process
from tests.lab.livelab import live_lab, require_namespaces, wait_for
from tests.live import require

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]
RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/")
SLACK_MS = 200.0  # a sanity bound only: a loaded machine may add this much, never less delay


def host_links() -> set[str]:
    output = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    return {line.split(": ")[1].split("@")[0] for line in output.stdout.splitlines()}


def mounts(prefix: str) -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if f"/{prefix}" in line]


def min_rtt(lab: Lab, node: str, address: str) -> float:
    """Least round trip of a few pings (the first also waits for ARP/ND)."""
    done = lab.run(node, ["ping", "-c4", "-i0.2", "-W3", address], check=False, timeout=60)
    assert done.returncode == 0, f"{node} -> {address}: {done.stdout}{done.stderr}"
    found = RTT.search(done.stdout)
    assert found, done.stdout
    return float(found.group(1))


def rx_packets(lab: Lab, fabric: str, device: str) -> int:
    shown = lab_netns.ip("-n", lab.namespace(fabric), "-s", "-j", "link", "show", "dev", device)
    return int(json.loads(shown)[0]["stats64"]["rx"]["packets"])


def test_routers_on_one_lan_in_distant_fabrics_see_the_links_latency(tmp_path: Path) -> None:
    require("ping")
    before = host_links()
    with live_lab(tmp_path) as lab:
        fabrics = {node: lab.add_fabric(node) for node in ("bj", "sh", "gz")}
        lab.add_link("bj", "sh", latency_ms=15)
        lab.add_link("sh", "gz", latency_ms=25, name="SH-GZ-1")
        assert lab.latency_ms("bj", "gz") == 40.0
        lan = lab.add_lan(ipv4="192.0.2.0/24", ipv6="2001:db8::/64", fabric="bj", spans=["gz"])
        lab.span_lan(lan, "sh")
        for i, node in enumerate(fabrics, start=1):
            lan.attach(
                lab.add_node(f"m{i}"),
                ipv4=f"192.0.2.{i}",
                ipv6=f"2001:db8::{i}",
                fabric=fabrics[node],
            )
        assert [a.fabric for a in lan.attachments] == list(fabrics.values())
        # m1 (bj) -> m3 (gz) crosses both links: 40 ms each way
        for address in ("192.0.2.3", "2001:db8::3"):
            rtt = min_rtt(lab, "m1", address)
            assert 80.0 <= rtt < 80.0 + SLACK_MS, f"m1 -> {address}: {rtt} ms"
        # m2 (sh) -> m3 (gz) crosses one: 25 ms each way
        for address in ("192.0.2.3", "2001:db8::3"):
            rtt = min_rtt(lab, "m2", address)
            assert 50.0 <= rtt < 50.0 + SLACK_MS, f"m2 -> {address}: {rtt} ms"
        # a full 1500-byte packet crosses, unfragmented: the underlay carries VXLAN's overhead
        big = lab.run(
            "m1", ["ping", "-c1", "-W3", "-M", "do", "-s", "1472", "192.0.2.3"], check=False
        )
        assert big.returncode == 0, big.stdout + big.stderr
        # gz reaches bj's VTEP through sh, over the first link of the path
        route = lab.run("gz", ["ip", "route", "get", str(lab.fabric("bj").vtep)]).stdout
        assert "dev lk1b" in route, route
        names = {"lk0a", "lk0b", "lk1a", "lk1b", lan.vxlan, lan.bridge}
        names |= {a.port for a in lan.attachments}
        prefix = lab.prefix
    assert lab_netns.namespaces(prefix) == []
    assert not (host_links() - before) & names


def test_a_lan_in_three_fabrics_joined_in_a_ring_does_not_loop(tmp_path: Path) -> None:
    require("ping")
    with live_lab(tmp_path) as lab:
        fabrics = {node: lab.add_fabric(node) for node in ("a", "b", "c")}
        for a, b in (("a", "b"), ("b", "c"), ("c", "a")):  # the underlay itself is a ring
            lab.add_link(a, b, latency_ms=1)
        lan = lab.add_lan(ipv4="192.0.2.0/24", fabric="a", spans=["b", "c"])
        for i, node in enumerate(fabrics, start=1):
            lan.attach(lab.add_node(f"m{i}"), ipv4=f"192.0.2.{i}", fabric=fabrics[node])
        for source, target in ((1, 2), (2, 3), (3, 1)):
            done = lab.run(f"m{source}", ["ping", "-c1", "-W3", f"192.0.2.{target}"], check=False)
            assert done.returncode == 0, f"m{source} -> m{target}: {done.stdout}"

        sent = 20
        start = {node: rx_packets(lab, node, lan.vxlan) for node in ("b", "c")}
        lab.run("m1", ["ping", "-b", "-c", str(sent), "-i0.05", "-w3", "192.0.2.255"], check=False)
        time.sleep(1.0)  # let anything that circulates circulate
        middle = {node: rx_packets(lab, node, lan.vxlan) for node in ("b", "c")}
        time.sleep(1.0)
        end = {node: rx_packets(lab, node, lan.vxlan) for node in ("b", "c")}
        for node in ("b", "c"):
            received = middle[node] - start[node]
            # every broadcast reached the fabric once; a loop would bring thousands
            assert sent <= received < sent + 50, f"{node}: {received} frames for {sent} sent"
            assert end[node] - middle[node] < 20, f"{node}: still counting: {start} {middle} {end}"


def test_teardown_stops_the_wires_and_leaves_no_namespace_mount_or_interface(
    tmp_path: Path,
) -> None:
    require("ping")
    before = host_links()
    with live_lab(tmp_path) as lab:
        east, west = lab.add_fabric("east"), lab.add_fabric("west")
        lan = lab.add_lan(ipv4="192.0.2.0/24", fabric="east", spans=["west"])
        lan.attach(lab.add_node("m1"), ipv4="192.0.2.1", fabric=east)
        lan.attach(lab.add_node("m2"), ipv4="192.0.2.2", fabric=west)
        lab.add_link("east", "west", latency_ms=2)  # the link may come after the LAN
        done = lab.run("m1", ["ping", "-c1", "-W3", "192.0.2.2"], check=False)
        assert done.returncode == 0, done.stdout
        wire = lab.process("wire-lk0")
        assert wire.alive()
        prefix = lab.prefix
        assert len(mounts(prefix)) == 4
        result = lab.down()
        assert (result.processes, result.namespaces) == (1, 4)
        assert not wire.alive()
        assert "frames carried" in wire.log.read_text()  # it stopped cleanly, and said so
    assert lab_netns.namespaces(prefix) == []
    assert mounts(prefix) == []
    assert not (host_links() - before) & {"lk0a", "lk0b", lan.vxlan, lan.bridge}


BUILDER = """
import sys
from pathlib import Path
from ixcenter.lab import Lab
lab = Lab(Path(sys.argv[1]))
print(lab.run_id, flush=True)
lan = None
for i in range(40):  # more than the parent waits for: it is killed in the middle
    fabric = lab.add_fabric(f"f{i}")
    if i:
        lab.add_link(f"f{i - 1}", f"f{i}", latency_ms=1)
    if lan is None:
        lan = lab.add_lan(ipv4="192.0.2.0/24", fabric="f0")
    else:
        lab.span_lan(lan, f"f{i}")
    lan.attach(lab.add_node(f"m{i}"), ipv4=f"192.0.2.{i + 1}", fabric=fabric)
    lab.start(f"sleeper{i}", ["sleep", "300"], node=f"m{i}")
"""


def test_down_after_the_python_side_was_killed_in_the_middle_of_a_build(tmp_path: Path) -> None:
    require_namespaces()
    before = host_links()
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(BUILDER), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    state = tmp_path / "lab.json"
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert run_id, "the child did not start its lab"

        def building() -> bool:  # two links up and a third fabric on its way
            recorded = json.loads(state.read_text())["processes"]
            return sum(p["name"].startswith("wire-") for p in recorded) >= 2

        wait_for(building, timeout=120, what="the child's second link")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    prefix = f"ixc-{run_id}-"
    recorded = [process.ProcessId.from_json(p) for p in json.loads(state.read_text())["processes"]]
    assert any(process.alive(p) for p in recorded)
    assert len(lab_netns.namespaces(prefix)) >= 5

    lab = Lab(tmp_path)  # adopts the crashed run from its state file
    assert lab.run_id == run_id
    result = lab.down()
    assert result.processes >= len(recorded) and result.namespaces >= 5
    assert not any(process.alive(p) for p in recorded)
    assert lab_netns.namespaces(prefix) == []
    assert mounts(prefix) == []
    left = host_links() - before
    assert not {name for name in left if re.match(r"^(lk\d+[ab]|vx\d+|br\d+(p\d+)?)$", name)}
    assert lab.down() == type(result)(0, 0)
