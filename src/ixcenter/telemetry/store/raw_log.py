"""The raw tier: every enriched flow row, appended to Arrow IPC stream segments.

The raw tier is written at the collector's rate and read rarely (forensics: who sent this, from
where, at that time), so it is kept as a log rather than as Parquet. Encoding a raw row as Parquet
costs about as much as decoding it (~0.3 us); appending it to an Arrow IPC stream is a few memory
copies (~0.07 us uncompressed; ``bench/RESULTS.md``).

- A segment (``raw/<hour>/segment-<n>.arrows``) is one Arrow IPC stream. ``append`` writes one
  record batch at its end; ``sync`` makes what was written durable and says how many bytes of it
  readers may read (``DataFile.size``, published by the writer's manifest). A reader reads only
  those bytes, so it never sees a batch half written; bytes a crashed writer left past the
  published size are cut off by the next writer (``recover``).
- Rows carry their source and destination side as an index into the enricher's side table, which
  the segment keeps in its schema metadata. A segment ends when that table changes (the registry
  changed), so a raw row still says who sent it at that time, whatever the registry says later.
- A segment also ends after ``max_bytes`` or ``max_age_s``; the tier is expired by age and by a
  cap on its total size (``store.maintenance``).

``read`` gives the rows of a window with the ten side columns spelled out (``RAW_SCHEMA``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.telemetry.store.files import PartNumbers, fsync
from ixcenter.telemetry.store.manifest import DataFile
from ixcenter.telemetry.store.records import SIDE_DTYPE, EnrichedFlows
from ixcenter.telemetry.store.schema import RAW, RAW_SCHEMA, SIDE_COLUMNS

RawCompression = Literal["none", "lz4", "zstd"]
SUFFIX = ".arrows"
SIDES_KEY = b"ixcenter.sides"  # schema metadata: the side table (SIDE_DTYPE bytes)

# The stored row: RAW_SCHEMA without its ten side columns, plus the two side indexes.
_SIDE_NAMES = {f"{s}_{c}" for s in ("src", "dst") for c in SIDE_COLUMNS}
_EXPORTER = pa.dictionary(pa.int32(), pa.string())
ROW_SCHEMA = pa.schema(
    [f.with_type(_EXPORTER) if f.name == "exporter" else f for f in RAW_SCHEMA
     if f.name not in _SIDE_NAMES]
    + [pa.field("src_side", pa.uint32()), pa.field("dst_side", pa.uint32())]
)  # fmt: skip
# Stored column <- FlowBatch column, where the names differ.
_RENAMED = {"ts_ms": "time_ms", "src_l4": "src_port", "dst_l4": "dst_port"}


def record_batch(flows: EnrichedFlows) -> pa.RecordBatch:
    """``flows`` as the raw tier stores them (``ROW_SCHEMA``); the side table is the segment's."""
    rows = flows.flows.rows
    exporters = pa.array(list(flows.flows.exporters) or [""], pa.string())
    arrays: list[pa.Array[Any]] = []
    for field in ROW_SCHEMA:
        name = field.name
        if name == "exporter":
            codes = rows["exporter"].astype(np.int32)
            arrays.append(pa.DictionaryArray.from_arrays(codes, exporters, safe=False))
        elif name == "src_side":
            arrays.append(pa.array(flows.src.astype(np.uint32)))
        elif name == "dst_side":
            arrays.append(pa.array(flows.dst.astype(np.uint32)))
        else:
            column = np.ascontiguousarray(rows[_RENAMED.get(name, name)])
            arrays.append(pa.array(column, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=ROW_SCHEMA)


def spell(rows: pa.Table, sides: NDArray[Any]) -> pa.Table:
    """Stored rows with their side indexes spelled out against ``sides`` (``RAW_SCHEMA``)."""
    columns: dict[str, Any] = {}
    index = {
        "src": rows.column("src_side").to_numpy().astype(np.intp),
        "dst": rows.column("dst_side").to_numpy().astype(np.intp),
    }
    for field in RAW_SCHEMA:
        name = field.name
        if name in _SIDE_NAMES:
            side, column = name.split("_", 1)
            columns[name] = pa.array(sides[column][index[side]], field.type)
        elif name == "exporter":
            columns[name] = pc.cast(rows.column(name), pa.string())
        else:
            columns[name] = rows.column(name)
    return pa.table(columns, schema=RAW_SCHEMA)


def rows_table(flows: EnrichedFlows) -> pa.Table:
    """``flows`` as ``read`` gives them back (``RAW_SCHEMA``)."""
    return spell(pa.Table.from_batches([record_batch(flows)]), flows.table)


def open_segment(path: Path, size: int) -> ipc.RecordBatchStreamReader:
    """The first ``size`` bytes of a segment, memory-mapped: its batches (``ROW_SCHEMA``)."""
    source = pa.memory_map(str(path))
    if source.size() < size:
        raise OSError(f"raw segment {path} has {source.size()} bytes, the manifest lists {size}")
    return ipc.open_stream(source.read_buffer(size))


def segment_sides(reader: ipc.RecordBatchStreamReader) -> NDArray[Any]:
    """The side table a segment's rows index (kept in its schema metadata)."""
    metadata = reader.schema.metadata or {}
    return np.frombuffer(metadata.get(SIDES_KEY, bytes(SIDE_DTYPE.itemsize)), SIDE_DTYPE)


def scan(
    directory: Path, files: Sequence[DataFile], start_ms: int, end_ms: int
) -> pa.RecordBatchReader:
    """The raw rows of ``files`` with start_ms <= ts_ms < end_ms (``RAW_SCHEMA``), read lazily
    one stored batch at a time (a query streams through them)."""
    return pa.RecordBatchReader.from_batches(
        RAW_SCHEMA, _batches(directory, list(files), start_ms, end_ms)
    )


def read(directory: Path, files: Sequence[DataFile], start_ms: int, end_ms: int) -> pa.Table:
    """``scan`` as one table."""
    return scan(directory, files, start_ms, end_ms).read_all()


def _batches(
    directory: Path, files: list[DataFile], start_ms: int, end_ms: int
) -> Iterator[pa.RecordBatch]:
    for f in files:
        path = directory / f.path
        if f.path.endswith(".parquet"):  # written before the raw tier was a log
            part = pq.read_table(path, schema=RAW_SCHEMA)
            yield from part.filter(_window(part, start_ms, end_ms)).to_batches()
            continue
        reader = open_segment(path, f.size)
        sides = segment_sides(reader)
        for batch in reader:
            rows = pa.Table.from_batches([batch])
            rows = rows.filter(_window(rows, start_ms, end_ms))
            if rows.num_rows:
                yield from spell(rows, sides).to_batches()


def _window(table: pa.Table, start_ms: int, end_ms: int) -> pa.BooleanArray:
    ts = table.column("ts_ms").to_numpy()
    return pa.array((ts >= start_ms) & (ts < end_ms))


@dataclass(slots=True)
class _Segment:
    relative: str
    path: Path
    sink: pa.NativeFile
    writer: ipc.RecordBatchStreamWriter
    sides: NDArray[Any]
    partition: int
    opened: float  # unix seconds (the writer's clock)
    rows: int = 0
    ts_min: int = 0
    ts_max: int = 0
    published: int = 0  # bytes readers may read (0: never listed)
    ended: bool = False

    def data_file(self, size: int) -> DataFile:
        return DataFile(
            RAW.name, self.relative, self.partition, self.ts_min, self.ts_max, self.rows, size
        )


class RawLog:
    """Appends a writer's raw rows to segments; ``sync`` says what to publish."""

    def __init__(
        self,
        directory: Path,
        numbers: PartNumbers,
        compression: RawCompression = "none",
        max_bytes: int = 1 << 30,
        max_age_s: float = 600.0,
        clock: Clock | None = None,
    ) -> None:
        self.directory = directory
        self.clock: Clock = clock or SystemClock()
        self.numbers = numbers
        self.options = ipc.IpcWriteOptions(
            compression=None if compression == "none" else compression
        )
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._open: _Segment | None = None
        self._ended: list[_Segment] = []  # ended since the last publication
        self._pending: list[tuple[_Segment, int]] = []  # synced, not yet published

    @property
    def open_path(self) -> str | None:
        """The segment being appended to (maintenance must leave it alone)."""
        return self._open.relative if self._open is not None else None

    def append(self, flows: EnrichedFlows) -> None:
        if not len(flows):
            return
        segment = self._segment_for(flows)
        segment.writer.write_batch(record_batch(flows))
        times = flows.flows.rows["time_ms"]
        low, high = int(times.min()), int(times.max())
        if segment.rows:
            low, high = min(low, segment.ts_min), max(high, segment.ts_max)
        segment.rows += len(flows)
        segment.ts_min, segment.ts_max = low, high

    def _segment_for(self, flows: EnrichedFlows) -> _Segment:
        segment = self._open
        if segment is not None and not self._takes(segment, flows):
            self.end()
        if self._open is None:
            self._open = self._start(flows)
        return self._open

    def _takes(self, segment: _Segment, flows: EnrichedFlows) -> bool:
        """Whether ``flows`` go on in ``segment``: same side table, segment not full or old."""
        same = segment.sides is flows.table or np.array_equal(segment.sides, flows.table)
        return same and not self._old(segment) and segment.sink.tell() < self.max_bytes

    def _old(self, segment: _Segment) -> bool:
        return self.clock.now().timestamp() - segment.opened >= self.max_age_s

    def end_if_old(self) -> None:
        """End the open segment once it is ``max_age_s`` old, rows or not (so it can expire)."""
        if self._open is not None and self._old(self._open):
            self.end()

    def _start(self, flows: EnrichedFlows) -> _Segment:
        first = int(flows.flows.rows["time_ms"][0]) // 1000
        partition = first // RAW.partition * RAW.partition
        stamp = dt.datetime.fromtimestamp(partition, dt.UTC).strftime("%Y-%m-%dT%H")
        relative = f"{RAW.name}/{stamp}/segment-{self.numbers.take():09d}{SUFFIX}"
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        sides = np.ascontiguousarray(flows.table, SIDE_DTYPE)
        schema = ROW_SCHEMA.with_metadata({SIDES_KEY: sides.tobytes()})
        sink = pa.OSFile(str(path), "wb")
        writer = ipc.new_stream(sink, schema, options=self.options)
        opened = self.clock.now().timestamp()
        return _Segment(relative, path, sink, writer, sides, partition, opened)

    def end(self) -> None:
        """End the open segment (its end-of-stream mark is published with the next flush)."""
        segment = self._open
        if segment is None:
            return
        self._open = None
        segment.writer.close()
        segment.sink.close()
        segment.ended = True
        self._ended.append(segment)

    def _segments(self) -> list[_Segment]:
        return self._ended + ([self._open] if self._open is not None else [])

    def sync(self) -> tuple[list[DataFile], list[DataFile]]:
        """Make every appended row durable: (new segments, segments that grew) to publish.

        Once they are published, ``published()``; if publishing fails, ``rollback()``.
        """
        new: list[DataFile] = []
        grown: list[DataFile] = []
        self._pending.clear()
        for segment in self._segments():
            size = os.path.getsize(segment.path) if segment.ended else segment.sink.tell()
            if size == segment.published:
                continue
            if segment.ended:
                fsync(segment.path)
            else:
                os.fsync(segment.sink.fileno())
            (grown if segment.published else new).append(segment.data_file(size))
            self._pending.append((segment, size))
        return new, grown

    def published(self) -> None:
        """What the last ``sync`` returned is listed by the manifest now."""
        for segment, size in self._pending:
            segment.published = size
        self._pending.clear()
        self._ended.clear()

    def rollback(self) -> None:
        """Drop what was appended since the last publication (a flush failed)."""
        segments = self._segments()
        self.end()
        self._ended.clear()
        self._pending.clear()
        for segment in segments:
            if segment.published:
                os.truncate(segment.path, segment.published)
            else:
                segment.path.unlink(missing_ok=True)


def recover(directory: Path, files: Sequence[DataFile]) -> list[str]:
    """Cut bytes past the published size off listed segments (a writer crashed mid-append)."""
    cut: list[str] = []
    for f in files:
        if not f.path.endswith(SUFFIX):
            continue
        path = directory / f.path
        try:
            if path.stat().st_size > f.size:
                os.truncate(path, f.size)
                cut.append(f.path)
        except FileNotFoundError:
            continue
    return cut
