"""A demo exchange and synthetic traffic between its members, with the answers worked out here.

``member_ports`` walks the registry through the ORM (not through the enricher's queries), so the
expected member, port, node and center of every MAC are found independently of the code under test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ixcenter.core.clock import FixedClock
from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Port
from ixcenter.telemetry.decode.batch import COUNTER_DTYPE, FLOW_DTYPE, CounterBatch, FlowBatch

START = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
EXPORTER = "192.0.2.10"


@dataclass(frozen=True, slots=True)
class MemberPort:
    org: int
    asn: int
    port: int
    node: int
    center: int
    vlan: int
    mac: int


def member_ports(registry: Registry) -> list[MemberPort]:
    """Every (member port, peering LAN, MAC) of the registry."""
    out: list[MemberPort] = []
    with registry.read() as s:
        for port in s.scalars(select(Port).where(Port.organisation_id.is_not(None))):
            for assignment in port.assignments:
                for mac in port.macs:
                    out.append(
                        MemberPort(
                            org=port.organisation_id or 0,
                            asn=assignment.member_asn.asn,
                            port=port.id,
                            node=port.switch.node_id,
                            center=port.switch.node.exchange_id,
                            vlan=assignment.lan.vlan,
                            mac=int(mac.mac.replace(":", ""), 16),
                        )
                    )
    return sorted(out, key=lambda m: (m.org, m.port, m.mac))


def one_per_member(ports: Sequence[MemberPort]) -> list[MemberPort]:
    seen: dict[int, MemberPort] = {}
    for p in ports:
        seen.setdefault(p.org, p)
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class Flow:
    """One sample: ``src`` sent ``size`` bytes to ``dst`` at ``at`` (sampled 1 in ``rate``)."""

    at: dt.datetime
    src: MemberPort
    dst: MemberPort
    size: int
    rate: int
    ip_version: int = 4
    protocol: int = 6
    in_if: int = 0
    out_if: int = 0
    src_ip: str | None = None  # IPv4 or IPv6 (as ``ip_version`` says)
    dst_ip: str | None = None


def _ip_columns(text: str | None) -> tuple[int, int]:
    value = int(ipaddress.ip_address(text)) if text else 0
    return value >> 64, value & ((1 << 64) - 1)


def batch(flows: Sequence[Flow], exporter: str = EXPORTER) -> FlowBatch:
    rows = np.zeros(len(flows), FLOW_DTYPE)
    for n, f in enumerate(flows):
        rows[n]["time_ms"] = int(f.at.timestamp() * 1000)
        rows[n]["vlan"] = f.src.vlan
        rows[n]["src_mac"] = f.src.mac
        rows[n]["dst_mac"] = f.dst.mac
        rows[n]["bytes"] = f.size
        rows[n]["packets"] = 1
        rows[n]["sampling_rate"] = f.rate
        rows[n]["ip_version"] = f.ip_version
        rows[n]["protocol"] = f.protocol
        rows[n]["in_if"] = f.in_if
        rows[n]["out_if"] = f.out_if
        rows[n]["src_ip_hi"], rows[n]["src_ip_lo"] = _ip_columns(f.src_ip)
        rows[n]["dst_ip_hi"], rows[n]["dst_ip_lo"] = _ip_columns(f.dst_ip)
    return FlowBatch(rows, [exporter])


def random_flows(
    ports: Sequence[MemberPort], n: int, start: dt.datetime, span_s: int, seed: int
) -> list[Flow]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a, b = rng.choice(len(ports), 2, replace=False)
        out.append(
            Flow(
                at=start + dt.timedelta(milliseconds=int(rng.integers(0, span_s * 1000))),
                src=ports[a],
                dst=ports[b],
                size=int(rng.integers(64, 1519)),
                rate=int(rng.choice([1, 100, 1024, 4096])),
                ip_version=int(rng.choice([4, 6])),
                protocol=int(rng.choice([6, 17, 1, 47])),
            )
        )
    return out


def expected_matrix(flows: Sequence[Flow]) -> Counter[tuple[int, int]]:
    total: Counter[tuple[int, int]] = Counter()
    for f in flows:
        total[(f.src.org, f.dst.org)] += f.size * f.rate
    return total


@dataclass(frozen=True, slots=True)
class CounterSample:
    at: dt.datetime
    if_index: int
    in_octets: int
    out_octets: int
    speed: int = 10_000_000_000
    sequence: int = 1


def counter_batch(samples: Sequence[CounterSample], exporter: str = EXPORTER) -> CounterBatch:
    rows = np.zeros(len(samples), COUNTER_DTYPE)
    for n, c in enumerate(samples):
        rows[n]["time_ms"] = int(c.at.timestamp() * 1000)
        rows[n]["if_index"] = c.if_index
        rows[n]["source_id"] = c.if_index
        rows[n]["sequence"] = c.sequence
        rows[n]["speed"] = c.speed
        rows[n]["in_octets"] = c.in_octets
        rows[n]["out_octets"] = c.out_octets
    return CounterBatch(rows, [exporter])


@pytest.fixture
def demo_registry(tmp_path: Path, sqlite_template: Path) -> Iterator[Registry]:
    """A migrated SQLite registry holding a small demo exchange (24 members, 3 centers)."""
    path = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template, path)
    registry = Registry(f"sqlite:///{path}", clock=FixedClock(START))
    demo_data.generate(registry, seed=7, members=24)
    try:
        yield registry
    finally:
        registry.close()
