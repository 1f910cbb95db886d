"""Two network namespaces joined by a veth pair, for live tests with real exporters.

``tx`` sends the generated traffic; ``rx`` holds the exporter (capturing on its end of the pair)
and the collector (on its own loopback), so nothing leaves namespaces the test created. Names
carry the PID and a random suffix (tests run in parallel); ``close`` deletes both namespaces,
which removes the veth pair too.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from tests.live import require

TX4, RX4 = "10.77.0.1", "10.77.0.2"
TX6, RX6 = "fd00:77::1", "fd00:77::2"


def require_root() -> None:
    if os.geteuid() != 0:
        message = "network namespaces need root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class VethPair:
    def __init__(self) -> None:
        require("ip")
        require_root()
        tag = f"{os.getpid() % 100000}{secrets.token_hex(2)}"
        self.tx, self.rx = f"ixctx{tag}", f"ixcrx{tag}"
        self.tx_if, self.rx_if = f"ixa{tag}", f"ixb{tag}"
        _ip("netns", "add", self.tx)
        try:
            _ip("netns", "add", self.rx)
            _ip("link", "add", self.tx_if, "type", "veth", "peer", "name", self.rx_if)
            for ns, dev, v4, v6 in (
                (self.tx, self.tx_if, TX4, TX6),
                (self.rx, self.rx_if, RX4, RX6),
            ):
                _ip("link", "set", dev, "netns", ns)
                _ip("-n", ns, "addr", "add", f"{v4}/24", "dev", dev)
                _ip("-n", ns, "addr", "add", f"{v6}/64", "dev", dev, "nodad")
                _ip("-n", ns, "link", "set", dev, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def run(self, ns: str, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", ns, *command], check=True,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    def send_udp(self, destination: str, port: int, count: int, payload: int) -> None:
        """``count`` UDP datagrams of ``payload`` bytes from the tx namespace."""
        family = "AF_INET6" if ":" in destination else "AF_INET"
        program = (
            "import socket\n"
            f"s = socket.socket(socket.{family}, socket.SOCK_DGRAM)\n"
            f"for _ in range({count}):\n"
            f"    s.sendto(bytes({payload}), ({destination!r}, {port}))\n"
        )
        self.run(self.tx, sys.executable, "-c", program)

    def close(self) -> None:
        for ns in (self.tx, self.rx):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
