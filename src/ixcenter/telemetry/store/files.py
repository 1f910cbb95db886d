"""Writing one tier's rows as immutable Parquet parts, one per partition they fall into."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
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


@dataclass(slots=True)
class PartWriter:
    """Numbers parts and writes them durably (written, fsynced, then listed by a manifest)."""

    directory: Path
    next_part: int
    compression: Compression = "zstd"

    def write(self, tier: Tier, table: pa.Table) -> list[DataFile]:
        """``table`` (rows of ``tier``) as one part per partition; empty tables write nothing."""
        if not table.num_rows:
            return []
        column = table.column(tier.time_column)
        scale = 1000 if tier.time_column == "ts_ms" else 1
        span = tier.partition * scale
        keys = np.unique(pc.divide(column, span).to_numpy()) * span
        out: list[DataFile] = []
        for key in keys.tolist():
            if len(keys) == 1:
                part = table
            else:
                mask = pc.and_(pc.greater_equal(column, key), pc.less(column, key + span))
                part = table.filter(mask)
            out.append(self._write_one(tier, part, key // scale))
        return out

    def _write_one(self, tier: Tier, table: pa.Table, partition: int) -> DataFile:
        stamp = dt.datetime.fromtimestamp(partition, dt.UTC).strftime("%Y-%m-%dT%H")
        relative = f"{tier.name}/{stamp}/part-{self.next_part:09d}.parquet"
        self.next_part += 1
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression=self.compression, row_group_size=ROW_GROUP_ROWS)
        fsync(path)
        times = table.column(tier.time_column)
        bounds = pc.min_max(times)
        return DataFile(
            tier=tier.name,
            path=relative,
            partition=partition,
            ts_min=int(bounds["min"].as_py()),
            ts_max=int(bounds["max"].as_py()),
            rows=table.num_rows,
        )

    def write_table(self, relative: str, table: pa.Table) -> None:
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression=self.compression)
        fsync(path)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
