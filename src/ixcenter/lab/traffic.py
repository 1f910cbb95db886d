"""Traffic between the lab's members: a gravity model, and an attack burst now and then.

Every ordered pair of members that share an address family exchanges packets at a rate
proportional to the product of their sizes (port capacity, say)::

    pps(i -> j) = total_pps * size_i * size_j / sum over pairs a != b of size_a * size_b

so the lab as a whole sends ``total_pps`` (a rate a few Python senders carry on one core), the
biggest pair the most. A pair's rate is split between IPv4 and IPv6 by ``ipv6_share`` when both
ends have both families. Payload sizes follow a weighted mix (an IMIX), destination ports come
from a few well-known services: both are drawn per packet by the sender.

Attacks repeat with the schedule's period (``period_s``): the period is cut into slots of
``attack_every_s`` and each slot holds one burst of ``attack_s`` seconds at a random offset,
from ``attack_sources`` members to one victim, small UDP packets to one port. Times are offsets
into the period; the senders share an epoch, so they start and stop a burst together. Everything
random is drawn from ``random.Random(seed)``: the same members, knobs and seed give the same plan.

``SenderPlan`` is what one member's sender needs, as JSON (``ixcenter.lab.sender`` reads it).
Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ixcenter.core.errors import FormatError, NotFound, Problem, Problems, ValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SERVICE_PORTS = (53, 123, 443, 3478, 4500, 8801)  # DNS, NTP, QUIC, STUN, IPsec NAT-T, video
IMIX = ((12, 7), (548, 4), (1400, 1))  # (UDP payload bytes, weight): 40/576/1428-byte packets
ATTACK_PORT = 11211  # a memcached-style UDP flood


@dataclass(frozen=True, slots=True)
class Member:
    """A member that sends and receives: ``name`` is the lab node its sender runs in."""

    name: str
    size: float  # weight in the gravity model, e.g. port capacity in Mbit/s
    ipv4: ipaddress.IPv4Address | None = None
    ipv6: ipaddress.IPv6Address | None = None


@dataclass(frozen=True, slots=True)
class Knobs:
    """How much traffic, of what kind, and how often an attack comes."""

    total_pps: float = 2000.0  # normal traffic of the whole lab, packets per second
    ipv6_share: float = 0.3
    ports: tuple[int, ...] = SERVICE_PORTS
    payloads: tuple[tuple[int, int], ...] = IMIX
    attack_every_s: float = 60.0  # one burst per slot of this length
    attack_s: float = 5.0
    attack_sources: int = 3
    attack_pps: float = 1500.0  # the whole burst, split between its sources
    attack_port: int = ATTACK_PORT
    attack_payload: int = 18

    def check(self) -> None:
        problems = Problems()
        problems.check(self.total_pps >= 0, "total_pps", "cannot be negative")
        problems.check(0 <= self.ipv6_share <= 1, "ipv6_share", "must be between 0 and 1")
        problems.check(bool(self.ports), "ports", "at least one port")
        for port in (*self.ports, self.attack_port):
            problems.check(0 < port < 65536, "ports", f"{port} is not a UDP port")
        problems.check(bool(self.payloads), "payloads", "at least one payload size")
        for size, weight in self.payloads:
            problems.check(0 <= size <= 1452 and weight > 0, "payloads", f"({size}, {weight})")
        problems.check(self.attack_every_s > 0, "attack_every_s", "must be positive")
        problems.check(
            0 < self.attack_s <= self.attack_every_s, "attack_s", "between 0 and attack_every_s"
        )
        problems.check(self.attack_sources >= 1, "attack_sources", "at least one")
        problems.check(self.attack_pps >= 0, "attack_pps", "cannot be negative")
        problems.check(0 <= self.attack_payload <= 1452, "attack_payload", "0 to 1452 bytes")
        problems.raise_if_any()


@dataclass(frozen=True, slots=True)
class Stream:
    """Normal traffic from member ``src`` to member ``dst`` at ``address``."""

    src: str
    dst: str
    address: Address
    pps: float


@dataclass(frozen=True, slots=True)
class Attack:
    """A burst from ``sources`` (each at ``pps``) to ``victim`` at ``address``:``port``."""

    start_s: float  # offset into the period
    duration_s: float
    victim: str
    address: Address
    sources: tuple[str, ...]
    pps: float
    port: int
    payload: int

    def active(self, offset: float) -> bool:
        return self.start_s <= offset < self.start_s + self.duration_s


def gravity(members: Sequence[Member]) -> dict[tuple[str, str], float]:
    """Each ordered pair's share of the traffic (the shares sum to 1; pairs that share no
    address family, or where a size is 0, have none)."""
    names = [m.name for m in members]
    problems = Problems()
    problems.check(len(set(names)) == len(names), "members", "names must be unique")
    for m in members:
        problems.check(m.size >= 0, m.name, "size cannot be negative")
        problems.check(m.ipv4 is not None or m.ipv6 is not None, m.name, "needs an address")
    problems.raise_if_any()
    weights = {
        (a.name, b.name): a.size * b.size
        for a in members
        for b in members
        if a is not b and _families(a, b)
    }
    total = sum(weights.values())
    if total <= 0:
        return {}
    return {pair: w / total for pair, w in weights.items() if w > 0}


def streams(members: Sequence[Member], knobs: Knobs) -> tuple[Stream, ...]:
    """The traffic matrix: one stream per pair and address family, largest pairs first."""
    by_name = {m.name: m for m in members}
    out: list[Stream] = []
    for (src, dst), share in sorted(gravity(members).items(), key=lambda kv: (-kv[1], kv[0])):
        pps = knobs.total_pps * share
        target = by_name[dst]
        families = _families(by_name[src], target)
        v6 = pps * knobs.ipv6_share if families == {4, 6} else (pps if families == {6} else 0.0)
        if pps - v6 > 0 and target.ipv4 is not None:
            out.append(Stream(src, dst, target.ipv4, pps - v6))
        if v6 > 0 and target.ipv6 is not None:
            out.append(Stream(src, dst, target.ipv6, v6))
    return tuple(out)


def attack_schedule(
    members: Sequence[Member], knobs: Knobs, *, seed: int, period_s: float
) -> tuple[Attack, ...]:
    """One burst per ``attack_every_s`` slot of the period (none if the period is shorter)."""
    if len(members) < 2 or knobs.attack_pps <= 0:
        return ()
    rng = random.Random(seed)  # noqa: S311 - a reproducible schedule, not a secret
    ordered = sorted(members, key=lambda m: m.name)
    attacks: list[Attack] = []
    for slot in range(int(period_s // knobs.attack_every_s)):
        start = slot * knobs.attack_every_s + rng.uniform(0, knobs.attack_every_s - knobs.attack_s)
        victim = rng.choice(ordered)
        address: Address | None = victim.ipv4 if victim.ipv4 is not None else victim.ipv6
        family = 4 if victim.ipv4 is not None else 6
        others = [m for m in ordered if m is not victim and family in _families(m, victim)]
        if not others or address is None:
            continue
        sources = rng.sample(others, min(knobs.attack_sources, len(others)))
        attacks.append(
            Attack(
                start_s=round(start, 3),
                duration_s=knobs.attack_s,
                victim=victim.name,
                address=address,
                sources=tuple(sorted(m.name for m in sources)),
                pps=knobs.attack_pps / len(sources),
                port=knobs.attack_port,
                payload=knobs.attack_payload,
            )
        )
    return tuple(attacks)


@dataclass(frozen=True, slots=True)
class SenderPlan:
    """What one member's sender does: its streams, its part in attacks, the ports it sinks."""

    member: str
    epoch: float  # unix seconds when offset 0 of the first period begins
    period_s: float
    seed: int
    ports: tuple[int, ...]
    payloads: tuple[tuple[int, int], ...]
    streams: tuple[Stream, ...]
    attacks: tuple[Attack, ...]
    sink_ports: tuple[int, ...]
    duration_s: float | None = None  # stop after this long from the epoch; None: run on

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "epoch": self.epoch,
            "period_s": self.period_s,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "ports": list(self.ports),
            "payloads": [list(p) for p in self.payloads],
            "sink_ports": list(self.sink_ports),
            "streams": [
                {"src": s.src, "dst": s.dst, "address": str(s.address), "pps": s.pps}
                for s in self.streams
            ],
            "attacks": [
                {
                    "start_s": a.start_s,
                    "duration_s": a.duration_s,
                    "victim": a.victim,
                    "address": str(a.address),
                    "sources": list(a.sources),
                    "pps": a.pps,
                    "port": a.port,
                    "payload": a.payload,
                }
                for a in self.attacks
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SenderPlan:
        """The plan in ``data``; anything missing or of the wrong type raises ``FormatError``."""
        try:
            return cls(
                member=str(data["member"]),
                epoch=float(data["epoch"]),
                period_s=float(data["period_s"]),
                seed=int(data["seed"]),
                duration_s=None if data["duration_s"] is None else float(data["duration_s"]),
                ports=tuple(int(p) for p in data["ports"]),
                payloads=tuple((int(s), int(w)) for s, w in data["payloads"]),
                sink_ports=tuple(int(p) for p in data["sink_ports"]),
                streams=tuple(
                    Stream(str(s["src"]), str(s["dst"]), _address(s["address"]), float(s["pps"]))
                    for s in data["streams"]
                ),
                attacks=tuple(
                    Attack(
                        start_s=float(a["start_s"]),
                        duration_s=float(a["duration_s"]),
                        victim=str(a["victim"]),
                        address=_address(a["address"]),
                        sources=tuple(str(s) for s in a["sources"]),
                        pps=float(a["pps"]),
                        port=int(a["port"]),
                        payload=int(a["payload"]),
                    )
                    for a in data["attacks"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError([Problem("plan", f"not a sender plan: {exc!r}")]) from None


@dataclass(frozen=True, slots=True)
class TrafficPlan:
    """The whole lab's traffic: the matrix and the attack schedule."""

    members: tuple[Member, ...]
    knobs: Knobs
    seed: int
    period_s: float
    streams: tuple[Stream, ...]
    attacks: tuple[Attack, ...] = field(default=())

    def pair_pps(self) -> dict[tuple[str, str], float]:
        """Normal packets per second of each ordered pair, both families together."""
        out: dict[tuple[str, str], float] = {}
        for s in self.streams:
            out[(s.src, s.dst)] = out.get((s.src, s.dst), 0.0) + s.pps
        return out

    def sender(self, member: str, *, epoch: float, duration_s: float | None = None) -> SenderPlan:
        """The plan of ``member``'s sender, its periods counted from ``epoch`` (unix seconds)."""
        if member not in {m.name for m in self.members}:
            raise NotFound(f"{member} is not in the traffic plan")
        return SenderPlan(
            member=member,
            epoch=epoch,
            period_s=self.period_s,
            seed=self.seed,
            ports=self.knobs.ports,
            payloads=self.knobs.payloads,
            streams=tuple(s for s in self.streams if s.src == member),
            attacks=tuple(a for a in self.attacks if member in a.sources),
            sink_ports=tuple(sorted({*self.knobs.ports, self.knobs.attack_port})),
            duration_s=duration_s,
        )


def plan(
    members: Sequence[Member], knobs: Knobs | None = None, *, seed: int = 1, period_s: float = 600.0
) -> TrafficPlan:
    """The gravity matrix of ``members`` and their attack schedule over ``period_s``."""
    knobs = knobs or Knobs()
    knobs.check()
    if period_s <= 0:
        raise ValidationFailed([Problem("period_s", "must be positive")])
    return TrafficPlan(
        members=tuple(members),
        knobs=knobs,
        seed=seed,
        period_s=period_s,
        streams=streams(members, knobs),
        attacks=attack_schedule(members, knobs, seed=seed, period_s=period_s),
    )


def _families(a: Member, b: Member) -> set[int]:
    found = set()
    if a.ipv4 is not None and b.ipv4 is not None:
        found.add(4)
    if a.ipv6 is not None and b.ipv6 is not None:
        found.add(6)
    return found


def _address(text: object) -> Address:
    return ipaddress.ip_address(str(text))
