"""The route-server benchmark's lab: a loopback-only network namespace, the daemons run in it
(the IRR whois server, stayrtr, BIRD), and how a program's time and memory are measured.

* ``measure``: wall time, CPU time (user + system) and peak RSS of a command and every
  descendant it waited for, from ``wait4(2)``;
* ``Namespace``: a network namespace with only ``lo`` up, plus a veth pair carrying the
  route server's LAN addresses, so BGP neighbours resolve; nothing in it reaches the Internet;
* ``Daemon``: a process started in the namespace, its CPU and peak RSS read from ``/proc``,
  stopped by PID;
* ``bird_parse`` (``bird -p``) and ``bird_start``: BIRD started with a config until every BGP
  protocol is listed by ``show protocols`` and every ROA table holds all the VRPs stayrtr
  serves, then ``show memory``.

``python -m bench.rs_lab whois DUMP --port N`` runs ixcenter's ``WhoisServer`` over an RPSL dump
(it prints ``ready`` once listening): the IRRd-protocol server bgpq4 queries.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois_server import WhoisServer

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
WHOIS_PORT = 4343  # inside the private namespace, any port is free
RTR_PORT = 8323
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Usage:
    wall: float  # seconds
    cpu: float  # user + system seconds, with waited-for descendants
    peak_rss_kb: int  # the largest single process among them
    returncode: int


def measure(
    command: Sequence[str], *, output: IO[bytes] | None = None, timeout: float = 3600.0
) -> Usage:
    """Run ``command`` to its end; stdout and stderr go to ``output`` (default: discarded)."""
    target = output if output is not None else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=target, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode)


class Namespace:
    """A private network namespace; use as a context manager (deleted even on failure)."""

    def __init__(self, prefix: str = "ixcb") -> None:
        self.name = f"{prefix}{os.getpid() % 100000}{secrets.token_hex(2)}"

    def __enter__(self) -> Namespace:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.ip("link", "set", "lo", "up")
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False)

    def ip(self, *args: str) -> None:
        subprocess.run(["ip", "-n", self.name, *args], check=True)

    def add_lan(self, *addresses: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> None:
        """A "LAN" (a veth pair, both ends here) holding the route server's own addresses."""
        self.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan1")
        for address in addresses:
            extra = ["nodad"] if address.version == 6 else []
            self.ip("addr", "add", str(address), "dev", "lan0", *extra)
        self.ip("link", "set", "lan1", "up")
        self.ip("link", "set", "lan0", "up")

    def wrap(self, command: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *command]


class Daemon:
    """A process started in a namespace (``ip netns exec`` execs it: the PID is the daemon's)."""

    def __init__(self, command: Sequence[str], log: Path, *, stdout_pipe: bool = False) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE if stdout_pipe else self.log,
            stderr=self.log,
            cwd=ROOT,
        )
        self.pid = self.process.pid
        self.started = time.perf_counter()

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime

    def peak_rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def start_whois(ns: Namespace, dump: Path, log: Path, port: int = WHOIS_PORT) -> Daemon:
    """ixcenter's whois server over ``dump`` in ``ns``; returns once it listens."""
    command = [sys.executable, "-m", "bench.rs_lab", "whois", str(dump), "--port", str(port)]
    daemon = Daemon(ns.wrap(command), log, stdout_pipe=True)
    assert daemon.process.stdout is not None
    line = daemon.process.stdout.readline().decode()
    if not line.startswith("ready"):
        daemon.stop()
        raise RuntimeError(f"whois server did not start (see {log})")
    return daemon


def start_stayrtr(ns: Namespace, vrps: Path, log: Path, timeout: float = 120.0) -> Daemon:
    """stayrtr serving ``vrps`` over RTR in ``ns``; returns once it has loaded them."""
    command = ["stayrtr", "-cache", str(vrps), "-bind", f"127.0.0.1:{RTR_PORT}",
               "-checktime=false", "-metrics.addr", "127.0.0.1:9847"]  # fmt: skip
    daemon = Daemon(ns.wrap(command), log)
    deadline = time.monotonic() + timeout
    while "Server started" not in log.read_text(errors="replace"):
        if not daemon.alive() or time.monotonic() > deadline:
            daemon.stop()
            raise RuntimeError(f"stayrtr did not start (see {log})")
        time.sleep(0.05)
    return daemon


def bird_version() -> str:
    done = subprocess.run(["bird", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).strip().rpartition(" ")[2]


def bird_parse(config: Path, output: IO[bytes] | None = None) -> Usage:
    return measure(["bird", "-p", "-c", str(config)], output=output)


@dataclass(frozen=True, slots=True)
class BirdStart:
    protocols_seconds: float  # from exec until ``show protocols`` lists every BGP session
    roas_seconds: float  # ... until the ROA tables hold every VRP
    cpu: float  # BIRD's CPU seconds at that moment
    peak_rss_kb: int
    memory_total_kb: int  # ``show memory``, "Total"
    protocols: int
    roas: int


_BGP_PROTOCOL = re.compile(r"^\s*protocol\s+bgp\b", re.MULTILINE)
_ROA_TABLE = re.compile(r"^\s*roa([46])\s+table\s+(\w+)", re.MULTILINE)
_COUNT = re.compile(r"(\d+) of (\d+) routes for (\d+) networks")
_UNITS = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024 * 1024}


def birdc(socket: Path, *command: str) -> str | None:
    """One ``birdc`` command's answer, ``None`` while BIRD does not answer yet."""
    done = subprocess.run(
        ["birdc", "-s", str(socket), *command], capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def memory_total_kb(answer: str) -> int:
    for line in answer.splitlines():
        if line.strip().startswith("Total:"):
            value, unit = line.split()[1:3]
            return round(float(value) * _UNITS[unit])
    raise ValueError(f"no Total in show memory: {answer!r}")


def bird_start(
    ns: Namespace, config: Path, workdir: Path, roas: dict[int, int], timeout: float = 3600.0
) -> BirdStart:
    """Start BIRD on ``config`` in ``ns``, wait for its sessions and ROAs, stop it.

    ``roas`` is the VRP count per IP version stayrtr serves; the ROA tables are the ``roa4`` and
    ``roa6`` tables the config declares.
    """
    text = config.read_text()
    expected = len(_BGP_PROTOCOL.findall(text))
    tables = dict(_ROA_TABLE.findall(text))  # version, table
    socket = workdir / "bird.ctl"
    command = ["bird", "-f", "-c", str(config), "-s", str(socket), "-P", str(workdir / "bird.pid")]
    daemon = Daemon(ns.wrap(command), workdir / "bird.log")
    deadline = daemon.started + timeout
    protocols_at = roas_at = 0.0
    protocols = loaded = 0
    try:
        while not roas_at:
            if not daemon.alive():
                raise RuntimeError(f"BIRD exited (see {workdir / 'bird.log'})")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"BIRD not ready after {timeout:.0f} s: {protocols} sessions")
            time.sleep(0.1)
            if not protocols_at:
                answer = birdc(socket, "show", "protocols")
                if answer is None:
                    continue
                protocols = sum(1 for line in answer.splitlines()[1:] if " BGP " in line)
                if protocols >= expected:
                    protocols_at = time.perf_counter() - daemon.started
                continue
            loaded = 0
            for table in tables.values():
                found = _COUNT.search(birdc(socket, "show", "route", "table", table, "count") or "")
                loaded += int(found.group(3)) if found else 0
            if loaded >= sum(roas.get(int(v), 0) for v in tables):
                roas_at = time.perf_counter() - daemon.started
        cpu, peak = daemon.cpu(), daemon.peak_rss_kb()
        memory = memory_total_kb(birdc(socket, "show", "memory") or "")
    finally:
        daemon.stop()
    return BirdStart(protocols_at, roas_at, cpu, peak, memory, protocols, loaded)


async def _serve(dump: Path, port: int) -> None:
    store = IrrStore()
    problems = store.load_dump(dump)
    server = WhoisServer(store, port=port)
    await server.start()
    sys.stdout.write(f"ready {server.port} {store.counts()} problems={len(problems)}\n")
    sys.stdout.flush()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rs_lab")
    commands = parser.add_subparsers(dest="command", required=True)
    whois = commands.add_parser("whois", help="serve an RPSL dump over the IRRd protocol")
    whois.add_argument("dump", type=Path)
    whois.add_argument("--port", type=int, default=WHOIS_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(_serve(args.dump, args.port))


if __name__ == "__main__":
    main()
