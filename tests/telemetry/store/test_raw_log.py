"""The raw tier as a log of Arrow IPC segments: rows come back as written, with the sides of
their time; readers see only published bytes; a crash loses only what was never acknowledged;
segments end on a registry change, by size and by age; the tier is cut by age and by size."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, FlowBatch
from ixcenter.telemetry.store import Family, FlowStoreReader, FlowStoreWriter, StoreOptions, raw_log
from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store.manifest import DataFile
from ixcenter.telemetry.store.records import EnrichedFlows, empty_sides
from ixcenter.telemetry.store.schema import RAW_SCHEMA
from tests.telemetry.store.world import START

HOUR = 3_600
T0 = int(START.timestamp())
SELECT = "SELECT ts_ms, exporter, src_org, dst_org, src_port, bytes, src_ip_lo FROM {rows}"


def _batch(second: int, rows: int = 50, org: int = 1, exporter: str = "192.0.2.1") -> EnrichedFlows:
    """``rows`` samples one millisecond apart from ``second`` on, member ``org`` -> member 9."""
    flows = np.zeros(rows, FLOW_DTYPE)
    flows["time_ms"] = (T0 + second) * 1000 + np.arange(rows)
    flows["bytes"] = np.arange(rows) + 64
    flows["packets"] = 1
    flows["sampling_rate"] = 10
    flows["src_ip_lo"] = 0xC633_6400 + np.arange(rows)  # 198.51.100.0/24
    sides = empty_sides(rows)
    sides["src_org"], sides["dst_org"] = org, 9
    sides["src_port"], sides["dst_port"] = 10 * org, 90
    return EnrichedFlows.from_sides(FlowBatch(flows, [exporter]), sides)


def _expected(batch: EnrichedFlows) -> list[tuple[object, ...]]:
    rows = batch.flows.rows
    exporter = batch.flows.exporters[0]
    return [
        (int(r["time_ms"]), exporter, int(s["src_org"]), int(s["dst_org"]), int(s["src_port"]),
         int(r["bytes"]), int(r["src_ip_lo"]))
        for r, s in zip(rows, batch.sides, strict=True)
    ]  # fmt: skip


def _read(directory: Path) -> list[tuple[object, ...]]:
    with FlowStoreReader(directory) as reader:
        return sorted(reader.query(Family.RAW, T0 - HOUR, T0 + 10 * HOUR, SELECT))


@pytest.mark.parametrize("compression", ["none", "lz4", "zstd"])
def test_rows_come_back_as_written_with_the_sides_of_their_time(
    tmp_path: Path, compression: raw_log.RawCompression
) -> None:
    before, after = _batch(0, org=1), _batch(60, org=2, exporter="2001:db8::1")
    with FlowStoreWriter(tmp_path, StoreOptions(raw_compression=compression)) as writer:
        writer.append(before)
        writer.flush()
        writer.append(after)  # another side table (the registry changed): another segment
    segments = manifests.read(tmp_path).tier_files("raw")
    assert len(segments) == 2
    assert _read(tmp_path) == sorted(_expected(before) + _expected(after))
    with FlowStoreReader(tmp_path) as reader:
        window = reader.raw_rows(T0, T0 + 60).read_all()
    assert window.schema == RAW_SCHEMA
    assert window.num_rows == len(before)  # [start, end): the later batch starts at T0 + 60


def test_readers_see_only_what_a_flush_published(tmp_path: Path) -> None:
    writer = FlowStoreWriter(tmp_path, StoreOptions())
    first = _batch(0)
    writer.append(first)
    writer.flush()
    writer.append(_batch(1))  # written to the segment, not yet published
    (segment,) = manifests.read(tmp_path).tier_files("raw")
    assert (tmp_path / segment.path).stat().st_size > segment.size
    assert _read(tmp_path) == _expected(first)
    writer.flush()
    assert len(_read(tmp_path)) == 2 * len(first)
    writer.close()


def _crash(directory: str) -> None:
    """Flush one batch (acknowledged), append another, die by SIGKILL before the next flush."""
    writer = FlowStoreWriter(Path(directory), StoreOptions())
    writer.append(_batch(0))
    writer.flush()
    writer.append(_batch(1, rows=500))
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_crash_mid_append_loses_only_what_was_never_acknowledged(tmp_path: Path) -> None:
    process = multiprocessing.get_context("spawn").Process(target=_crash, args=(str(tmp_path),))
    process.start()
    process.join(120)
    assert process.exitcode == -signal.SIGKILL
    (segment,) = manifests.read(tmp_path).tier_files("raw")
    assert (tmp_path / segment.path).stat().st_size > segment.size  # the unacknowledged rows
    with FlowStoreWriter(tmp_path, StoreOptions()) as writer:
        assert (tmp_path / segment.path).stat().st_size == segment.size  # ... cut off
        writer.append(_batch(2))  # goes on in a new segment
    assert _read(tmp_path) == sorted(_expected(_batch(0)) + _expected(_batch(2)))


def test_segments_end_by_size_and_age_and_the_tier_is_cut_by_size(tmp_path: Path) -> None:
    clock = FixedClock(START)
    options = StoreOptions(raw_segment_bytes=30_000, raw_segment_s=60, raw_max_bytes=100_000)
    writer = FlowStoreWriter(tmp_path, options, clock)
    for second in range(0, 40):
        writer.append(_batch(second, rows=200))  # ~24 kB each: a segment per two batches
        writer.flush()
    segments = writer.manifest.tier_files("raw")
    assert len(segments) == 20
    assert all(30_000 <= s.size <= 30_000 + 25_000 for s in segments)
    report = writer.maintain()
    kept = writer.manifest.tier_files("raw")
    assert report.expired["raw"] == len(segments) - len(kept)
    assert sum(s.size for s in kept) <= 100_000 < sum(s.size for s in segments)
    newest = max(s.ts_max for s in segments)
    assert min(s.ts_min for s in kept) > min(s.ts_min for s in segments)  # the oldest went
    assert max(s.ts_max for s in kept) == newest
    writer.append(_batch(40))
    writer.flush()
    known = {s.path for s in kept}
    (open_segment,) = [s for s in writer.manifest.tier_files("raw") if s.path not in known]
    clock.advance(dt.timedelta(seconds=61))
    writer.flush()  # an idle segment ends with age ...
    assert writer.manifest.tier_files("raw")[-1].size > open_segment.size  # (its end mark)
    clock.advance(dt.timedelta(hours=7))
    writer.maintain()  # ... so it can expire with the rest
    assert writer.manifest.tier_files("raw") == ()
    writer.close()


def test_the_segment_being_appended_to_is_never_expired(tmp_path: Path) -> None:
    clock = FixedClock(START)
    writer = FlowStoreWriter(tmp_path, StoreOptions(raw_max_bytes=1), clock)
    writer.append(_batch(0))
    writer.flush()
    writer.maintain()  # over the size cap, but still open
    assert len(writer.manifest.tier_files("raw")) == 1
    writer.append(_batch(1))
    writer.flush()
    assert len(_read(tmp_path)) == 2 * 50
    writer.close()


def test_raw_parts_written_as_parquet_by_an_older_writer_are_still_read(tmp_path: Path) -> None:
    rows = raw_log.rows_table(_batch(0))
    (tmp_path / "raw").mkdir()
    pq.write_table(rows, tmp_path / "raw" / "part-000000001.parquet")
    old = DataFile("raw", "raw/part-000000001.parquet", T0 // HOUR * HOUR, T0 * 1000,
                   T0 * 1000 + 49, 50)  # fmt: skip
    table = raw_log.read(tmp_path, [old], T0 * 1000, T0 * 1000 + 10)
    assert table.num_rows == 10
    assert pa.Table.from_batches(table.to_batches()).column("src_org").to_pylist() == [1] * 10
