"""The rendered config loads: BIRD starts with it and configures every client session.

BIRD runs in a network namespace of its own (``unshare --net``), so its BGP port and the
route server's LAN addresses touch nothing outside the test; its control socket is a file in the
test's temporary directory. It is stopped by its PID.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ixcenter.routing.render.bird import render_bird
from tests.live import require
from tests.routing.render.test_bird import reference_route_server, variant_route_server

pytestmark = pytest.mark.live


def _birdc(socket: Path, *command: str) -> str:
    if not socket.exists():
        return ""
    birdc = require("birdc")
    done = subprocess.run(
        [birdc, "-s", str(socket), *command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout


@contextmanager
def bird_running(text: str, directory: Path) -> Iterator[Path]:
    """BIRD started on ``text`` in its own network namespace; yields its control socket."""
    bird, unshare = require("bird"), require("unshare")
    config, socket, log = directory / "bird.conf", directory / "bird.ctl", directory / "bird.out"
    config.write_text(text, encoding="utf-8")
    with log.open("w") as output:
        process = subprocess.Popen(
            [unshare, "--net", bird, "-f", "-c", str(config), "-s", str(socket)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "Daemon is up and running" not in _birdc(socket, "show", "status"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"BIRD did not start (exit {process.poll()}): {log.read_text()}")
            time.sleep(0.1)
        yield socket
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def bgp_protocols(socket: Path) -> set[str]:
    return set(re.findall(r"^(\S+)\s+BGP\s", _birdc(socket, "show", "protocols"), re.M))


def test_bird_starts_with_every_client_session(tmp_path: Path) -> None:
    text = render_bird(reference_route_server())
    expected = set(re.findall(r"\nprotocol bgp (\S+) \{", text))
    with bird_running(text, tmp_path) as socket:
        assert len(expected) == 8 and bgp_protocols(socket) == expected
        assert re.search(r"^ixc_rtr\s+RPKI\s", _birdc(socket, "show", "protocols"), re.M)
        detail = _birdc(socket, "show", "protocols", "all", "AS1001_1_v4")
        assert "Neighbor AS:      1001" in detail
        assert re.search(r"Receive limit:\s+100\n\s+Action:\s+restart", detail)


def test_the_variant_config_starts_too(tmp_path: Path) -> None:
    with bird_running(render_bird(variant_route_server()), tmp_path) as socket:
        assert bgp_protocols(socket) == {"AS1001_1_v4", "AS1001_1_v6", "AS1002_1_v4"}
