"""The one process that writes a flow store: buffers rows, flushes parts, runs maintenance.

``FlowStoreWriter(directory)`` takes an exclusive lock on the directory (a second writer gets a
``ConfigurationError``; readers need no lock). ``append`` writes each batch's raw rows to the
raw tier's open segment (``store.raw_log``, if the raw tier is kept) and keeps its 1-minute
aggregate (``store.minutes``, numpy); ``flush()`` makes the raw rows durable, writes the
aggregate (and the counter buckets, the unknown-MAC table and the writer's state) as new Parquet
parts, then publishes all of it with one manifest swap. A flush that returned is durable.

Maintenance (``store.maintenance``: rollups, merges, expiry) runs either in ``maintain()`` or,
after ``start_maintenance(every_s)``, in a background thread that never holds up ``flush``: it
works on a snapshot of the manifest and takes the manifest lock only to publish its result onto
the manifest as it is by then. Rows flushed meanwhile into buckets whose rollup it just moved
past are summed into those tiers at that moment (``_catch_up``), and late rows (older than a
tier's watermark) are summed into the rolled-up tiers as they are flushed, so every tier always
equals the 1-minute tier over what it covers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.telemetry.store import aggregate, maintenance, minutes, raw_log
from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store.files import Compression, PartNumbers, PartWriter
from ixcenter.telemetry.store.manifest import DataFile, Manifest
from ixcenter.telemetry.store.raw_log import RawCompression, RawLog
from ixcenter.telemetry.store.records import EnrichedFlows
from ixcenter.telemetry.store.schema import (
    BY_NAME,
    COUNTERS_5M,
    FLOWS_1M,
    FLOWS_SCHEMA,
    RAW,
    ROLLUPS,
    TIERS,
    UNKNOWN_MACS_SCHEMA,
)

logger = logging.getLogger(__name__)

LOCK = "writer.lock"


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """How the writer behaves; ``retention`` maps tier name -> seconds (defaults per tier)."""

    retention: Mapping[str, int] = field(default_factory=dict)
    settle_s: int = 180  # how long after a bucket ends its rollup waits for late rows
    max_open_parts: int = 64  # merge an open partition once it has this many parts
    flush_rows: int = 2_000_000  # flush by itself when this many rows are buffered
    compression: Compression = "zstd"  # the aggregate tiers
    raw_compression: RawCompression = "none"  # the raw tier (written at the collector's rate)
    raw_max_bytes: int = 50 * 10**9  # the raw tier is also cut, oldest first, to this size
    raw_segment_bytes: int = 1 << 30  # a raw segment ends at this size ...
    raw_segment_s: float = 600.0  # ... or this age
    threads: int = 1

    def retention_of(self, tier: str) -> int:
        return int(self.retention.get(tier, BY_NAME[tier].retention))


class FlowStoreWriter:
    """Appends enriched flows and counter buckets; the only writer of its directory."""

    def __init__(
        self,
        directory: Path,
        options: StoreOptions | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.directory = directory
        self.options = options or StoreOptions()
        self.clock: Clock = clock or SystemClock()
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _take_lock(directory / LOCK)
        self.manifest = manifests.read(directory)
        self._remove_orphans()
        self._numbers = PartNumbers(self.manifest.next_part)
        self._con = duckdb.connect(":memory:", config={"threads": self.options.threads})
        self._raw: RawLog | None = None
        if self.options.retention_of(RAW.name) > 0:
            o = self.options
            self._raw = RawLog(
                directory,
                self._numbers,
                o.raw_compression,
                o.raw_segment_bytes,
                o.raw_segment_s,
                self.clock,
            )
        self._minutes: list[pa.Table] = []
        self._rows = 0
        self._counters: list[pa.Table] = []
        self._unknown: pa.Table | None = None
        self.state_provider: Callable[[], dict[str, Any]] | None = None
        self._manifest_lock = threading.Lock()  # publishing (flush, maintenance commit)
        self._maintenance_lock = threading.Lock()  # one maintenance run at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: maintenance.Report | None = None

    @property
    def state(self) -> dict[str, Any]:
        """What the enricher persisted at the last flush (counter samples, interfaces)."""
        return dict(self.manifest.state)

    def append(self, flows: EnrichedFlows) -> None:
        if not len(flows):
            return
        if self._raw is not None:
            self._raw.append(flows)
        self._minutes.append(minutes.minute_rows(flows))
        self._rows += len(flows)
        if self._rows >= self.options.flush_rows:
            self.flush()

    def append_counters(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self._counters.append(rows)

    def unknown_macs(self) -> pa.Table:
        """The unknown-MAC table as last flushed (to continue it after a restart)."""
        if self.manifest.unknown_macs is None:
            return UNKNOWN_MACS_SCHEMA.empty_table()
        return pq.read_table(self.directory / self.manifest.unknown_macs)

    def set_unknown_macs(self, table: pa.Table) -> None:
        """The full unknown-MAC table, written with the next flush."""
        self._unknown = table

    def flush(self) -> None:
        """Write everything buffered and publish it to readers with one manifest swap.

        When it returns, what was appended is durable; when it raises, nothing of it is listed
        (and the parts it wrote are deleted).
        """
        parts = self._parts()
        try:
            self._flush(parts)
        except BaseException:
            parts.discard(self._listed())
            if self._raw is not None:
                self._raw.rollback()
            raise

    def _flush(self, parts: PartWriter) -> None:
        added: list[DataFile] = []
        grown: list[DataFile] = []
        if self._raw is not None:
            self._raw.end_if_old()
            added, grown = self._raw.sync()
        one_minute: pa.Table | None = None
        if self._minutes:
            one_minute = pa.concat_tables(self._minutes)
            if len(self._minutes) > 1 and one_minute.num_rows * 8 <= self._rows:
                # few keys: one row per key; many keys: summing again costs more than it saves
                # (merges sum equal keys later)
                one_minute = minutes.rollup(one_minute, FLOWS_1M.grain)
            added += parts.write(FLOWS_1M, one_minute)
            self._minutes, self._rows = [], 0
        if self._counters:
            added += parts.write(COUNTERS_5M, pa.concat_tables(self._counters))
            self._counters = []
        changes: dict[str, Any] = {}
        removed: list[DataFile] = []
        if self._unknown is not None:
            changes["unknown_macs"] = parts.write_table("unknown_macs/unknown", self._unknown)
            if self.manifest.unknown_macs:
                old = self.manifest.unknown_macs
                removed.append(DataFile("unknown_macs", old, 0, 0, 0, 0))
            self._unknown = None
        if self.state_provider is not None:
            changes["state"] = self.state_provider()
        if not added and not grown and not changes:
            if self._raw is not None:
                self._raw.published()
            return
        with self._manifest_lock:
            if one_minute is not None:
                added += self._late_rows(parts, one_minute, self.manifest.complete_until)
            now = self.clock.now().timestamp()
            changed = self.manifest.changed(
                add=added, remove=removed, grown=grown, now=now, **changes
            )
            self._publish(changed)
            if self._raw is not None:
                self._raw.published()

    def _late_rows(
        self, parts: PartWriter, one_minute: pa.Table, watermarks: Mapping[str, int]
    ) -> list[DataFile]:
        """Rows for buckets already rolled up go into those tiers as well."""
        out: list[DataFile] = []
        for tier, _source in ROLLUPS:
            until = watermarks.get(tier.name)
            if until is None:
                continue
            late = minutes.rollup(one_minute, tier.grain, before=until)
            if late.num_rows:
                logger.info("flow store: %d late rows into %s", late.num_rows, tier.name)
            out += parts.write(tier, late)
        return out

    def maintain(self) -> maintenance.Report:
        """Flush, then roll up closed buckets, merge parts, drop what is past retention."""
        self.flush()
        return self._maintain()

    def start_maintenance(self, every_s: float) -> None:
        """Run maintenance every ``every_s`` seconds in a background thread until ``close``."""
        if self._thread is not None:
            return

        stop, ref = self._stop, weakref.ref(self)  # the thread must not keep the writer alive

        def loop() -> None:
            while not stop.wait(every_s):
                writer = ref()
                if writer is None:
                    return
                try:
                    writer._maintain()
                except Exception:
                    logger.exception("flow store %s: maintenance failed", writer.directory)
                del writer

        self._thread = threading.Thread(target=loop, name="flow-store-maintenance", daemon=True)
        self._thread.start()

    def _maintain(self) -> maintenance.Report:
        with self._maintenance_lock:
            with self._manifest_lock:
                snapshot = self.manifest
                appending = self._raw.open_path if self._raw is not None else None
            now = int(self.clock.now().timestamp())
            parts = self._parts()
            try:
                report, _ = self._run_job(parts, snapshot, now, appending)
            except BaseException:
                parts.discard(self._listed())  # written but never listed: not data
                raise
            self.last_report = report
            return report

    def _run_job(
        self, parts: PartWriter, snapshot: Manifest, now: int, appending: str | None = None
    ) -> tuple[maintenance.Report, Manifest]:
        job = maintenance.Maintenance(
            self.directory, self._con, parts, self.options, now, appending
        )
        report, updated = job.run(snapshot)
        with self._manifest_lock:
            current = self.manifest
            if updated is not snapshot:
                before = {f.path for f in snapshot.files}
                after = {f.path for f in updated.files}
                added = [f for f in updated.files if f.path not in before]
                added += self._catch_up(parts, snapshot, current, updated.complete_until)
                removed = [f for f in snapshot.files if f.path not in after]
                current = current.changed(add=added, remove=removed, now=now,
                                          complete_until=dict(updated.complete_until))  # fmt: skip
                self._publish(current)
            collected = manifests.collect_retired(self.directory, current, now)
            if collected is not current:
                self._publish(collected)
        return report, updated

    def _catch_up(
        self, parts: PartWriter, snapshot: Manifest, current: Manifest, moved: Mapping[str, int]
    ) -> list[DataFile]:
        """1-minute rows flushed while the job ran, in buckets its rollups moved past."""
        known = {f.path for f in snapshot.files}
        fresh = [f for f in current.tier_files(FLOWS_1M.name) if f.path not in known]
        out: list[DataFile] = []
        for tier, _source in ROLLUPS:
            start = snapshot.complete_until.get(tier.name, -(2**62))
            end = moved.get(tier.name, start)
            files = [f for f in fresh if f.ts_max >= start and f.ts_min < end]
            if end <= start or not files:
                continue
            relation = aggregate.parquet([str(self.directory / f.path) for f in files])
            query = aggregate.flows_rollup(relation, tier.grain, f"ts >= {start} AND ts < {end}")
            table = self._con.sql(query).to_arrow_table().select(FLOWS_SCHEMA.names)
            out += parts.write(tier, table.cast(FLOWS_SCHEMA))
        return out

    def _listed(self) -> set[str]:
        listed = {f.path for f in self.manifest.files}
        if self.manifest.unknown_macs:
            listed.add(self.manifest.unknown_macs)
        return listed

    def _parts(self) -> PartWriter:
        return PartWriter(self.directory, self._numbers, self.options.compression)

    def _publish(self, manifest: Manifest) -> None:
        manifest = manifests.with_next_part(manifest, self._numbers.next)
        manifests.write(self.directory, manifest)
        self.manifest = manifest

    def _remove_orphans(self) -> None:
        """What a crashed writer left unlisted is not data: delete it (and cut raw segments
        back to the size the manifest lists)."""
        known = {f.path for f in self.manifest.files} | {p for p, _ in self.manifest.retired}
        if self.manifest.unknown_macs:
            known.add(self.manifest.unknown_macs)
        for folder in [t.name for t in TIERS] + ["unknown_macs"]:
            for path in (self.directory / folder).glob("**/*"):
                relative = path.relative_to(self.directory).as_posix()
                if path.is_file() and relative not in known:
                    logger.warning("flow store: removing unlisted part %s", relative)
                    path.unlink()
        for relative in raw_log.recover(self.directory, self.manifest.tier_files(RAW.name)):
            logger.warning("flow store: cut unpublished rows off %s", relative)

    def close(self) -> None:
        """Stop the maintenance thread, flush and release the directory."""
        try:
            if self._thread is not None:
                self._stop.set()
                self._thread.join()
                self._thread = None
            if self._raw is not None:
                self._raw.end()
            self.flush()
        finally:
            self._con.close()
            os.close(self._lock_fd)

    def __enter__(self) -> FlowStoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise ConfigurationError(
            f"flow store {path.parent} already has a writer (pid {holder})"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
