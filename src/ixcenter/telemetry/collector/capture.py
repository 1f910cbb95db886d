"""A packet capture replayed through the collector's pipeline: ``ixc flows import FILE``.

The protocol of each UDP datagram is chosen by its destination port (the collector's ports by
default). Datagrams are fed in chunks per protocol, in file order, each chunk spanning at most
one second of capture time, so sFlow rows (which carry no time) get their datagram's capture
time to the second, and sequence numbers are checked as a live collector would.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ixcenter.telemetry.collector.accounting import CollectorSnapshot
from ixcenter.telemetry.collector.pcap import CaptureCounts, CaptureReader
from ixcenter.telemetry.collector.pipeline import Pipeline, Protocol

Progress = Callable[[int, int], None]
CHUNK = 512
CHUNK_SPAN_MS = 1000


@dataclass(frozen=True, slots=True)
class ImportSummary:
    capture: CaptureCounts
    datagrams: dict[str, int]  # fed per protocol
    ignored: int  # UDP datagrams to a port no protocol is mapped to
    collected: CollectorSnapshot


def import_capture(
    path: Path,
    pipeline: Pipeline,
    ports: Mapping[int, Protocol],
    progress: Progress | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> ImportSummary:
    """Decode every flow datagram of a pcap/pcapng file into the pipeline's sink."""
    total = path.stat().st_size
    pending: dict[Protocol, list[tuple[bytes, str]]] = {p: [] for p in Protocol}
    first_ms: dict[Protocol, int] = {}
    fed = dict.fromkeys(Protocol, 0)
    ignored = 0

    def feed(protocol: Protocol) -> None:
        batch = pending[protocol]
        if batch:
            pipeline.feed(protocol, batch, first_ms.pop(protocol), monotonic())
            fed[protocol] += len(batch)
            pending[protocol] = []
            pipeline.tick(monotonic())

    with path.open("rb") as stream:
        reader = CaptureReader(stream)
        for count, datagram in enumerate(reader.datagrams(), 1):
            protocol = ports.get(datagram.port)
            if protocol is None:
                ignored += 1
                continue
            start = first_ms.setdefault(protocol, datagram.time_ms)
            if datagram.time_ms - start >= CHUNK_SPAN_MS:
                feed(protocol)
                first_ms[protocol] = datagram.time_ms
            batch = pending[protocol]
            batch.append((datagram.payload, datagram.source))
            if len(batch) >= CHUNK:
                feed(protocol)
            if progress is not None and count % CHUNK == 0:
                progress(reader.position, total)
        for protocol in Protocol:
            feed(protocol)
        pipeline.finish()
        if progress is not None:
            progress(reader.position, total)
    batcher = pipeline.batcher
    collected = CollectorSnapshot(
        exporters=pipeline.accounting.exporters(),
        rows_written=batcher.rows_written,
        counter_rows_written=batcher.counter_rows_written,
        batches_written=batcher.batches_written,
    )
    return ImportSummary(
        dataclasses.replace(reader.counts),
        {p.value: n for p, n in fed.items()},
        ignored,
        collected,
    )
