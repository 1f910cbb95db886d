"""Rows reach the sink every N rows or T seconds, whichever comes first (time is passed in)."""

from __future__ import annotations

import numpy as np

from ixcenter.telemetry.collector.batcher import Batcher
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.sink import MemorySink


def _flows(n: int, exporter: str = "192.0.2.1", first: int = 0) -> FlowBatch:
    rows = np.zeros(n, FlowBatch.dtype)
    rows["bytes"] = np.arange(first, first + n)
    return FlowBatch(rows, [exporter])


def test_hands_over_when_max_rows_wait() -> None:
    sink = MemorySink()
    batcher = Batcher(sink, max_rows=10, max_delay=60)
    assert not batcher.add(_flows(6), CounterBatch.empty(), now=0)
    assert sink.flows == [] and batcher.pending == 6
    assert batcher.add(_flows(5, "192.0.2.2", first=6), CounterBatch.empty(), now=0.1)
    assert (len(sink.flows), sink.flushes, batcher.pending) == (1, 1, 0)
    written = sink.flows[0]
    assert list(written["bytes"]) == list(range(11))
    assert written.exporters == ("192.0.2.1", "192.0.2.2")
    assert [written.exporter_of(0), written.exporter_of(10)] == ["192.0.2.1", "192.0.2.2"]


def test_hands_over_when_the_oldest_row_is_max_delay_old() -> None:
    sink = MemorySink()
    batcher = Batcher(sink, max_rows=1000, max_delay=1.0)
    assert batcher.seconds_left(5.0) is None
    batcher.add(_flows(3), CounterBatch.empty(), now=10.0)
    batcher.add(_flows(3), CounterBatch.empty(), now=10.8)
    assert batcher.seconds_left(10.5) == 0.5
    assert not batcher.hand_over_if_due(10.99)
    assert batcher.hand_over_if_due(11.0)
    assert (len(sink.all_flows()), sink.flushes, batcher.rows_written) == (6, 1, 6)
    assert not batcher.hand_over_if_due(20.0)  # nothing waits: no empty writes
    assert sink.flushes == 1


def test_counter_rows_alone_are_handed_over_too() -> None:
    sink = MemorySink()
    batcher = Batcher(sink, max_rows=10, max_delay=1.0)
    counters = CounterBatch(np.zeros(2, CounterBatch.dtype), ["192.0.2.1"])
    batcher.add(FlowBatch.empty(), counters, now=0)
    assert batcher.hand_over_if_due(1.0)
    assert (len(sink.all_counters()), batcher.counter_rows_written) == (2, 2)


def test_empty_batches_start_no_timer() -> None:
    batcher = Batcher(MemorySink(), max_rows=10, max_delay=1.0)
    batcher.add(FlowBatch.empty(), CounterBatch.empty(), now=0)
    assert not batcher.due(100.0)
