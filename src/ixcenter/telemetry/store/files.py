"""Writing one tier's rows as immutable Parquet parts, one per partition they fall into.

Parquet settings per family: the aggregate tiers are small and read often (zstd, dictionaries,
statistics on every column); the raw tier is large, written at the collector's rate and read
rarely, so it is written for speed (``raw_compression``, default lz4; dictionaries only for the
columns with few distinct values; statistics only on its time column, which queries filter on).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ixcenter.telemetry.store.manifest import DataFile
from ixcenter.telemetry.store.schema import RAW_SCHEMA, Family, Tier

ROW_GROUP_ROWS = 256 * 1024
Compression = Literal["zstd", "snappy", "lz4", "gzip", "brotli", "none"]
# Raw columns with few distinct values per part: dictionary-encoded; the rest (addresses, L4
# ports, byte counts) mostly are not, and a dictionary that overflows costs time for nothing.
RAW_DICTIONARY = [
    f.name
    for f in RAW_SCHEMA
    if f.name
    in {"exporter", "kind", "ip_version", "protocol", "vlan", "src_mac", "dst_mac", "sampling_rate"}
    or f.name in {"in_if", "out_if"}
    or f.name.startswith(("src_org", "dst_org", "src_asn", "dst_asn", "src_node", "dst_node"))
    or f.name.startswith(("src_center", "dst_center", "src_port", "dst_port"))
]


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
    raw_compression: Compression = "lz4"
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
        pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, **self._settings(tier))
        fsync(path)
        self.written.append(relative)
        return DataFile(tier.name, relative, partition, low, high, table.num_rows)

    def _settings(self, tier: Tier) -> dict[str, Any]:
        if tier.family is not Family.RAW:
            return {"compression": self.compression}
        return {
            "compression": self.raw_compression,
            "use_dictionary": RAW_DICTIONARY,
            "write_statistics": [tier.time_column],
            "data_page_size": 8 << 20,
        }

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
