"""A busy collector writes every ``max_rows`` rows but flushes (makes durable) once per
``max_delay``: no row waits longer for its flush than it would have waited to be written."""

from __future__ import annotations

import numpy as np
import pytest

from ixcenter.telemetry.collector import Pipeline
from ixcenter.telemetry.collector.batcher import Batcher
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.sink import MemorySink


def _flows(n: int) -> FlowBatch:
    return FlowBatch(np.zeros(n, FlowBatch.dtype), ["192.0.2.1"])


def test_full_batches_are_written_at_once_and_flushed_when_the_oldest_is_due() -> None:
    sink = MemorySink()
    batcher = Batcher(sink, max_rows=10, max_delay=1.0, flush_each=False)
    assert batcher.add(_flows(11), CounterBatch.empty(), now=5.0)
    assert (len(sink.flows), sink.flushes) == (1, 0)
    assert batcher.add(_flows(10), CounterBatch.empty(), now=5.7)
    assert (len(sink.flows), sink.flushes) == (2, 0)
    assert batcher.seconds_left(5.7) == pytest.approx(0.3)  # from the first unflushed row
    assert not batcher.hand_over_if_due(5.99)
    assert batcher.hand_over_if_due(6.0)
    assert (len(sink.flows), sink.flushes, batcher.rows_written) == (2, 1, 21)
    assert batcher.seconds_left(6.0) is None and not batcher.hand_over_if_due(9.0)


def test_rows_waiting_and_rows_unflushed_are_both_flushed_by_hand_over() -> None:
    sink = MemorySink()
    batcher = Batcher(sink, max_rows=10, max_delay=1.0, flush_each=False)
    batcher.add(_flows(12), CounterBatch.empty(), now=0.0)
    batcher.add(_flows(3), CounterBatch.empty(), now=0.2)
    assert (len(sink.all_flows()), sink.flushes, batcher.pending) == (12, 0, 3)
    batcher.hand_over()
    assert (len(sink.all_flows()), sink.flushes, batcher.pending) == (15, 1, 0)
    batcher.hand_over()
    assert sink.flushes == 1  # nothing new: no empty flush


def test_the_collector_pipeline_flushes_once_per_period() -> None:
    sink = MemorySink()
    pipeline = Pipeline(sink, batch_rows=10, batch_seconds=1.0)
    for n in range(5):
        pipeline.batcher.add(_flows(10), CounterBatch.empty(), now=n * 0.1)
        pipeline.tick(n * 0.1)
    assert (len(sink.flows), sink.flushes) == (5, 0)
    pipeline.tick(1.0)
    assert sink.flushes == 1
    pipeline.finish()
    assert (len(sink.all_flows()), sink.flushes) == (50, 1)
