"""``ixc demo --reduced`` end to end: it says it is reduced, the portal shows the synthesised
traffic, and Ctrl-C leaves no process of it behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.lab.test_exchange_crash_live import processes_of
from tests.short_dirs import CLI, short_data_dir


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with short_data_dir("ixd") as directory:
        yield directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return str(response.read().decode())
    except OSError:
        return ""


def test_reduced_demo_shows_synthesised_traffic(data_dir: Path) -> None:
    port, ipfix = free_port(), free_port()
    env = {**os.environ, "IXC_IPFIX_PORT": str(ipfix)}
    command = [*CLI, "--data-dir", str(data_dir), "demo", "--reduced", "--members", "6",
               "--centers", "2", "--port", str(port)]  # fmt: skip
    log = data_dir / "demo.out"
    with log.open("w") as out:
        demo = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        text = ""
        while "<polyline" not in text:
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no traffic chart in time:\n{log.read_text()}"
            time.sleep(3)
            text = page(f"http://127.0.0.1:{port}/")
        assert "REDUCED MODE (asked for with --reduced)" in log.read_text()
        assert "BJIX" in text and "SHIX" in text
        _sign_in_as_printed(f"http://127.0.0.1:{port}", log.read_text())
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
    time.sleep(0.5)
    assert not processes_of(data_dir), "the collector or the synthesiser outlived the demo"


def _sign_in_as_printed(url: str, log: str) -> None:
    """Both accounts the demo printed sign in to the portal: the operator opens the peering
    matrix, the member its own page."""
    printed = dict(re.findall(r"portal sign-in: (\S+) / (\S+)", log))
    assert set(printed) == {"demo-noc", "demo-member"}, log
    for login, target in (("demo-noc", "/ops/peering"), ("demo-member", "/members/")):
        with httpx.Client(base_url=url, timeout=10, follow_redirects=True) as browser:
            form = browser.get("/signin").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            fields = {"csrf_token": token.group(1), "login": login, "password": printed[login]}
            signed_in = browser.post("/signin", data={**fields, "next": "/account"})
            assert signed_in.status_code == 200 and login in signed_in.text
            if target.endswith("/"):
                link = re.search(r'href="(/members/\d+)"', signed_in.text)
                assert link is not None, signed_in.text
                target = link.group(1)
            assert browser.get(target).status_code == 200
