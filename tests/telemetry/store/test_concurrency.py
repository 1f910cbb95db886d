"""A reader in this process while a writer process flushes and merges: every answer is whole."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import numpy as np

from ixcenter.core.clock import FixedClock
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, FlowBatch
from ixcenter.telemetry.store import Family, FlowStoreReader, FlowStoreWriter, StoreOptions
from ixcenter.telemetry.store.records import EnrichedFlows, empty_sides
from tests.telemetry.store.world import START

BATCHES = 40
ROWS = 500
BATCH_BYTES = ROWS * 100 * 10  # 100-byte samples, 1 in 10


def _batch(n: int) -> EnrichedFlows:
    rows = np.zeros(ROWS, FLOW_DTYPE)
    rows["time_ms"] = int(START.timestamp() * 1000) + n * 1000 + np.arange(ROWS)
    rows["bytes"] = 100
    rows["packets"] = 1
    rows["sampling_rate"] = 10
    sides = empty_sides(ROWS)
    sides["src_org"], sides["dst_org"] = 1 + n % 3, 4
    sides["src_port"], sides["dst_port"] = 10 + n % 3, 40
    return EnrichedFlows.from_sides(FlowBatch(rows, ["192.0.2.1"]), sides)


def _writer(directory: str, started: multiprocessing.synchronize.Event) -> None:
    clock = FixedClock(START + dt.timedelta(hours=2))
    writer = FlowStoreWriter(Path(directory), StoreOptions(max_open_parts=4), clock)
    started.wait(30)
    for n in range(BATCHES):
        writer.append(_batch(n))
        writer.flush()
        if n % 3 == 2:
            writer.maintain()  # merges parts under the reader's feet
    writer.close()


def test_a_reader_sees_whole_flushes_while_another_process_writes(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    process = context.Process(target=_writer, args=(str(tmp_path), started))
    process.start()
    seen: list[int] = []
    reader = FlowStoreReader(tmp_path)
    start, end = int(START.timestamp()), int((START + dt.timedelta(hours=1)).timestamp())
    try:
        started.set()
        while process.is_alive() or not seen or seen[-1] < BATCHES * BATCH_BYTES:
            rows = reader.query(Family.FLOWS, start, end, "SELECT SUM(bytes) FROM {rows}")
            seen.append(int(rows[0][0] or 0))
            if not process.is_alive() and len(seen) > 1 and seen[-1] == seen[-2]:
                break
    finally:
        process.join(60)
        reader.close()
    assert process.exitcode == 0
    assert all(total % BATCH_BYTES == 0 for total in seen), seen
    assert seen == sorted(seen)
    assert seen[-1] == BATCHES * BATCH_BYTES
    merged = FlowStoreReader(tmp_path).manifest().tier_files("flows_1m")
    assert len(merged) < BATCHES  # parts were merged while the reader read
