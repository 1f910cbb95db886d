"""Per-port traffic by direction and IP version against sums worked out from the flows written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import ValidationFailed
from ixcenter.registry.db import Registry
from ixcenter.telemetry.analytics.port_traffic import port_series
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreReader, FlowStoreWriter
from tests.telemetry.store.world import START, batch, demo_registry, member_ports, random_flows

__all__ = ["demo_registry"]

SPAN = 3 * 3_600


@pytest.mark.parametrize("step", [300, 3_600])
def test_bytes_in_and_out_per_port_and_ip_version(
    demo_registry: Registry, tmp_path: Path, step: int
) -> None:
    ports = member_ports(demo_registry)
    begin = START - dt.timedelta(seconds=SPAN)
    flows = random_flows(ports, 2_000, begin, SPAN, seed=5)
    flows += [replace(f, ip_version=0) for f in flows[:50]]  # not IP: left out
    clock = FixedClock(START)
    writer = FlowStoreWriter(tmp_path / "flows", clock=clock)
    sink = EnrichingSink(RegistryWatch(demo_registry, clock), writer, clock=clock)
    sink.write(batch(flows), CounterBatch.empty())
    sink.flush()
    writer.close()

    expected: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for f in flows:
        if f.ip_version not in (4, 6):
            continue
        t = int(f.at.timestamp()) // step * step
        family = 0 if f.ip_version == 4 else 1
        expected[(f.src.port, t)][family] += f.size * f.rate  # in: the member sent it
        expected[(f.dst.port, t)][2 + family] += f.size * f.rate  # out: delivered to it
    wanted = [*sorted({p.port for p in ports})[:5], 999_999]  # and a port that saw nothing
    window = Window(begin, START)
    got = port_series(FlowStoreReader(tmp_path / "flows"), wanted, window, step)
    assert sorted(got) == sorted(wanted)
    first, end = window.seconds
    for port in wanted:
        series = got[port]
        assert series.step == step
        assert [int(p.ts.timestamp()) for p in series.points] == list(range(first, end, step))
        for point in series.points:
            cell = expected.get((port, int(point.ts.timestamp())), [0, 0, 0, 0])
            assert [point.in_v4, point.in_v6, point.out_v4, point.out_v6] == cell
    assert got[999_999].total_bytes == 0
    busy = got[wanted[0]]
    assert busy.total_bytes > 0
    assert busy.rates("in_v6") == [p.in_v6 * 8 / step for p in busy.points]


def test_bad_steps_and_fields_are_refused(tmp_path: Path) -> None:
    window = Window(START - dt.timedelta(hours=1), START)
    reader = FlowStoreReader(tmp_path / "flows")
    with pytest.raises(ValidationFailed, match="whole number of minutes"):
        port_series(reader, [1], window, 90)
    with pytest.raises(ValidationFailed, match="larger step"):
        port_series(reader, [1], Window(START - dt.timedelta(days=70), START), 60)
    assert port_series(reader, [], window, 300) == {}
    empty = port_series(reader, [1], window, 300)[1]
    with pytest.raises(ValueError, match="no traffic field"):
        empty.rates("sideways")
