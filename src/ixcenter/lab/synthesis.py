"""Flows synthesised from the registry, sent as IPFIX to the collector: the demo's reduced mode.

Where the machine cannot run the lab (no root, no network namespaces), ``ixc demo`` still shows
traffic, and says where it comes from: this module writes IPFIX messages as an exporter at the
exchange would, from the registry's member routers (their MACs on the peering LAN's VLAN, their
LAN addresses), and sends them over loopback to the real collector, which decodes, enriches and
stores them like any other. Nothing is written to the store directly.

Each second every pair among the ``pairs`` largest of the gravity model (``traffic.gravity``:
port capacity times port capacity) carries one flow record per address family it shares, its
bytes a share of ``utilisation`` of the members' port capacity, shaped by the hour of the day
(a trough at 04:00, a peak at 21:00, as exchange traffic goes) and a little noise. Now and then
(``attack_every_s``) three members flood one victim with small UDP packets for ``attack_s``
seconds. Deterministic by seed given the same times.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import math
import random
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

from ixcenter.lab.blueprint import Blueprint
from ixcenter.lab.traffic import Member, gravity
from ixcenter.telemetry.decode import export

logger = logging.getLogger(__name__)

ATTACK_PORT = 11211
SERVICE_PORTS = (443, 443, 443, 80, 53, 123, 8801)
_PEAK_HOUR = 21.0
_TROUGH_HOUR = 4.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A member router as the exchange's switches see it."""

    name: str
    mac: str
    vlan: int
    speed_mbps: int
    ipv4: str | None = None
    ipv6: str | None = None


def endpoints(blueprint: Blueprint) -> list[Endpoint]:
    """Every member router of the blueprint that has a MAC address."""
    found = []
    for center in blueprint.centers:
        for place in center.routers:
            if place.mac is None:
                continue
            router = place.router
            found.append(
                Endpoint(
                    name=place.key,
                    mac=place.mac,
                    vlan=center.vlan,
                    speed_mbps=place.speed_mbps,
                    ipv4=str(router.ipv4) if router.ipv4 is not None else None,
                    ipv6=str(router.ipv6) if router.ipv6 is not None else None,
                )
            )
    return found


def daily_shape(unix_s: float) -> float:
    """Traffic relative to the daily mean, by the hour (UTC+8): 0.4 at 04:00, rising all day to
    1.6 at 21:00, falling through the night."""
    hour = (unix_s / 3600.0 + 8.0) % 24.0
    rise = _PEAK_HOUR - _TROUGH_HOUR
    since = (hour - _TROUGH_HOUR) % 24.0
    phase = (
        since / rise * math.pi if since <= rise else math.pi * (1 + (since - rise) / (24 - rise))
    )
    return 1.0 - 0.6 * math.cos(phase)


class FlowSynthesiser:
    def __init__(
        self,
        members: Sequence[Endpoint],
        *,
        utilisation: float = 0.3,
        pairs: int = 2000,
        attack_every_s: float = 120.0,
        attack_s: float = 20.0,
        seed: int = 1,
    ) -> None:
        self.members = {m.name: m for m in members}
        model = [
            Member(
                m.name,
                float(m.speed_mbps),
                ipaddress.IPv4Address(m.ipv4) if m.ipv4 else None,
                ipaddress.IPv6Address(m.ipv6) if m.ipv6 else None,
            )
            for m in members
        ]
        shares = gravity(model)
        self.pairs = sorted(shares.items(), key=lambda item: -item[1])[:pairs]
        kept = sum(share for _, share in self.pairs) or 1.0
        capacity = sum(m.speed_mbps for m in members) * 1e6 / 8.0  # bytes per second
        self.bytes_per_s = capacity * utilisation / 2.0  # every byte leaves one port, enters one
        self.scale = 1.0 / kept
        self.attack_every_s = attack_every_s
        self.attack_s = attack_s
        self.seed = seed
        self._sequence = 0

    def records(self, second: int) -> tuple[list[list[export.Value]], list[list[export.Value]]]:
        """IPv4 and IPv6 flow records of one second (``second``: unix seconds)."""
        rng = random.Random(self.seed * 1_000_003 + second)  # noqa: S311 - synthetic traffic
        shape = daily_shape(second)
        v4: list[list[export.Value]] = []
        v6: list[list[export.Value]] = []
        start, end = second * 1000, second * 1000 + 999
        for (a, b), share in self.pairs:
            src, dst = self.members[a], self.members[b]
            total = self.bytes_per_s * share * self.scale * shape * rng.uniform(0.85, 1.15)
            shared = [v for v in (4, 6) if _address(src, v) and _address(dst, v)]
            parts = ((4, 0.7), (6, 0.3)) if len(shared) == 2 else ((v, 1.0) for v in shared)
            for version, part in parts:
                octets = int(total * part)
                if octets <= 0:
                    continue
                packets = max(1, octets // 900)
                record = _record(src, dst, version, octets, packets, rng.choice(SERVICE_PORTS),
                                 start, end, rng)  # fmt: skip
                (v4 if version == 4 else v6).append(record)
        victim, sources = self.attack(second)
        if victim is not None:
            for name in sources:
                src, dst = self.members[name], self.members[victim]
                if src.ipv4 and dst.ipv4:
                    packets = int(self.bytes_per_s * 0.02 / 60)
                    v4.append(_record(src, dst, 4, packets * 60, packets, ATTACK_PORT, start, end,
                                      rng))  # fmt: skip
        return v4, v6

    def attack(self, second: int) -> tuple[str | None, tuple[str, ...]]:
        """The victim and the sources of the attack under way at ``second``, if any."""
        if self.attack_every_s <= 0 or len(self.members) < 4:
            return None, ()
        slot = int(second // self.attack_every_s)
        if second - slot * self.attack_every_s >= self.attack_s:
            return None, ()
        rng = random.Random(self.seed * 7919 + slot)  # noqa: S311
        names = sorted(self.members)
        victim, *sources = rng.sample(names, 4)
        return victim, tuple(sources)

    def messages(self, second: int, *, per_message: int = 25) -> list[bytes]:
        """The IPFIX messages of one second, the templates in the first."""
        v4, v6 = self.records(second)
        out = []
        sets = [export.ipfix_template_set([export.FLOW_V4, export.FLOW_V6])]
        for template, records in ((export.FLOW_V4, v4), (export.FLOW_V6, v6)):
            for index in range(0, len(records), per_message):
                chunk = records[index : index + per_message]
                sets.append(export.ipfix_data_set(template, chunk))
                out.append(
                    export.ipfix_message(
                        sets, sequence=self._sequence, domain=1, export_time=second
                    )
                )
                self._sequence += len(chunk)
                sets = []
        return out


def _address(member: Endpoint, version: int) -> str:
    return (member.ipv4 if version == 4 else member.ipv6) or ""


def _record(
    src: Endpoint,
    dst: Endpoint,
    version: int,
    octets: int,
    packets: int,
    port: int,
    start_ms: int,
    end_ms: int,
    rng: random.Random,
) -> list[export.Value]:
    values: list[object] = [
        ipaddress.ip_address(_address(src, version)), ipaddress.ip_address(_address(dst, version)),
        rng.randrange(1024, 65535), port, 17 if port in (53, 123, ATTACK_PORT) else 6,
        octets, packets, 1, 2, src.mac, dst.mac, dst.vlan, version, start_ms, end_ms,
    ]  # fmt: skip
    return [export.value(v) for v in values]


def run(synthesiser: FlowSynthesiser, host: str, port: int, *, seconds: float | None = None) -> int:
    """Send one second of flows every second to ``host``:``port`` until SIGTERM/SIGINT (or
    ``seconds``); returns the messages sent."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sent = 0
    began = time.time()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        second = int(began)
        while not stopping and (seconds is None or time.time() - began < seconds):
            for message in synthesiser.messages(second):
                sock.sendto(message, (host, port))
                sent += 1
            second += 1
            time.sleep(max(0.0, second - time.time()))
    return sent


def write_plan(path: Path, members: Sequence[Endpoint], seed: int) -> None:
    document = {"seed": seed, "members": [asdict(m) for m in members]}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ixcenter.lab.synthesis")
    parser.add_argument("--plan", type=Path, required=True, help="members, from write_plan")
    parser.add_argument("--to", default="127.0.0.1:4739", help="the collector's IPFIX HOST:PORT")
    parser.add_argument("--seconds", type=float, help="stop after this long (default: never)")
    args = parser.parse_args(argv)
    document = json.loads(args.plan.read_text(encoding="utf-8"))
    members = [Endpoint(**m) for m in document["members"]]
    host, _, port = args.to.rpartition(":")
    synthesiser = FlowSynthesiser(members, seed=int(document.get("seed", 1)))
    sent = run(synthesiser, host.strip("[]"), int(port), seconds=args.seconds)
    logger.info("synthesis: %d messages sent", sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
