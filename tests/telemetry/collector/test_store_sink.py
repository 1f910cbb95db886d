"""The collector's default sink: enriched from the registry into the flow store, readable by
another reader once the sink is closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ixcenter.config import Settings
from ixcenter.registry.db import Registry
from ixcenter.telemetry.analytics.traffic import traffic_matrix
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.collector.sinks import close_sink, open_sink, sink_description
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.store import open_reader
from tests.telemetry.store.conftest import demo_registry
from tests.telemetry.store.world import START, Flow, batch, member_ports, one_per_member

__all__ = ["demo_registry"]


def test_flows_reach_the_store_as_member_pairs(demo_registry: Registry, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", flow_settle_s=0)
    assert sink_description(settings) == f"the flow store {tmp_path / 'data' / 'flows'}"
    a, b, c = one_per_member(member_ports(demo_registry))[:3]
    flows = [
        Flow(START + dt.timedelta(seconds=10), a, b, 1000, 100),
        Flow(START + dt.timedelta(seconds=20), a, b, 500, 100),
        Flow(START + dt.timedelta(seconds=30), c, a, 200, 10),
    ]
    sink = open_sink(settings, demo_registry)
    sink.write(batch(flows), CounterBatch.empty())
    close_sink(sink)

    window = Window(START, START + dt.timedelta(hours=1))
    matrix = traffic_matrix(open_reader(settings), window)
    found = {(cell.src_org, cell.dst_org): cell.bytes for cell in matrix.cells}
    assert found == {(a.org, b.org): 150_000, (c.org, a.org): 2_000}
