"""Enriched rows -> 1-minute rows, with numpy: the one aggregation on the write path.

Rows are grouped on (minute, source entry, destination entry, IP version, protocol class), all
small integers, packed into one integer key. When the batch's key space is small (a minute or
two of traffic between the members it saw) the groups are bins of ``np.bincount``; otherwise
(many members) the keys are first hashed to dense codes (Arrow's dictionary encoding), and only
keys too wide to pack (timestamps ages apart) are sorted and summed with ``reduceat``. The
side values of each group are taken from the side table only for the groups, never per row.

Bytes and packets are scaled by each row's sampling rate and summed exactly: ``bincount``'s
float sums are used only while every partial sum stays below 2**53, else integer sums.

``rollup`` re-buckets 1-minute rows at a coarser grain (late rows for tiers already rolled up),
with pyarrow's group-by.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ixcenter.telemetry.store.records import EnrichedFlows
from ixcenter.telemetry.store.schema import FLOW_KEYS, FLOWS_SCHEMA, PROTOCOL_CLASSES, SIDE_COLUMNS

_IP_VERSIONS = np.array([0, 4, 6], np.uint8)  # code -> version (not 4 or 6: 0, not IP)
_IP_CODE = np.zeros(256, np.intp)
_IP_CODE[[4, 6]] = [1, 2]
_CLASSES = np.array([0, *PROTOCOL_CLASSES], np.uint8)  # code -> protocol class
_CLASS_CODE = np.zeros(256, np.intp)
_CLASS_CODE[list(PROTOCOL_CLASSES)] = np.arange(1, len(PROTOCOL_CLASSES) + 1)
_IPS, _PROTOS = len(_IP_VERSIONS), len(_CLASSES)
_EXACT = float(2**53)
DENSE_BINS = 1 << 21  # bincount over at most this many bins (or 4 per row)


def minute_rows(enriched: EnrichedFlows, max_bins: int | None = None) -> pa.Table:
    """The 1-minute rows (``FLOWS_SCHEMA``) of ``enriched``, sorted by time.

    ``max_bins``: the most bins counted densely (default: ``DENSE_BINS`` or 4 per row).
    """
    rows = enriched.flows.rows
    if not len(rows):
        return FLOWS_SCHEMA.empty_table()
    minute = rows["time_ms"] // 60_000
    first = int(minute.min())
    span = int(minute.max()) - first + 1
    entries = len(enriched.table)
    pair = enriched.src * entries  # (src, dst, IP version, protocol class) as one number
    pair += enriched.dst
    pair *= _IPS
    pair += _IP_CODE[rows["ip_version"]]
    pair *= _PROTOS
    pair += _CLASS_CODE[rows["protocol"]]
    pairs = entries * entries * _IPS * _PROTOS
    rate = np.maximum(rows["sampling_rate"], 1).astype(np.uint64)
    scaled = (rows["bytes"] * rate, rows["packets"] * rate)
    space = span * pairs
    if space >= 1 << 62:  # timestamps too far apart to pack with the pair
        minutes, pair, samples, sums = _sorted(minute - first, pair, scaled)
        return _table(enriched, minutes + first, pair, samples, sums)
    key = minute - first
    key *= pairs
    key += pair
    if space <= (max(DENSE_BINS, 4 * len(rows)) if max_bins is None else max_bins):
        groups, samples, sums = _dense(key, space, scaled)
    else:  # hash the keys to dense codes (Arrow's dictionary encoding), then count those
        encoded = pc.dictionary_encode(pa.array(key))
        codes = encoded.indices.to_numpy().astype(np.intp)
        found, samples, sums = _dense(codes, len(encoded.dictionary), scaled)
        groups = encoded.dictionary.to_numpy()[found]
        order = np.argsort(groups)  # by time first, as the dense path gives them
        groups, samples, sums = groups[order], samples[order], [v[order] for v in sums]
    minutes, pair = np.divmod(groups, pairs)
    return _table(enriched, minutes + first, pair, samples, sums)


def _dense(
    key: NDArray[np.int64], space: int, values: tuple[NDArray[np.uint64], ...]
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[NDArray[np.int64]]]:
    counts = np.bincount(key, minlength=space)
    groups = np.flatnonzero(counts)
    sums = []
    for value in values:
        if float(value.max()) * len(value) < _EXACT:
            total = np.bincount(key, weights=value, minlength=space)[groups]
            sums.append(total.astype(np.int64))
        else:
            exact = np.zeros(space, np.uint64)
            np.add.at(exact, key, value)
            sums.append(exact[groups].astype(np.int64))
    return groups.astype(np.int64), counts[groups].astype(np.int64), sums


def _sorted(
    minute: NDArray[np.int64], pair: NDArray[np.intp], values: tuple[NDArray[np.uint64], ...]
) -> tuple[NDArray[np.int64], NDArray[np.intp], NDArray[np.int64], list[NDArray[np.int64]]]:
    order = np.lexsort((pair, minute))  # by time, then pair
    minute, pair = minute[order], pair[order]
    new = np.concatenate([[True], (minute[1:] != minute[:-1]) | (pair[1:] != pair[:-1])])
    starts = np.flatnonzero(new)
    samples = np.diff(np.append(starts, len(order))).astype(np.int64)
    sums = [np.add.reduceat(v[order], starts).astype(np.int64) for v in values]
    return minute[starts], pair[starts], samples, sums


def _table(
    enriched: EnrichedFlows,
    minute: NDArray[np.int64],
    pair: NDArray[np.intp],
    samples: NDArray[np.int64],
    sums: list[NDArray[np.int64]],
) -> pa.Table:
    entries = len(enriched.table)
    rest, proto = np.divmod(pair, _PROTOS)
    rest, ip = np.divmod(rest, _IPS)
    src, dst = np.divmod(rest, entries)
    columns: dict[str, Any] = {"ts": minute * 60}
    for side, entry in (("src", src), ("dst", dst)):
        for column in SIDE_COLUMNS:
            columns[f"{side}_{column}"] = enriched.table[column][entry]
    columns["ip_version"] = _IP_VERSIONS[ip]
    columns["protocol"] = _CLASSES[proto]
    columns["bytes"], columns["packets"] = sums
    columns["samples"] = samples
    arrays = [pa.array(np.ascontiguousarray(columns[f.name]), f.type) for f in FLOWS_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=FLOWS_SCHEMA)


def rollup(minutes: pa.Table, grain: int, before: int | None = None) -> pa.Table:
    """Flow rows of any tier summed at ``grain`` seconds (only those with ts < ``before``)."""
    if before is not None:
        minutes = minutes.filter(pc.less(minutes.column("ts"), pa.scalar(before, pa.int64())))
    if not minutes.num_rows:
        return FLOWS_SCHEMA.empty_table()
    bucket = pc.multiply(pc.divide(minutes.column("ts"), grain), grain)
    table = minutes.set_column(0, "ts", bucket)
    summed = table.group_by(["ts", *FLOW_KEYS]).aggregate(
        [("bytes", "sum"), ("packets", "sum"), ("samples", "sum")]
    )
    summed = summed.rename_columns([n.removesuffix("_sum") for n in summed.column_names]).select(
        FLOWS_SCHEMA.names
    )
    order = pc.sort_indices(summed, [("ts", "ascending"), ("src_org", "ascending"),
                                     ("dst_org", "ascending")])  # fmt: skip
    return summed.take(order).cast(FLOWS_SCHEMA)
