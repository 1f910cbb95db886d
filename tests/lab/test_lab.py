from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ixcenter.core.errors import NotFound, ValidationFailed
from ixcenter.lab import Lab, Teardown
from ixcenter.lab import netns as lab_netns
from ixcenter.routing.control import process
from tests.lab.livelab import live_lab, require_namespaces, wait_for
from tests.live import require

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]


def host_links() -> set[str]:
    output = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    return {line.split(": ")[1].split("@")[0] for line in output.stdout.splitlines()}


def test_three_namespaces_ping_across_the_bridge(tmp_path: Path) -> None:
    require("ping")
    before = host_links()
    with live_lab(tmp_path) as lab:
        lan = lab.add_lan(ipv4="192.0.2.0/24", ipv6="2001:db8::/64")
        ports = [
            lan.attach(
                lab.add_node(f"m{i}"),
                ipv4=f"192.0.2.{i}",
                ipv6=f"2001:db8::{i}",
                mac=f"02:00:00:00:00:0{i}",
            )
            for i in (1, 2, 3)
        ]
        for source, target in ((1, 2), (1, 3), (3, 2)):
            for address in (f"192.0.2.{target}", f"2001:db8::{target}"):
                done = lab.run(f"m{source}", ["ping", "-c1", "-W1", address], check=False)
                assert done.returncode == 0, f"m{source} -> {address}: {done.stdout}"
        # a member cannot reach an address nobody holds
        missing = lab.run("m1", ["ping", "-c1", "-W1", "192.0.2.9"], check=False)
        assert missing.returncode != 0
        inside = lab.run("m2", ["ip", "-o", "addr", "show", "dev", "lan0"]).stdout
        assert "192.0.2.2/24" in inside and "2001:db8::2/64" in inside
        assert "tentative" not in inside  # nodad: usable at once
        link = lab.run("m2", ["ip", "-o", "link", "show", "dev", "lan0"]).stdout
        assert "link/ether 02:00:00:00:00:02" in link
        fabric = lab_netns.ip("-n", lab.namespace("fabric"), "-o", "link").splitlines()
        assert sum(f"master {lan.bridge}" in line for line in fabric) == 3
        names = {p.port for p in ports} | {lan.bridge, "lan0"}
        prefix = lab.prefix
    assert lab_netns.namespaces(prefix) == []
    assert not (host_links() - before) & names


def test_down_stops_processes_and_is_idempotent(tmp_path: Path) -> None:
    with live_lab(tmp_path) as lab:
        lab.add_node("m1")
        sleeper = lab.start("sleeper", ["sleep", "300"], node="m1")
        assert sleeper.alive()
        # `ip netns exec` enters the namespace, then execs: same PID, a moment later
        wait_for(lambda: lab_netns.pids(lab.namespace("m1")) == [sleeper.pid], what="sleeper")
        first = lab.down()
        assert first == Teardown(processes=1, namespaces=1)
        assert not sleeper.alive()
        assert lab.down() == Teardown(processes=0, namespaces=0)
        assert not (tmp_path / "lab.json").exists()


def test_down_after_the_python_side_was_killed(tmp_path: Path) -> None:
    require_namespaces()
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from ixcenter.lab import Lab
        lab = Lab(Path({str(tmp_path)!r}))
        lan = lab.add_lan(ipv4="192.0.2.0/24")
        lan.attach(lab.add_node("m1"), ipv4="192.0.2.1")
        lab.add_node("m2")
        lab.start("sleeper", ["sleep", "300"], node="m1")
        lab.start("host-sleeper", ["sleep", "300"])
        print(lab.run_id, flush=True)
        time.sleep(300)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert run_id, "the child did not build its lab"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    state = json.loads((tmp_path / "lab.json").read_text())
    recorded = [process.ProcessId.from_json(p) for p in state["processes"]]
    assert len(recorded) == 2 and all(process.alive(p) for p in recorded)
    prefix = f"ixc-{run_id}-"
    assert len(lab_netns.namespaces(prefix)) == 3

    lab = Lab(tmp_path)  # adopts the crashed run from its state file
    assert lab.run_id == run_id
    assert lab.down() == Teardown(processes=2, namespaces=3)
    assert not any(process.alive(p) for p in recorded)
    assert lab_netns.namespaces(prefix) == []


def test_down_finds_namespaces_the_state_file_missed(tmp_path: Path) -> None:
    with live_lab(tmp_path) as lab:
        stray = f"{lab.prefix}stray"
        lab_netns.create(stray)  # as if the run crashed between creating and recording
        sleeper = process.spawn(
            ["sleep", "300"],
            log=tmp_path / "stray.log",
            command_prefix=lab_netns.exec_prefix(stray),
        )
        wait_for(lambda: lab_netns.pids(stray) == [sleeper.pid], what="sleeper inside")
        result = lab.down()
        assert result == Teardown(processes=1, namespaces=1)
        assert not process.alive(sleeper)
        assert lab_netns.namespaces(lab.prefix) == []


def test_start_refuses_unknown_nodes(tmp_path: Path) -> None:
    with live_lab(tmp_path) as lab:
        with pytest.raises(NotFound):
            lab.start("x", ["sleep", "1"], node="nowhere")
        with pytest.raises(ValidationFailed):
            lab.add_node("Bad_Name")
