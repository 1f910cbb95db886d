"""pmacct's own collectors (sfacctd, nfacctd) as peers: started on a port checked free, fed
over UDP, stopped with SIGINT so that the print plugin writes its cache as CSV.

sfacctd ignores SIGTERM while idle, and pmacct's memory plugin drops keys past ~22k with default
pools: the print plugin flushed at exit is the reliable way to read totals
(see the notes on peer tools).
"""

from __future__ import annotations

import csv
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.telemetry.collector.collector_process import wait_bound

Totals = dict[tuple[str, ...], tuple[int, int]]  # key -> (packets, bytes)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on UDP ``port`` (a leftover collector would take traffic)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class PmacctCollector:
    def __init__(self, program: str, port: int, aggregate: str, workdir: Path) -> None:
        if not port_is_free(port):
            raise RuntimeError(f"UDP port {port} is taken: a leftover collector?")
        prefix = "sfacctd" if program == "sfacctd" else "nfacctd"
        self.port = port
        self.output = workdir / f"{program}.csv"
        self.log = workdir / f"{program}.log"
        config = workdir / f"{program}.conf"
        config.write_text(
            "daemonize: false\n"
            f"{prefix}_ip: 127.0.0.1\n"
            f"{prefix}_port: {port}\n"
            f"{prefix}_renormalize: true\n"
            f"{prefix}_pipe_size: {32 << 20}\n"  # its socket's receive buffer
            "plugins: print\n"
            f"aggregate: {aggregate}\n"
            "print_output: csv\n"
            f"print_output_file: {self.output}\n"
            "print_refresh_time: 86400\n"
            f"logfile: {self.log}\n"
        )
        self.process = subprocess.Popen([program, "-f", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        if not (wait_bound(port) and self._logged("cache entries=")):
            self.stop()
            raise RuntimeError(f"{program} did not start: {self._log_text()[-500:]}")

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _logged(self, text: str) -> bool:
        """Until the log says ``text`` (the print plugin logs its cache once it is ready)."""
        for _ in range(500):
            if text in self._log_text():
                return True
            time.sleep(0.01)
        return False

    def _socket(self) -> tuple[int, int]:
        """(bytes queued, datagrams dropped) of the collector's socket, from the kernel."""
        needle = f":{self.port:04X}"
        queued = dropped = 0
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1].endswith(needle):
                queued += int(parts[4].split(":")[1], 16)
                dropped += int(parts[12])
        return queued, dropped

    def drain(self) -> int:
        """Until the core has read its socket; returns the datagrams the kernel dropped.

        Then a moment for the core-to-plugin queue: pmacct offers no way to ask whether the
        plugin has everything.
        """
        for _ in range(500):
            queued, dropped = self._socket()
            if not queued:
                break
            time.sleep(0.01)
        time.sleep(0.5)
        return dropped

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGINT: the print plugin writes its cache and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # its own PID only
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def totals(self, key: tuple[str, ...]) -> Totals:
        """The CSV the print plugin wrote at exit, summed per ``key`` columns."""
        out: dict[tuple[str, ...], tuple[int, int]] = {}
        if not self.output.exists():
            return out
        with self.output.open() as stream:
            for row in csv.DictReader(stream):
                k = tuple(row[c] for c in key)
                packets, octets = out.get(k, (0, 0))
                out[k] = (packets + int(row["PACKETS"]), octets + int(row["BYTES"]))
        return out
