"""Rollups, merges and expiry: the jobs that keep a flow store small and fast to read.

- **Rollup**: for each coarser tier (5 min <- 1 min, 1 h <- 5 min, 1 day <- 1 h), sum the closed
  buckets between its watermark (``complete_until``) and now minus the settle time, then move the
  watermark. A bucket is closed when its end is ``settle_s`` in the past and, for a tier rolled up
  from another rollup tier, when that tier's watermark has passed it.
- **Merge**: a partition of an aggregate tier whose span is over (and whose tier is rolled up
  past it) is rewritten as one sorted part with equal keys summed; an open partition is merged
  once it has ``max_open_parts`` parts. Raw segments (``store.raw_log``) are large already and
  just wait for expiry.
- **Expiry**: a partition whose whole span is older than the tier's retention leaves the manifest;
  so does a raw segment whose newest row is, and the oldest raw segments while the raw tier is
  larger than ``raw_max_bytes``. The segment the writer is appending to is never expired.

Each job returns a new manifest; the writer publishes it, so readers never see half a job.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from ixcenter.telemetry.store import aggregate
from ixcenter.telemetry.store.files import PartWriter
from ixcenter.telemetry.store.manifest import DataFile, Manifest
from ixcenter.telemetry.store.schema import (
    BY_NAME,
    FLOWS_1M,
    FLOWS_SCHEMA,
    ROLLUPS,
    SCHEMAS,
    TIERS,
    Family,
    Tier,
)

if TYPE_CHECKING:
    from ixcenter.telemetry.store.writer import StoreOptions

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Report:
    """What one maintenance run did."""

    rolled_up: dict[str, int] = field(default_factory=dict)  # tier -> rows written
    merged: dict[str, int] = field(default_factory=dict)  # tier -> parts merged away
    expired: dict[str, int] = field(default_factory=dict)  # tier -> parts dropped


class Maintenance:
    def __init__(
        self,
        directory: Path,
        con: duckdb.DuckDBPyConnection,
        parts: PartWriter,
        options: StoreOptions,
        now: int,
        appending: str | None = None,
    ) -> None:
        self.directory = directory
        self.con = con
        self.parts = parts
        self.options = options
        self.now = now
        self.appending = appending  # the raw segment the writer appends to

    def run(self, manifest: Manifest) -> tuple[Report, Manifest]:
        report = Report()
        manifest = self.rollup(manifest, report)
        manifest = self.merge(manifest, report)
        manifest = self.expire(manifest, report)
        return report, manifest

    def _read(self, files: list[DataFile], query: str, schema: pa.Schema) -> pa.Table:
        relation = aggregate.parquet([str(self.directory / f.path) for f in files])
        result: pa.Table = self.con.sql(query.replace("{rows}", relation)).to_arrow_table()
        return result.select(schema.names).cast(schema)

    def rollup(self, manifest: Manifest, report: Report) -> Manifest:
        horizon = self.now - self.options.settle_s
        for tier, source in ROLLUPS:
            start = manifest.complete_until.get(tier.name)
            if start is None:
                first = manifest.first_ts(source.name)
                if first is None:
                    continue
                start = first // tier.grain * tier.grain
            end = horizon
            if source is not FLOWS_1M:
                end = min(end, manifest.complete_until.get(source.name, start))
            end = end // tier.grain * tier.grain
            if end <= start:
                continue
            added: list[DataFile] = []
            rows = 0
            for a, b in _chunks(start, end, tier.partition):
                files = manifest.overlapping(source.name, a, b)
                if not files:
                    continue
                where = f"ts >= {a} AND ts < {b}"
                table = self._read(
                    files, aggregate.flows_rollup("{rows}", tier.grain, where), FLOWS_SCHEMA
                )
                rows += table.num_rows
                added += self.parts.write(tier, table)
            watermarks = dict(manifest.complete_until)
            watermarks[tier.name] = end
            manifest = manifest.changed(add=added, now=self.now, complete_until=watermarks)
            report.rolled_up[tier.name] = rows
            logger.info("flow store: %s rolled up to %d (%d rows)", tier.name, end, rows)
        return manifest

    def _closed_before(self, tier: Tier, manifest: Manifest) -> int:
        """Partitions ending at or before this time get no more rows (except late ones)."""
        horizon = self.now - self.options.settle_s
        if tier.name in manifest.complete_until:
            return min(horizon, manifest.complete_until[tier.name])
        return horizon

    def merge(self, manifest: Manifest, report: Report) -> Manifest:
        for tier in TIERS:
            if tier.family is Family.RAW:
                continue  # raw parts are large already and only wait for their expiry
            groups: dict[int, list[DataFile]] = defaultdict(list)
            for f in manifest.tier_files(tier.name):
                groups[f.partition].append(f)
            closed = self._closed_before(tier, manifest)
            for partition, files in sorted(groups.items()):
                done = partition + tier.partition <= closed
                if len(files) < 2 or (not done and len(files) < self.options.max_open_parts):
                    continue
                table = self._read(files, aggregate.merge(tier, "{rows}"), SCHEMAS[tier.family])
                added = self.parts.write(tier, table)
                manifest = manifest.changed(add=added, remove=files, now=self.now)
                report.merged[tier.name] = report.merged.get(tier.name, 0) + len(files)
        return manifest

    def expire(self, manifest: Manifest, report: Report) -> Manifest:
        old: list[DataFile] = []
        raw: list[DataFile] = []
        for f in manifest.files:
            tier = BY_NAME[f.tier]
            keep = self.options.retention_of(tier.name)
            if tier.family is Family.RAW:
                if f.path == self.appending:
                    continue
                if f.ts_max // 1000 < self.now - keep:
                    old.append(f)
                else:
                    raw.append(f)
            elif f.partition + tier.partition <= self.now - keep:
                old.append(f)
        old += _over_size(raw, self.options.raw_max_bytes - _appending_size(manifest, self))
        for f in old:
            report.expired[f.tier] = report.expired.get(f.tier, 0) + 1
        if not old:
            return manifest
        return manifest.changed(remove=old, now=self.now)


def _appending_size(manifest: Manifest, job: Maintenance) -> int:
    return sum(f.size for f in manifest.files if f.path == job.appending)


def _over_size(files: list[DataFile], budget: int) -> list[DataFile]:
    """The oldest of ``files`` whose removal brings their total size within ``budget``."""
    total = sum(f.size for f in files)
    out: list[DataFile] = []
    for f in sorted(files, key=lambda f: (f.ts_max, f.path)):
        if total <= budget:
            break
        out.append(f)
        total -= f.size
    return out


def _chunks(start: int, end: int, span: int) -> list[tuple[int, int]]:
    """[start, end) cut at multiples of ``span``, so each piece lies in one partition."""
    out = []
    while start < end:
        cut = min(end, (start // span + 1) * span)
        out.append((start, cut))
        start = cut
    return out
