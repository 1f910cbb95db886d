"""``ixc flows collect`` as a separate process (optionally inside a network namespace).

Started with ``--json``, so status lines go to stderr and the summary (JSON) to stdout; the
start is complete when the "listening:" line appears. Stopped with SIGTERM, by its PID only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ENTRY = "from ixcenter.cli.main import main; main()"


def free_udp_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_bound(port: int, proc_net: Path = Path("/proc/net")) -> bool:
    """Until something listens on UDP ``port`` (IPv4 or IPv6; gives up after ~5 s)."""
    needle = f":{port:04X}"
    for _ in range(500):
        for table in ("udp", "udp6"):
            lines = (proc_net / table).read_text().splitlines()[1:]
            if any(line.split()[1].endswith(needle) for line in lines):
                return True
        time.sleep(0.01)
    return False


class CollectorProcess:
    def __init__(
        self, data_dir: Path, *args: str, netns: str | None = None, batch_ms: int = 1000
    ) -> None:
        prefix = ["ip", "netns", "exec", netns] if netns else []
        command = [*prefix, sys.executable, "-c", ENTRY, "--data-dir", str(data_dir),
                   "flows", "collect", "--json", "--status-every", "0", *args]  # fmt: skip
        env = {**os.environ, "IXC_COLLECTOR_BATCH_MS": str(batch_ms)}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.started: list[str] = []
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.started.append(line)
            if line.startswith("writing to"):
                return
        self.process.wait(10)
        raise RuntimeError("collector did not start: " + "".join(self.started))

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> dict[str, Any]:
        """Signal it, wait for it, and return its summary (``collected`` as in ``--json``)."""
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        if self.process.returncode != 0:
            raise RuntimeError(f"collector exited {self.process.returncode}: {err}")
        summary: dict[str, Any] = json.loads(out)["collected"]
        return summary

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
