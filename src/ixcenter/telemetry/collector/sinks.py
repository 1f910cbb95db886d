"""Where the collector's batches go: ``open_sink``.

``open_sink(settings, registry)`` is the one place ``ixc flows collect`` and ``ixc flows import``
get their sink from. By default (``IXC_COLLECTOR_SINK=store``) it is the enriching sink of
``telemetry.enrich``: MACs and VLANs to members and ports from the registry, then the tiered flow
store. With ``IXC_COLLECTOR_SINK=spool`` it is a ``SpoolSink``: every ``flush`` writes what was
written since the last one to a new numbered ``.npz`` file in ``<data dir>/flow-spool/``
(atomically: temporary file, fsync, rename), so raw decoded rows can be read back exactly
(``read_spool``): for debugging exporters and for tests. The spool has no tiers and no retention.

``CountingSink`` keeps nothing but totals: ``--dry-run``, and benchmarks of receive + decode.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import numpy as np

from ixcenter.config import Settings
from ixcenter.core.errors import ConfigurationError
from ixcenter.registry.db import Registry
from ixcenter.telemetry.collector.atomic_file import write_atomically
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.sink import TelemetrySink

SPOOL_DIR = "flow-spool"


class SpoolSink:
    """Placeholder for the flow store: one ``.npz`` file of raw rows per ``flush``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._flows: list[FlowBatch] = []
        self._counters: list[CounterBatch] = []
        self._serial = 0
        self.files_written = 0

    def write(self, flows: FlowBatch, counters: CounterBatch) -> None:
        if len(flows):
            self._flows.append(flows)
        if len(counters):
            self._counters.append(counters)

    def flush(self) -> None:
        if not self._flows and not self._counters:
            return
        flows = FlowBatch.concat(self._flows)
        counters = CounterBatch.concat(self._counters)
        self._flows, self._counters = [], []
        buffer = io.BytesIO()
        np.savez(
            buffer,
            flows=flows.rows,
            flow_exporters=np.array(json.dumps(flows.exporters)),
            counters=counters.rows,
            counter_exporters=np.array(json.dumps(counters.exporters)),
        )
        self._serial += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._serial:06d}.npz"
        write_atomically(self.directory / name, buffer.getvalue())
        self.files_written += 1


class CountingSink:
    """Keeps totals only (rows, estimated bytes and packets); stores nothing."""

    def __init__(self) -> None:
        self.flow_rows = 0
        self.counter_rows = 0
        self.estimated_bytes = 0
        self.estimated_packets = 0
        self.flushes = 0

    def write(self, flows: FlowBatch, counters: CounterBatch) -> None:
        self.flow_rows += len(flows)
        self.counter_rows += len(counters)
        if len(flows):
            self.estimated_bytes += flows.estimated_bytes()
            self.estimated_packets += flows.estimated_packets()

    def flush(self) -> None:
        self.flushes += 1


def spool_directory(settings: Settings) -> Path:
    return settings.data_dir / SPOOL_DIR


def open_sink(
    settings: Settings, registry: Registry | None = None, *, dry_run: bool = False
) -> TelemetrySink:
    """The sink the flow commands write to (see the module docstring); close it when done."""
    if dry_run:
        return CountingSink()
    if settings.collector_sink == "spool":
        return SpoolSink(spool_directory(settings))
    if registry is None:
        raise ConfigurationError("the flow store needs the registry to enrich flows")
    from ixcenter.telemetry.enrich import open_sink as open_enriching_sink

    return open_enriching_sink(settings, registry)


def close_sink(sink: TelemetrySink) -> None:
    """Flush ``sink`` and let go of what it holds (the flow store's writer lock)."""
    close = getattr(sink, "close", None)
    if callable(close):
        close()
    else:
        sink.flush()


def sink_description(settings: Settings, *, dry_run: bool = False) -> str:
    """What ``open_sink`` gives, in words for the CLI ("writing to ...")."""
    if dry_run:
        return "nowhere (dry run)"
    if settings.collector_sink == "spool":
        return f"the spool {spool_directory(settings)} (raw rows, no tiers)"
    return f"the flow store {settings.flow_store_path}"


def read_spool(directory: Path) -> tuple[FlowBatch, CounterBatch]:
    """Everything a ``SpoolSink`` wrote to ``directory``, in the order it was written."""
    flows: list[FlowBatch] = []
    counters: list[CounterBatch] = []
    for path in sorted(directory.glob("*.npz")):
        with np.load(path) as data:
            flows.append(FlowBatch(data["flows"], json.loads(str(data["flow_exporters"]))))
            counters.append(
                CounterBatch(data["counters"], json.loads(str(data["counter_exporters"])))
            )
    return FlowBatch.concat(flows), CounterBatch.concat(counters)
