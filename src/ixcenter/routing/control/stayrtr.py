"""stayrtr, started and watched by ixcenter: it serves our VRP JSON file to the route servers
over RTR.

What we learned from Debian's stayrtr: ``-cache`` takes a local file as well as a URL and is
re-read every ``-refresh`` seconds; it refuses a file whose ``metadata.buildtime`` is more than
24 hours old unless ``-checktime=false``; ``-metrics.addr`` defaults to ``:9847`` on every
address, so two instances collide unless it is set (an empty value turns the listener off);
it speaks RTR version 2 by default and falls back to the version the router asks for (BIRD
2.0.12 and OpenBGPD 7.7 ask for 1); its first session ID is random and its first serial 0.

Health is checked the way a router sees it: a Reset Query over RTR must be answered with the
VRPs up to End of Data (``rtr.fetch``), not only a TCP connect.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import UpstreamError
from ixcenter.routing.control import process, rtr
from ixcenter.routing.control.namespaces import exec_prefix

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RtrServer:
    """One stayrtr instance: what it serves, where it listens, where it keeps its PID and log."""

    vrp_file: Path
    directory: Path
    host: str = "127.0.0.1"
    port: int = 3323
    refresh: int = 60
    check_time: bool = True
    namespace: str | None = None
    program: str = "stayrtr"

    @property
    def bind(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def argv(self) -> list[str]:
        return [
            self.program,
            "-bind", self.bind,
            "-cache", str(self.vrp_file),
            "-refresh", str(self.refresh),
            f"-checktime={str(self.check_time).lower()}",
            "-metrics.addr", "",
            "-log.verbose=false",
        ]  # fmt: skip


class StayRtr:
    """Start, check, restart and stop one stayrtr, by the PID it records in its directory."""

    def __init__(self, server: RtrServer) -> None:
        self.server = server
        self.pidfile = server.directory / "stayrtr.pid"
        self.log = server.directory / "stayrtr.log"
        self.restarts = 0

    def recorded(self) -> process.ProcessId | None:
        return process.read_pidfile(self.pidfile)

    def alive(self) -> bool:
        found = self.recorded()
        return found is not None and process.alive(found)

    def start(self, *, timeout: float = 10.0) -> rtr.Snapshot:
        """Start stayrtr (unless running) and wait until it answers over RTR."""
        if not self.alive():
            if not self.server.vrp_file.is_file():
                raise UpstreamError(f"stayrtr: no VRP file at {self.server.vrp_file}")
            self.server.directory.mkdir(parents=True, exist_ok=True)
            found = process.spawn(
                self.server.argv(),
                log=self.log,
                command_prefix=exec_prefix(self.server.namespace),
            )
            process.write_pidfile(self.pidfile, found)
        return self.wait_ready(timeout=timeout)

    def check(self, *, timeout: float = 5.0) -> rtr.Snapshot:
        """Ask for every VRP over RTR; raises ``UpstreamError`` if stayrtr does not answer."""
        return rtr.fetch(
            self.server.host, self.server.port, timeout=timeout, namespace=self.server.namespace
        )

    def wait_ready(self, *, timeout: float = 10.0) -> rtr.Snapshot:
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise UpstreamError(f"stayrtr exited; see {self.log}")
            try:
                return self.check(timeout=1.0)
            except UpstreamError as exc:
                if time.monotonic() >= deadline:
                    raise UpstreamError(f"stayrtr not serving after {timeout:g}s: {exc}") from None
            time.sleep(0.05)

    def ensure(self, *, timeout: float = 10.0) -> bool:
        """Restart stayrtr if it died or stopped answering; True if it was restarted."""
        if self.alive():
            try:
                self.check()
            except UpstreamError as exc:
                logger.warning("stayrtr %s not answering (%s): restarting", self.server.bind, exc)
            else:
                return False
        else:
            logger.warning("stayrtr %s is gone: restarting", self.server.bind)
        self.stop()
        self.start(timeout=timeout)
        self.restarts += 1
        return True

    def watch(self, stop: threading.Event, *, interval: float = 5.0) -> None:
        """Call ``ensure`` every ``interval`` seconds until ``stop`` is set (run in a thread)."""
        while not stop.wait(interval):
            try:
                self.ensure()
            except UpstreamError as exc:
                logger.error("stayrtr %s cannot be restarted: %s", self.server.bind, exc)

    def stop(self) -> bool:
        """Stop the recorded stayrtr (SIGTERM, then SIGKILL); True if it was running."""
        found = self.recorded()
        stopped = found is not None and process.stop(found, name="stayrtr")
        self.pidfile.unlink(missing_ok=True)
        return stopped
