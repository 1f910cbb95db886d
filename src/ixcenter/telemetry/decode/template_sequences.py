"""Sequence numbers of a batch's messages, accounted per stream with numpy.

``SequenceTracker.records`` (IPFIX) and ``.step`` (NetFlow v9) take one message at a time; a
batch has many per stream (exporter, domain). The tracker still accounts the first message of a
stream (against what it remembers) and the last (so it remembers that one); the gaps between
the messages in between are computed here at once, as ``SequenceTracker`` reads them (see
``stats``), and added to the stream's counts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.stats import ExporterStats, SequenceMode, SequenceTracker

_MOD = 1 << 32
_HALF = 1 << 31


def streams(keys: NDArray[np.uint64]) -> Iterator[tuple[int, NDArray[np.intp]]]:
    """(stream, positions in order) for each distinct value of ``keys``, first seen first."""
    first = int(keys[0])
    if (keys == first).all():
        yield first, np.arange(len(keys))
        return
    values, where, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse))
    runs = np.split(order, bounds[:-1])
    for k in np.argsort(where).tolist():
        yield int(values[k]), runs[k]


def _gaps(ahead: NDArray[np.int64]) -> NDArray[np.int64]:
    """``forward_gap`` of each difference: modulo 2**32, negative if it went backwards."""
    distance = ahead % _MOD
    gaps: NDArray[np.int64] = np.where(distance < _HALF, distance, distance - _MOD)
    return gaps


def _add(gaps: NDArray[np.int64], stats: ExporterStats) -> None:
    stats.sequence_gaps += int(gaps[gaps > 0].sum())
    stats.sequence_resets += int((gaps < 0).sum())


def _known(count: np.int64) -> int | None:
    return None if count < 0 else int(count)


def account_records(
    tracker: SequenceTracker,
    key: object,
    sequences: NDArray[np.int64],
    counts: NDArray[np.int64],
    stats: ExporterStats,
) -> None:
    """IPFIX: as ``tracker.records(key, sequence, count, stats)`` for each message in order
    (a count of -1 is None: not known)."""
    tracker.records(key, int(sequences[0]), _known(counts[0]), stats)
    if len(sequences) < 2:
        return
    if len(sequences) > 2:
        # between messages 0 .. n-2: RFC reading and the inclusive (softflowd) reading
        before, after = sequences[:-2], sequences[1:-1]
        rfc = _gaps(after - before - counts[:-2])
        inclusive = _gaps(after - before - counts[1:-1])
        if tracker.mode is SequenceMode.RFC:
            gaps = rfc
        elif tracker.mode is SequenceMode.INCLUSIVE:
            gaps = inclusive
        else:
            either = np.where((rfc < 0) | (inclusive < 0), rfc, np.minimum(rfc, inclusive))
            gaps = np.where((rfc != 0) & (inclusive != 0), either, 0)
        _add(np.where((counts[:-2] >= 0) & (counts[1:-1] >= 0), gaps, 0), stats)
        # seat the tracker on message n-2 (what it accounts again is thrown away)
        tracker.records(key, int(sequences[-2]), _known(counts[-2]), ExporterStats())
    tracker.records(key, int(sequences[-1]), _known(counts[-1]), stats)


def account_steps(
    tracker: SequenceTracker, key: object, sequences: NDArray[np.int64], stats: ExporterStats
) -> None:
    """NetFlow v9: as ``tracker.step(key, sequence, stats)`` for each packet in order."""
    tracker.step(key, int(sequences[0]), stats)
    if len(sequences) < 2:
        return
    if len(sequences) > 2:
        _add(_gaps(sequences[1:-1] - sequences[:-2] - 1), stats)
        tracker.step(key, int(sequences[-2]), ExporterStats())
    tracker.step(key, int(sequences[-1]), stats)
