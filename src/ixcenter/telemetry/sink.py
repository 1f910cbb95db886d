"""Where decoded telemetry goes: the one contract between the collector and what stores it.

The collector (``telemetry.collector``) decodes datagrams into columnar batches and hands them to
a ``TelemetrySink``; the enricher and flow store (``telemetry.enrich``, ``telemetry.store``)
implement it. Batches are handed over whole and never modified afterwards by the collector.
"""

from __future__ import annotations

from typing import Protocol

from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch


class TelemetrySink(Protocol):
    def write(self, flows: FlowBatch, counters: CounterBatch) -> None:
        """Take one batch of flow rows and one of counter rows (either may be empty)."""

    def flush(self) -> None:
        """Make everything written so far durable and visible to readers."""


class MemorySink:
    """Keeps every batch in memory: for tests and for ``ixc flows import --dry-run``."""

    def __init__(self) -> None:
        self.flows: list[FlowBatch] = []
        self.counters: list[CounterBatch] = []
        self.flushes = 0

    def write(self, flows: FlowBatch, counters: CounterBatch) -> None:
        if len(flows):
            self.flows.append(flows)
        if len(counters):
            self.counters.append(counters)

    def flush(self) -> None:
        self.flushes += 1

    def all_flows(self) -> FlowBatch:
        return FlowBatch.concat(self.flows)

    def all_counters(self) -> CounterBatch:
        return CounterBatch.concat(self.counters)
