from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Organisation, Switch
from ixcenter.registry.services import ports as port_service
from ixcenter.telemetry.analytics import SubjectKind, Window, p95, percentile_95, rank_95
from ixcenter.telemetry.decode.batch import FlowBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreReader, FlowStoreWriter
from tests.telemetry.store.world import (
    START,
    CounterSample,
    counter_batch,
    demo_registry,
    member_ports,
    one_per_member,
)

__all__ = ["demo_registry"]

STEP = 300


def _brute_p95(values: list[float]) -> float:
    """Sort ascending, drop the top 5 %: the value at 1-based rank ceil(0.95 n)."""
    ordered = sorted(values)
    return ordered[math.ceil(Fraction(95, 100) * len(ordered)) - 1]


@pytest.mark.parametrize("n", [1, 2, 19, 20, 21, 100, 101, 8640, 8928])
def test_rank_is_ceil_of_95_percent(n: int) -> None:
    assert rank_95(n) == math.ceil(Fraction(95, 100) * n)


def test_the_top_five_percent_are_dropped() -> None:
    values = [float(v) for v in range(1, 21)]  # 20 samples: drop the top one
    assert percentile_95(values) == 19.0
    assert percentile_95([*reversed(values), 100.0]) == 20.0  # 21: rank 20
    assert percentile_95([]) == 0.0


def _second_port(registry: Registry, org_id: int) -> int:
    """Connect one more (new) port to a member, so the member has two."""
    with registry.transaction("test") as s:
        switch = min(s.scalars(select(Switch.name)))
        port = port_service.add_port(s, switch, "Ethernet9/0/47", 10_000)
        org = s.get(Organisation, org_id)
        assert org is not None
        port_service.connect(s, port.id, org, ["02:aa:00:00:00:47"], registry.clock)
        return port.id


def test_p95_per_port_and_member_equals_brute_force(
    demo_registry: Registry, tmp_path: Path
) -> None:
    a, b = one_per_member(member_ports(demo_registry))[:2]
    extra = _second_port(demo_registry, a.org)
    # ifIndex -> port: a's port over a two-link bundle (1, 2), a's second port (3), b's port (4)
    interfaces = {1: a.port, 2: a.port, 3: extra, 4: b.port}
    month = Window.month(2026, 5)
    buckets = (month.length) // STEP
    rng = np.random.default_rng(21)
    rates = {i: rng.integers(0, 100_000_000, buckets) // 8 * 8 for i in interfaces}  # bit/s
    silent = range(1000, 1030)  # 2.5 hours without counters: not samples, not zeros
    clock = FixedClock(START)
    writer = FlowStoreWriter(tmp_path / "flows", clock=clock)
    sink = EnrichingSink(
        RegistryWatch(demo_registry, clock),
        writer,
        clock=clock,
        interfaces={("192.0.2.10", i): p for i, p in interfaces.items()},
    )
    total = {i: 2**32 - 5_000_000 if i == 1 else 0 for i in interfaces}  # ifIndex 1 wraps at 2^32
    samples: list[CounterSample] = []
    for k in range(buckets + 1):
        if k and k not in silent:
            for i in interfaces:
                total[i] += int(rates[i][k - 1]) * STEP // 8
        if k in silent:
            continue
        at = month.start + dt.timedelta(seconds=k * STEP)
        for i in interfaces:
            value = total[i] % 2**32 if i == 1 else total[i]
            samples.append(CounterSample(at, i, value, value // 3))
        if len(samples) >= 2000 or k == buckets:
            sink.write(FlowBatch.empty(), counter_batch(samples))
            sink.flush()
            samples = []
    per_port: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for i, port in interfaces.items():
        for k in range(buckets):
            if k + 1 in silent or k in silent:
                continue  # the interval ending at or starting after a gap is not counted
            octets = int(rates[i][k]) * STEP // 8
            per_port[port][k] += octets * 8 / STEP
    reader = FlowStoreReader(tmp_path / "flows")
    got = {r.subject: r for r in p95(reader, month, SubjectKind.PORT)}
    assert set(got) == {a.port, extra, b.port}
    for port, series in per_port.items():
        assert got[port].samples == len(series) == buckets - 31
        assert got[port].in_bps == pytest.approx(_brute_p95(list(series.values())), rel=1e-9)
        assert got[port].month == "2026-05"
    members = {r.subject: r for r in p95(reader, month, SubjectKind.MEMBER)}
    summed = defaultdict(float)
    for port in (a.port, extra):
        for k, v in per_port[port].items():
            summed[k] += v
    assert members[a.org].in_bps == pytest.approx(_brute_p95(list(summed.values())), rel=1e-9)
    assert members[b.org].in_bps == pytest.approx(got[b.port].in_bps, rel=1e-12)
    assert members[a.org].max_bps == max(members[a.org].in_bps, members[a.org].out_bps)
    one = p95(reader, month, SubjectKind.MEMBER, a.org)
    assert one == [members[a.org]]
    writer.close()
