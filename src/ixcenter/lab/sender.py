"""A member's traffic sender: real UDP packets over the peering LAN at its plan's rates.

One sender runs in each member's namespace (``start_senders`` starts them through
``Lab.start``)::

    python -m ixcenter.lab.sender --plan m1.plan.json [--stats m1.stats.json]

It wakes every ``TICK_S``, works out how many packets each stream and each active attack owes
since the last tick (``Pacer``: credit per stream, capped so a stalled process does not burst)
and sends them with plain ``sendto`` on non-blocking sockets, a few per family so source ports
vary; destination port and payload size come from a shuffled cycle drawn from the plan's ports
and payload mix. Attacks count their offset into the schedule's period from the plan's epoch,
which all senders share.

The receiving side: every sender also binds the plan's destination ports (``sink_ports``) on
its own namespace's wildcard addresses and never reads them. The kernel delivers each packet to
that socket's small queue and, when it is full, drops the packet quietly: no ICMP port
unreachable goes back over the LAN (which would show up as reverse traffic in the flows) and
no receive work is done in Python. No firewall rules are needed.

On SIGTERM or SIGINT (or after ``duration_s``) it stops and writes what it sent to ``--stats``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import signal
import socket
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ixcenter.lab.lab import Lab
from ixcenter.lab.processes import LabProcess
from ixcenter.lab.traffic import SenderPlan, TrafficPlan

logger = logging.getLogger(__name__)

TICK_S = 0.01
MAX_BACKLOG_S = 0.25  # credit a stream may carry over a stall, in seconds of its rate
SOCKETS_PER_FAMILY = 4
CYCLE = 4096  # (port, payload) choices drawn once, then cycled
SINK_BUFFER = 4096  # bytes of receive queue per sink socket (the kernel doubles it)


class Pacer:
    """Packets owed per stream: ``advance(elapsed, rates)`` adds ``rate * elapsed`` credit and
    returns the whole packets due; a stream whose rate is 0 loses its credit."""

    def __init__(self, streams: int, max_backlog_s: float = MAX_BACKLOG_S) -> None:
        self._credit = [0.0] * streams
        self._max = max_backlog_s

    def advance(self, elapsed: float, rates: Sequence[float]) -> list[int]:
        due: list[int] = []
        for i, rate in enumerate(rates):
            if rate <= 0:
                self._credit[i] = 0.0
                due.append(0)
                continue
            credit = min(self._credit[i] + rate * max(elapsed, 0.0), rate * self._max + 1)
            whole = math.floor(credit)
            self._credit[i] = credit - whole
            due.append(whole)
        return due


@dataclass(frozen=True, slots=True)
class SentStats:
    """Packets sent per destination member (normal traffic), attack packets, send errors."""

    member: str
    sent: dict[str, int]
    attack: dict[str, int]
    errors: int

    def to_json(self) -> dict[str, object]:
        return {
            "member": self.member,
            "sent": self.sent,
            "attack": self.attack,
            "errors": self.errors,
        }


class Sender:
    """Sends one member's plan; ``clock`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        plan: SenderPlan,
        *,
        sink: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.plan = plan
        self._clock = clock
        self._sleep = sleep
        self._stop = False
        rng = random.Random(plan.seed ^ zlib.crc32(plan.member.encode()))  # noqa: S311
        sizes = [size for size, _ in plan.payloads]
        weights = [weight for _, weight in plan.payloads]
        self._cycle = [
            (rng.choice(plan.ports), bytes(size)) for size in rng.choices(sizes, weights, k=CYCLE)
        ]
        self._next = 0
        self._attack_payloads = [bytes(a.payload) for a in plan.attacks]
        self._senders: dict[int, list[socket.socket]] = {}
        self._sinks: list[socket.socket] = []
        self._pacer = Pacer(len(plan.streams) + len(plan.attacks))
        self._sent: Counter[str] = Counter()
        self._attack: Counter[str] = Counter()
        self._errors = 0
        self._turn = 0
        if sink:
            self._open_sinks()

    def stop(self) -> None:
        self._stop = True

    def stats(self) -> SentStats:
        return SentStats(self.plan.member, dict(self._sent), dict(self._attack), self._errors)

    def close(self) -> None:
        for group in self._senders.values():
            for sock in group:
                sock.close()
        for sock in self._sinks:
            sock.close()
        self._senders.clear()
        self._sinks.clear()

    def run(self) -> SentStats:
        """Until stopped, or until ``duration_s`` after the epoch."""
        plan = self.plan
        last = self._clock()
        while not self._stop:
            now = self._clock()
            since = now - plan.epoch
            if plan.duration_s is not None and since >= plan.duration_s:
                break
            if since >= 0:
                self.tick(now - max(last, plan.epoch), since % plan.period_s)
            last = now
            self._sleep(max(0.0, TICK_S - (self._clock() - now)))
        return self.stats()

    def tick(self, elapsed: float, offset: float) -> int:
        """Send what is due for ``elapsed`` seconds at ``offset`` into the period; how many."""
        plan = self.plan
        rates = [s.pps for s in plan.streams]
        rates += [a.pps if a.active(offset) else 0.0 for a in plan.attacks]
        due = self._pacer.advance(elapsed, rates)
        sent = 0
        for stream, count in zip(plan.streams, due, strict=False):
            for _ in range(count):
                port, payload = self._cycle[self._next]
                self._next = (self._next + 1) % CYCLE
                if self._send(payload, str(stream.address), port, stream.address.version):
                    self._sent[stream.dst] += 1
                    sent += 1
        for n, attack in enumerate(plan.attacks):
            payload = self._attack_payloads[n]
            for _ in range(due[len(plan.streams) + n]):
                if self._send(payload, str(attack.address), attack.port, attack.address.version):
                    self._attack[attack.victim] += 1
                    sent += 1
        return sent

    def _send(self, payload: bytes, address: str, port: int, version: int) -> bool:
        group = self._senders.get(version) or self._open_senders(version)
        self._turn = (self._turn + 1) % len(group)
        try:
            group[self._turn].sendto(payload, (address, port))
        except OSError:  # queue full, no neighbour yet, interface down: the packet is lost
            self._errors += 1
            return False
        return True

    def _open_senders(self, version: int) -> list[socket.socket]:
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        group = []
        for _ in range(SOCKETS_PER_FAMILY):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            group.append(sock)
        self._senders[version] = group
        return group

    def _open_sinks(self) -> None:
        for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):  # noqa: S104
            for port in self.plan.sink_ports:
                sock = socket.socket(family, socket.SOCK_DGRAM)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SINK_BUFFER)
                try:
                    sock.bind((host, port))
                except OSError as exc:
                    logger.warning("sender %s: cannot sink [%s]:%d: %s", self.plan.member,
                                   host, port, exc)  # fmt: skip
                    sock.close()
                    continue
                self._sinks.append(sock)


def start_senders(
    lab: Lab,
    plan: TrafficPlan,
    *,
    epoch: float | None = None,
    duration_s: float | None = None,
    directory: Path | None = None,
    label: str = "sender",
) -> dict[str, LabProcess]:
    """Start one sender per member of ``plan`` in the lab node of the same name.

    Plans and stats go to ``directory`` (default ``<run dir>/traffic``) as ``<member>.plan.json``
    and ``<member>.stats.json``; the process of member ``m`` is named ``<label>-m``. ``epoch``
    (default: two seconds from now, so every sender is up) is when the schedule's period begins.
    """
    directory = directory or lab.run_dir / "traffic"
    directory.mkdir(parents=True, exist_ok=True)
    epoch = time.time() + 2.0 if epoch is None else epoch
    started: dict[str, LabProcess] = {}
    for member in plan.members:
        document = plan.sender(member.name, epoch=epoch, duration_s=duration_s).to_json()
        path = directory / f"{member.name}.plan.json"
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        argv = [sys.executable, "-m", "ixcenter.lab.sender", "--plan", str(path),
                "--stats", str(directory / f"{member.name}.stats.json")]  # fmt: skip
        started[member.name] = lab.start(f"{label}-{member.name}", argv, node=member.name)
    logger.info("lab %s: %d senders, epoch %.3f", lab.run_id, len(started), epoch)
    return started


def read_stats(lab: Lab, member: str, directory: Path | None = None) -> SentStats | None:
    """What ``member``'s sender wrote when it stopped (None before that)."""
    path = (directory or lab.run_dir / "traffic") / f"{member}.stats.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return SentStats(
        str(data["member"]),
        {str(k): int(v) for k, v in data["sent"].items()},
        {str(k): int(v) for k, v in data["attack"].items()},
        int(data["errors"]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ixcenter.lab.sender", description=__doc__)
    parser.add_argument("--plan", type=Path, required=True, help="the member's plan (JSON)")
    parser.add_argument("--stats", type=Path, help="write what was sent here on exit (JSON)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    plan = SenderPlan.from_json(json.loads(args.plan.read_text(encoding="utf-8")))
    sender = Sender(plan)

    def _stop(signum: int, frame: FrameType | None) -> None:
        sender.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    total = sum(s.pps for s in plan.streams)
    logger.info("sender %s: %d streams, %.1f pps, %d attacks, epoch %.3f",
                plan.member, len(plan.streams), total, len(plan.attacks), plan.epoch)  # fmt: skip
    try:
        stats = sender.run()
    finally:
        sender.close()
    logger.info("sender %s: sent %d, attack %d, errors %d", plan.member,
                sum(stats.sent.values()), sum(stats.attack.values()), stats.errors)  # fmt: skip
    if args.stats is not None:
        temporary = args.stats.with_name(f".{args.stats.name}.tmp")
        temporary.write_text(json.dumps(stats.to_json()) + "\n", encoding="utf-8")
        temporary.replace(args.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
