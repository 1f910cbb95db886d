"""Sequence accounting of a batch at once against ``SequenceTracker`` one message at a time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.telemetry.decode.stats import ExporterStats, SequenceMode, SequenceTracker
from ixcenter.telemetry.decode.template_sequences import account_records, account_steps, streams

near = st.integers(0, 2**32 - 1) | st.sampled_from([0, 5, 2**31, 2**32 - 3])
messages = st.lists(st.tuples(near, st.integers(-1, 30)), min_size=1, max_size=30)


def _both(mode: SequenceMode) -> tuple[SequenceTracker, SequenceTracker]:
    return SequenceTracker(mode), SequenceTracker(mode)


@settings(max_examples=300)
@given(st.lists(messages, min_size=1, max_size=3), st.sampled_from(list(SequenceMode)))
def test_records_as_one_message_at_a_time(
    batches: list[list[tuple[int, int]]], mode: SequenceMode
) -> None:
    one, many = _both(mode)
    want, got = ExporterStats(), ExporterStats()
    for batch in batches:  # the tracker carries state from batch to batch
        for sequence, count in batch:
            one.records("k", sequence, None if count < 0 else count, want)
        sequences = np.array([s for s, _ in batch], np.int64)
        account_records(many, "k", sequences, np.array([c for _, c in batch], np.int64), got)
        assert got == want
    for sequence, count in ((7, 3), (10, 2)):  # and both remember the same last message
        one.records("k", sequence, count, want)
        many.records("k", sequence, count, got)
    assert got == want


@settings(max_examples=300)
@given(st.lists(messages, min_size=1, max_size=3))
def test_steps_as_one_packet_at_a_time(batches: list[list[tuple[int, int]]]) -> None:
    one, many = _both(SequenceMode.TOLERANT)
    want, got = ExporterStats(), ExporterStats()
    for batch in batches:
        for sequence, _ in batch:
            one.step("k", sequence, want)
        account_steps(many, "k", np.array([s for s, _ in batch], np.int64), got)
        assert got == want
    one.step("k", 99, want)
    many.step("k", 99, got)
    assert got == want


@given(st.lists(st.integers(0, 3), min_size=1, max_size=40))
def test_streams_keep_first_seen_order_and_arrival_order(keys: list[int]) -> None:
    found = list(streams(np.array(keys, np.uint64)))
    assert [key for key, _ in found] == list(dict.fromkeys(keys))
    for key, at in found:
        assert list(at) == [i for i, k in enumerate(keys) if k == key]
