"""The one process that writes a flow store: buffers rows, flushes parts, runs maintenance.

``FlowStoreWriter(directory)`` takes an exclusive lock on the directory (a second writer gets a
``ConfigurationError``; readers need no lock). Rows are buffered in memory; ``flush()`` writes
the raw rows and their 1-minute aggregates (and the counter buckets, the unknown-MAC table and
the writer's state) as new Parquet parts, then publishes them with one manifest swap.
``maintain()`` rolls up, merges and expires (``store.maintenance``).

Late rows (older than a tier's rollup watermark) are summed into the rolled-up tiers too as
they are flushed, so every tier always equals the 1-minute tier over what it covers.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.telemetry.store import aggregate, maintenance
from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store.files import Compression, PartWriter
from ixcenter.telemetry.store.manifest import DataFile, Manifest
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
    compression: Compression = "zstd"
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
        self._lock = _take_lock(directory / LOCK)
        self.manifest = manifests.read(directory)
        self._remove_orphans()
        self._con = duckdb.connect(":memory:", config={"threads": self.options.threads})
        self._raw: list[pa.Table] = []
        self._raw_rows = 0
        self._counters: list[pa.Table] = []
        self._unknown: pa.Table | None = None
        self.state_provider: Callable[[], dict[str, Any]] | None = None

    @property
    def state(self) -> dict[str, Any]:
        """What the enricher persisted at the last flush (counter samples, interfaces)."""
        return dict(self.manifest.state)

    def append(self, flows: EnrichedFlows) -> None:
        if not len(flows):
            return
        self._raw.append(flows.to_arrow())
        self._raw_rows += len(flows)
        if self._raw_rows >= self.options.flush_rows:
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
        """Write everything buffered and publish it to readers with one manifest swap."""
        now = self.clock.now().timestamp()
        parts = PartWriter(self.directory, self.manifest.next_part, self.options.compression)
        added: list[DataFile] = []
        if self._raw:
            raw = pa.concat_tables(self._raw)
            self._raw, self._raw_rows = [], 0
            if self.options.retention_of(RAW.name) > 0:
                added += parts.write(RAW, raw)
            minutes = self._sql(aggregate.minutes_from_raw("buffer"), FLOWS_SCHEMA, buffer=raw)
            added += parts.write(FLOWS_1M, minutes)
            added += self._late_rows(parts, minutes)
        if self._counters:
            counters = pa.concat_tables(self._counters)
            self._counters = []
            added += parts.write(COUNTERS_5M, counters)
        changes: dict[str, Any] = {}
        removed: list[DataFile] = []
        if self._unknown is not None:
            relative = f"unknown_macs/unknown-{parts.next_part:09d}.parquet"
            parts.next_part += 1
            parts.write_table(relative, self._unknown)
            changes["unknown_macs"] = relative
            if self.manifest.unknown_macs:
                old = self.manifest.unknown_macs
                removed.append(DataFile("unknown_macs", old, 0, 0, 0, 0))
            self._unknown = None
        if self.state_provider is not None:
            changes["state"] = self.state_provider()
        if not added and not changes:
            return
        self._publish(
            self.manifest.changed(
                add=added, remove=removed, now=now, next_part=parts.next_part, **changes
            )
        )

    def _late_rows(self, parts: PartWriter, minutes: pa.Table) -> list[DataFile]:
        """Rows for buckets already rolled up go into those tiers as well."""
        out: list[DataFile] = []
        for tier, _source in ROLLUPS:
            until = self.manifest.complete_until.get(tier.name)
            if until is None:
                continue
            late = self._sql(
                aggregate.flows_rollup("buffer", tier.grain, f"ts < {int(until)}"),
                FLOWS_SCHEMA,
                buffer=minutes,
            )
            if late.num_rows:
                logger.info("flow store: %d late rows into %s", late.num_rows, tier.name)
            out += parts.write(tier, late)
        return out

    def maintain(self) -> maintenance.Report:
        """Roll up closed buckets, merge parts, drop what is past retention."""
        self.flush()
        now = int(self.clock.now().timestamp())
        parts = PartWriter(self.directory, self.manifest.next_part, self.options.compression)
        job = maintenance.Maintenance(self.directory, self._con, parts, self.options, now)
        report, updated = job.run(self.manifest)
        if updated is not self.manifest:
            self._publish(replace(updated, next_part=parts.next_part))
        collected = manifests.collect_retired(self.directory, self.manifest, now)
        if collected is not self.manifest:
            self._publish(collected)
        return report

    def _sql(self, query: str, schema: pa.Schema, **tables: pa.Table) -> pa.Table:
        for name, table in tables.items():
            self._con.register(name, table)
        try:
            result: pa.Table = self._con.sql(query).to_arrow_table()
        finally:
            for name in tables:
                self._con.unregister(name)
        return result.select(schema.names).cast(schema)

    def _publish(self, manifest: Manifest) -> None:
        manifests.write(self.directory, manifest)
        self.manifest = manifest

    def _remove_orphans(self) -> None:
        """Parts a crashed writer left unlisted are not data: delete them."""
        known = {f.path for f in self.manifest.files} | {p for p, _ in self.manifest.retired}
        if self.manifest.unknown_macs:
            known.add(self.manifest.unknown_macs)
        for folder in [t.name for t in TIERS] + ["unknown_macs"]:
            for path in (self.directory / folder).glob("**/*.parquet"):
                relative = path.relative_to(self.directory).as_posix()
                if relative not in known:
                    logger.warning("flow store: removing unlisted part %s", relative)
                    path.unlink()

    def close(self) -> None:
        """Flush and release the directory."""
        try:
            self.flush()
        finally:
            self._con.close()
            os.close(self._lock)

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
