"""The numpy 1-minute aggregation equals summing the rows one by one, on both of its paths."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.telemetry.decode.batch import FLOW_DTYPE, FlowBatch
from ixcenter.telemetry.store.minutes import minute_rows, rollup
from ixcenter.telemetry.store.records import SIDE_DTYPE, EnrichedFlows
from ixcenter.telemetry.store.schema import FLOW_KEYS, FLOWS_SCHEMA, PROTOCOL_CLASSES

T0 = 1_777_000_000_000  # ms
SIDES = [(0, 0, 0, 0, 0), (7, 64500, 70, 1, 1), (8, 64501, 80, 2, 1), (9, 64502, 90, 3, 2)]

row = st.tuples(
    st.integers(0, 3 * 3_600_000),  # ms after T0
    st.integers(0, len(SIDES) - 1),
    st.integers(0, len(SIDES) - 1),
    st.sampled_from([0, 4, 6]),
    st.sampled_from([1, 6, 17, 58, 47, 0]),
    st.integers(0, 9_000),  # bytes
    st.integers(0, 50),  # packets
    st.sampled_from([0, 1, 100, 4096]),
)


def _enriched(rows: list[tuple[int, ...]], big: int = 1) -> EnrichedFlows:
    out = np.zeros(len(rows), FLOW_DTYPE)
    columns = ("time_ms", "ip_version", "protocol", "bytes", "packets", "sampling_rate")
    for n, (at, _, _, ip, proto, size, packets, rate) in enumerate(rows):
        for column, value in zip(columns, (T0 + at, ip, proto, size * big, packets, rate),
                                 strict=True):  # fmt: skip
            out[column][n] = value
    src = np.array([r[1] for r in rows], np.intp)
    dst = np.array([r[2] for r in rows], np.intp)
    return EnrichedFlows(FlowBatch(out, ["192.0.2.1"]), np.array(SIDES, SIDE_DTYPE), src, dst)


def _by_hand(rows: list[tuple[int, ...]], big: int = 1) -> Counter[tuple[Any, ...]]:
    total: Counter[tuple[Any, ...]] = Counter()
    for at, s, d, ip, proto, size, packets, rate in rows:
        key = ((T0 + at) // 60_000 * 60, *SIDES[s], *SIDES[d], ip,
               proto if proto in PROTOCOL_CLASSES else 0)  # fmt: skip
        scale = max(rate, 1)
        total[(*key, "bytes")] += size * big * scale
        total[(*key, "packets")] += packets * scale
        total[(*key, "samples")] += 1
    return total


def _sums(table: pa.Table) -> Counter[tuple[Any, ...]]:
    assert table.schema == FLOWS_SCHEMA
    total: Counter[tuple[Any, ...]] = Counter()
    for r in table.to_pylist():
        key = (r["ts"], *(r[k] for k in FLOW_KEYS))
        for value in ("bytes", "packets", "samples"):
            total[(*key, value)] += r[value]
    return total


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=300), dense=st.booleans())
def test_minute_rows_equal_the_sums_by_hand(rows: list[tuple[int, ...]], dense: bool) -> None:
    table = minute_rows(_enriched(rows), max_bins=None if dense else 0)
    assert _sums(table) == _by_hand(rows)
    keys = [(r["ts"], *(r[k] for k in FLOW_KEYS)) for r in table.to_pylist()]
    assert len(keys) == len(set(keys))  # one row per key
    assert table.column("ts").to_pylist() == sorted(table.column("ts").to_pylist())


@pytest.mark.parametrize("dense", [True, False])
def test_sums_past_float_precision_stay_exact(dense: bool) -> None:
    rows = [(n * 10, 1, 2, 4, 6, 9_000 + n % 7, 1, 4095) for n in range(2000)]
    big = 2**20 + 3  # ~9000 * 2**20 * 4095 per row: the sum is past 2**53, within 2**63
    table = minute_rows(_enriched(rows, big), max_bins=None if dense else 0)
    assert _sums(table) == _by_hand(rows, big)


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=200), grain=st.sampled_from([300, 3600, 86400]))
def test_rollup_sums_minutes_into_coarser_buckets(rows: list[tuple[int, ...]], grain: int) -> None:
    minutes = minute_rows(_enriched(rows))
    before = (T0 // 1000 // grain + 1) * grain
    expected: Counter[tuple[Any, ...]] = Counter()
    for key, value in _sums(minutes).items():
        if key[0] < before:
            expected[(key[0] // grain * grain, *key[1:])] += value
    assert _sums(rollup(minutes, grain, before=before)) == expected


def test_timestamps_ages_apart_with_a_large_side_table_are_sorted_not_packed() -> None:
    table = np.zeros(10_000, SIDE_DTYPE)
    table["org"] = np.arange(10_000)
    rows = np.zeros(3, FLOW_DTYPE)
    rows["time_ms"] = [60_000, 61_000, 9 * 10**18]  # span * pairs is past 2**62
    rows["bytes"] = [10, 20, 40]
    rows["sampling_rate"] = [2, 2, 1]
    src, dst = np.array([9_999, 9_999, 3], np.intp), np.array([5, 5, 9_998], np.intp)
    enriched = EnrichedFlows(FlowBatch(rows, ["192.0.2.1"]), table, src, dst)
    got = minute_rows(enriched).select(["ts", "src_org", "dst_org", "bytes", "samples"])
    assert got.to_pylist() == [
        {"ts": 60, "src_org": 9_999, "dst_org": 5, "bytes": 60, "samples": 2},
        {"ts": 9 * 10**18 // 60_000 * 60, "src_org": 3, "dst_org": 9_998, "bytes": 40,
         "samples": 1},
    ]  # fmt: skip
