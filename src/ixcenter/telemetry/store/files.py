"""Writing one aggregate tier's rows as immutable Parquet parts, one per partition they fall into.

The aggregate tiers are small and read often: zstd, dictionaries, statistics on every column.
(The raw tier is a log of Arrow IPC segments: ``store.raw_log``.)
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ixcenter.telemetry.store.manifest import DataFile
from ixcenter.telemetry.store.schema import Tier

ROW_GROUP_ROWS = 256 * 1024
Compression = Literal["zstd", "snappy", "lz4", "gzip", "brotli", "none"]


class PartNumbers:
    """Part numbers, unique across the threads of one writer."""

    def __init__(self, first: int) -> None:
        self._next = first
        self._lock = threading.Lock()

    @property
    def next(self) -> int:
        """The number the next part will get."""
        return self._next

    def take(self) -> int:
        with self._lock:
            number = self._next
            self._next += 1
            return number


@dataclass(slots=True)
class PartWriter:
    """Numbers parts and writes them durably (written, fsynced, then listed by a manifest)."""

    directory: Path
    numbers: PartNumbers
    compression: Compression = "zstd"
    written: list[str] = field(default_factory=list)  # relative paths, in order

    def write(self, tier: Tier, table: pa.Table) -> list[DataFile]:
        """``table`` (rows of ``tier``) as one part per partition; empty tables write nothing."""
        if not table.num_rows:
            return []
        column = table.column(tier.time_column)
        scale = 1000 if tier.time_column == "ts_ms" else 1
        span = tier.partition * scale
        bounds = pc.min_max(column)
        low, high = int(bounds["min"].as_py()), int(bounds["max"].as_py())
        if low // span == high // span:
            return [self._write_one(tier, table, low // span * span // scale, low, high)]
        keys = np.unique(pc.divide(column, span).to_numpy()) * span
        out: list[DataFile] = []
        for key in keys.tolist():
            mask = pc.and_(pc.greater_equal(column, key), pc.less(column, key + span))
            part = table.filter(mask)
            times = pc.min_max(part.column(tier.time_column))
            low, high = int(times["min"].as_py()), int(times["max"].as_py())
            out.append(self._write_one(tier, part, key // scale, low, high))
        return out

    def _write_one(
        self, tier: Tier, table: pa.Table, partition: int, low: int, high: int
    ) -> DataFile:
        stamp = dt.datetime.fromtimestamp(partition, dt.UTC).strftime("%Y-%m-%dT%H")
        relative = f"{tier.name}/{stamp}/part-{self.numbers.take():09d}.parquet"
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, compression=self.compression)
        fsync(path)
        self.written.append(relative)
        return DataFile(tier.name, relative, partition, low, high, table.num_rows)

    def write_table(self, prefix: str, table: pa.Table) -> str:
        """``table`` as ``<prefix>-<part number>.parquet``; returns its relative path."""
        relative = f"{prefix}-{self.numbers.take():09d}.parquet"
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression=self.compression)
        fsync(path)
        self.written.append(relative)
        return relative

    def discard(self, listed: set[str]) -> None:
        """Delete the parts written so far that are not ``listed`` (a job that failed)."""
        for relative in self.written:
            if relative not in listed:
                (self.directory / relative).unlink(missing_ok=True)
        self.written.clear()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
