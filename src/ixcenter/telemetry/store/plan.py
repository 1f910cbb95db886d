"""Which tiers answer a time window: the coarsest tier covers the middle, finer ones the edges.

Every aggregate tier is the exact sum of the 1-minute tier over its buckets, so a 30-day window
read as "29 days from the day tier, the hours around them from the hour tier, ..." gives the same
numbers as summing 43,200 minutes, from about a thousandth of the rows.

A tier can answer [a, b) if its grain divides the window's edges there and it is complete up to
b (``complete_until``: the rollup watermark; the finest tier is live). Where a finer tier no
longer holds the data (its retention passed), the coarser tier's whole bucket is used instead:
such a window is widened outward to that grain at its old edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ixcenter.telemetry.store.schema import Tier


@dataclass(frozen=True, slots=True)
class Coverage:
    """What one tier holds: from ``first`` (its oldest row) up to ``until`` (None: live)."""

    first: int | None
    until: int | None


@dataclass(frozen=True, slots=True)
class Piece:
    tier: Tier
    start: int
    end: int


def _floor(value: int, grain: int) -> int:
    return value // grain * grain


def _ceil(value: int, grain: int) -> int:
    return -(-value // grain) * grain


def pieces(
    start: int,
    end: int,
    tiers: Sequence[Tier],
    coverage: dict[str, Coverage],
    step: int | None = None,
) -> list[Piece]:
    """Non-overlapping pieces covering [start, end), coarsest first.

    ``tiers`` are one family's aggregate tiers, finest first. With ``step`` (a time series) only
    tiers whose grain divides the step are used, so every bucket of the series is whole.
    """
    usable = [t for t in tiers if step is None or step % t.grain == 0]
    if not usable or start >= end:
        return []
    out: list[Piece] = []
    _cover(start, end, usable, len(usable) - 1, coverage, out)
    return sorted(out, key=lambda p: (p.start, -p.tier.grain))


def _cover(
    lo: int, hi: int, tiers: list[Tier], level: int, coverage: dict[str, Coverage], out: list[Piece]
) -> None:
    if lo >= hi:
        return
    tier = tiers[level]
    if level == 0:
        out.append(Piece(tier, lo, hi))
        return
    held = coverage.get(tier.name, Coverage(None, None))
    if held.first is None or held.until is None:
        _cover(lo, hi, tiers, level - 1, coverage, out)
        return
    grain = tier.grain
    a = max(_ceil(lo, grain), _floor(held.first, grain))
    b = min(_floor(hi, grain), held.until)
    b = _floor(b, grain)
    if a >= b:
        _cover(lo, hi, tiers, level - 1, coverage, out)
        return
    finer_first = _first_below(tiers, level, coverage)
    if finer_first is None or finer_first > lo:
        # the finer tiers no longer hold the left edge: take the coarse bucket that contains it
        a = max(_floor(lo, grain), _floor(held.first, grain))
    out.append(Piece(tier, a, b))
    _cover(lo, a, tiers, level - 1, coverage, out)
    _cover(b, hi, tiers, level - 1, coverage, out)


def _first_below(tiers: list[Tier], level: int, coverage: dict[str, Coverage]) -> int | None:
    firsts = [coverage.get(t.name, Coverage(None, None)).first for t in tiers[:level]]
    known = [f for f in firsts if f is not None]
    return min(known) if known else None
