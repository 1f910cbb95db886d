"""Live: ``ixc lab up`` killed mid-way (SIGKILL, once the route servers run), then ``ixc lab
down`` leaves no namespace of the run, no process started for it, no interface in the host."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixcenter.lab import exchange, netns
from tests.lab.livelab import require_namespaces
from tests.live import require
from tests.short_dirs import CLI, short_data_dir

pytestmark = pytest.mark.live


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with short_data_dir("ixk") as directory:
        yield directory


def ixc(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--data-dir", str(data_dir), *args], capture_output=True, text=True, timeout=300
    )


def processes_of(data_dir: Path) -> list[str]:
    """Command lines of running processes that name the data directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(data_dir) in line and "pytest" not in line:
            found.append(f"{entry.name}: {line[:120]}")
    return found


def host_links() -> set[str]:
    """Interface names in the host's namespace."""
    lines = netns.ip("-o", "link", "show").splitlines()
    return {line.split(":", 2)[1].strip().split("@")[0] for line in lines if line.strip()}


def test_down_after_up_killed_mid_way(data_dir: Path) -> None:
    for program in exchange.PROGRAMS:
        require(program)
    require_namespaces()
    assert ixc(data_dir, "demo-data", "--members", "6", "--centers", "2").returncode == 0
    before = host_links()
    up = subprocess.Popen(
        [*CLI, "--data-dir", str(data_dir), "lab", "up", "--wait", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    servers = data_dir / "route-servers"
    while not any(servers.glob("*-rs2/current")) and up.poll() is None:
        assert time.monotonic() < deadline, "no route server deployed within 120 s"
        time.sleep(0.2)
    os.killpg(up.pid, signal.SIGKILL)  # the CLI and anything it has not yet detached
    up.wait()
    state = (data_dir / "lab" / "netns" / "lab.json").read_text()
    run = state.split('"run": "', 1)[1].split('"', 1)[0]
    assert netns.namespaces(f"{netns.PREFIX}{run}-"), "the killed run left nothing to clean"
    down = ixc(data_dir, "lab", "down", "--json")
    assert down.returncode == 0, down.stderr
    assert not netns.namespaces(f"{netns.PREFIX}{run}-")
    time.sleep(0.5)
    assert not processes_of(data_dir)
    lab_like = re.compile(r"^(br\d+(p\d+)?|lk\d+[ab]|vx\d+|collector0|fabric0|lan0)$")
    assert not [name for name in host_links() - before if lab_like.match(name)]
    assert ixc(data_dir, "lab", "down", "--json").returncode == 0  # again: nothing left to do
