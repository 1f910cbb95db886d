"""Maintenance off the write path, and crashes: nothing a flush acknowledged is ever lost.

- Rows flushed while a maintenance job works on its snapshot land in every tier the job rolls
  up past (the commit catches them up), so every tier still equals the 1-minute tier.
- The background thread rolls up, merges and expires while flushes go on.
- A process killed between writing parts and swapping the manifest (in a flush or in a
  maintenance job) leaves the store as the last acknowledged flush left it.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, FlowBatch
from ixcenter.telemetry.store import Family, FlowStoreReader, FlowStoreWriter, StoreOptions
from ixcenter.telemetry.store import maintenance as maintenance_module
from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store.records import EnrichedFlows, empty_sides
from tests.telemetry.store.world import START

HOUR = dt.timedelta(hours=1)
ROLLED = ("flows_5m", "flows_1h", "flows_1d")


def _batch(at: dt.datetime, rows: int = 200, size: int = 100, org: int = 1) -> EnrichedFlows:
    """``rows`` samples of ``size`` bytes (1 in 10) from member ``org`` to member 9, one a second."""
    flows = np.zeros(rows, FLOW_DTYPE)
    flows["time_ms"] = int(at.timestamp() * 1000) + np.arange(rows) * 1000
    flows["bytes"] = size
    flows["packets"] = 1
    flows["sampling_rate"] = 10
    sides = empty_sides(rows)
    sides["src_org"], sides["dst_org"] = org, 9
    sides["src_port"], sides["dst_port"] = 10 * org, 90
    return EnrichedFlows.from_sides(FlowBatch(flows, ["192.0.2.1"]), sides)


def _tier_sums(writer: FlowStoreWriter, directory: Path) -> dict[str, int]:
    """SUM(bytes) of every part listed for each flow tier, read straight from the files."""
    out = {}
    with FlowStoreReader(directory) as reader:
        manifest = reader.manifest(reload=True)
        for tier in ("flows_1m", *ROLLED):
            paths = ", ".join(f"'{directory / f.path}'" for f in manifest.tier_files(tier))
            if not paths:
                out[tier] = 0
                continue
            sql = f"SELECT SUM(bytes) FROM read_parquet([{paths}])"  # noqa: S608
            out[tier] = int(reader._con.sql(sql).fetchall()[0][0])
    return out


def test_rows_flushed_while_a_job_runs_reach_the_tiers_it_rolls_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(START)
    writer = FlowStoreWriter(tmp_path, StoreOptions(retention={"raw": 0}), clock)
    writer.append(_batch(START))
    writer.flush()
    clock.advance(dt.timedelta(days=2))
    run = maintenance_module.Maintenance.run

    def run_while_the_collector_flushes(
        self: maintenance_module.Maintenance, manifest: manifests.Manifest
    ) -> tuple[maintenance_module.Report, manifests.Manifest]:
        result = run(self, manifest)  # the job has read its snapshot and written its parts ...
        writer.append(_batch(START + dt.timedelta(minutes=20), size=7, org=2))
        writer.flush()  # ... when a flush lands in buckets it is rolling up past
        return result

    monkeypatch.setattr(maintenance_module.Maintenance, "run", run_while_the_collector_flushes)
    writer.maintain()
    monkeypatch.undo()
    assert writer.manifest.complete_until["flows_1d"] == int(
        (START + dt.timedelta(days=1)).timestamp()
    )
    expected = 200 * 100 * 10 + 200 * 7 * 10
    assert _tier_sums(writer, tmp_path) == dict.fromkeys(("flows_1m", *ROLLED), expected)
    with FlowStoreReader(tmp_path) as reader:
        window = (int(START.timestamp()), int((START + dt.timedelta(days=1)).timestamp()))
        assert [p.tier.name for p in reader.plan(Family.FLOWS, *window)] == ["flows_1d"]
        assert reader.query(Family.FLOWS, *window, "SELECT SUM(bytes) FROM {rows}") == [(expected,)]
    writer.close()


def test_the_background_thread_rolls_up_merges_and_expires_while_flushes_go_on(
    tmp_path: Path,
) -> None:
    clock = FixedClock(START)
    options = StoreOptions(retention={"raw": 3600, "flows_1m": 86_400}, max_open_parts=4)
    writer = FlowStoreWriter(tmp_path, options, clock)
    for minute in range(0, 120, 10):
        writer.append(_batch(START + dt.timedelta(minutes=minute), rows=60))
        writer.flush()
    old = 12 * 60 * 100 * 10
    clock.advance(dt.timedelta(days=1, hours=3))
    now = clock.now()
    writer.start_maintenance(0.001)
    flushed = 0
    for _ in range(10_000):  # until the thread has run once (bounded), flushing meanwhile
        writer.append(_batch(now, rows=10, size=3, org=2))
        writer.flush()
        flushed += 1
        if writer.last_report is not None:
            break
        threading.Event().wait(0.005)
    writer.close()
    assert writer.last_report is not None
    manifest = manifests.read(tmp_path)
    recent = int(now.timestamp()) - 3600
    assert manifest.complete_until["flows_1d"] == int((START + dt.timedelta(days=1)).timestamp())
    assert {f.partition >= recent for f in manifest.tier_files("flows_1m")} == {True}  # expired
    assert {f.partition >= recent for f in manifest.tier_files("raw")} == {True}
    assert len(manifest.tier_files("flows_5m")) == 1  # its closed partition merged into one
    with FlowStoreReader(tmp_path) as reader:
        start, end = int(START.timestamp()), int((now + HOUR).timestamp())
        total = reader.query(Family.FLOWS, start, end, "SELECT SUM(bytes) FROM {rows}")
    assert total == [(old + flushed * 10 * 3 * 10,)]


def _crash(directory: str, during: str) -> None:
    """Flush one batch (acknowledged), then die by SIGKILL in the middle of ``during``."""
    clock = FixedClock(START)
    writer = FlowStoreWriter(Path(directory), StoreOptions(retention={"raw": 0}), clock)
    writer.append(_batch(START))
    writer.flush()
    clock.advance(dt.timedelta(days=2))

    def die(*_: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    manifests.write = die  # type: ignore[assignment] # the parts are written, the swap is not
    if during == "flush":
        writer.append(_batch(START + dt.timedelta(minutes=30), size=5))
        writer.flush()
    else:
        writer.maintain()


@pytest.mark.parametrize("during", ["flush", "maintenance"])
def test_a_crash_between_parts_and_manifest_loses_nothing_acknowledged(
    tmp_path: Path, during: str
) -> None:
    process = multiprocessing.get_context("spawn").Process(
        target=_crash, args=(str(tmp_path), during)
    )
    process.start()
    process.join(120)
    assert process.exitcode == -signal.SIGKILL
    listed = {f.path for f in manifests.read(tmp_path).files}
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*/*.parquet")}
    assert on_disk - listed  # the crash left parts no manifest lists
    writer = FlowStoreWriter(tmp_path, StoreOptions(retention={"raw": 0}), FixedClock(START))
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*/*.parquet")}
    assert on_disk == listed  # ... which the next writer removes
    writer.close()
    with FlowStoreReader(tmp_path) as reader:
        start, end = int(START.timestamp()), int((START + HOUR).timestamp())
        total = reader.query(Family.FLOWS, start, end, "SELECT SUM(bytes) FROM {rows}")
    assert total == [(200 * 100 * 10,)]


def test_a_flush_that_fails_lists_nothing_and_leaves_no_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = FlowStoreWriter(tmp_path, StoreOptions(), FixedClock(START))
    writer.append(_batch(START))
    writer.flush()

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(manifests, "write", full)
    writer.append(_batch(START, size=5))
    with pytest.raises(OSError, match="No space"):
        writer.flush()
    monkeypatch.undo()
    listed = {f.path: f for f in writer.manifest.files}
    assert {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*/*")} == set(listed)
    (segment,) = writer.manifest.tier_files("raw")
    assert (tmp_path / segment.path).stat().st_size == segment.size  # the failed rows cut off
    writer.append(_batch(START, size=3))
    writer.flush()
    writer.close()
    with FlowStoreReader(tmp_path) as reader:
        start, end = int(START.timestamp()), int((START + HOUR).timestamp())
        total = reader.query(Family.FLOWS, start, end, "SELECT SUM(bytes) FROM {rows}")
        raw = reader.query(Family.RAW, start, end, "SELECT COUNT(*), SUM(bytes) FROM {rows}")
    assert total == [(200 * 100 * 10 + 200 * 3 * 10,)]
    assert raw == [(200 + 200, 200 * 100 + 200 * 3)]
