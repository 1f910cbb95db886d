"""What the store takes in: enriched flow rows and per-port counter buckets, as Arrow tables.

``EnrichedFlows`` is a ``FlowBatch`` plus, per row, which entry of a small side table sent it
and which received it. A side is the member (organisation), ASN, port, node and exchange center
(``SIDE_DTYPE``; entry 0 is all zeros: an unknown MAC). The enricher fills the two index
columns with one look-up per side; the ten side columns of a row are only spelled out where they
are asked for (``sides``; raw-tier reads), and the 1-minute tier groups on the two indexes, so no
side value is copied per row until it must be (the raw tier stores the indexes and the table:
``store.raw_log``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.batch import FlowBatch
from ixcenter.telemetry.store.schema import SIDE_COLUMNS

_SIDE_DTYPES = {"org": "<i4", "asn": "<u4", "port": "<i4", "node": "<i4", "center": "<i4"}
SIDE_DTYPE = np.dtype([(c, _SIDE_DTYPES[c]) for c in SIDE_COLUMNS])
SIDES_DTYPE = np.dtype(
    [(f"{side}_{c}", _SIDE_DTYPES[c]) for side in ("src", "dst") for c in SIDE_COLUMNS]
)


@dataclass(frozen=True, slots=True)
class EnrichedFlows:
    """Flow rows and, row for row, the entry of ``table`` of their source and destination."""

    flows: FlowBatch
    table: NDArray[Any]  # SIDE_DTYPE, row 0 all zeros
    src: NDArray[np.intp]  # index into ``table`` per row
    dst: NDArray[np.intp]

    def __post_init__(self) -> None:
        if not len(self.src) == len(self.dst) == len(self.flows):
            raise ValueError("sides and flows differ in length")

    @classmethod
    def from_sides(cls, flows: FlowBatch, sides: NDArray[Any]) -> EnrichedFlows:
        """From one ``SIDES_DTYPE`` row per flow row (tests, benchmarks)."""
        if len(sides) != len(flows):
            raise ValueError("sides and flows differ in length")
        names = list(SIDE_COLUMNS)
        src = np.zeros(len(sides), SIDE_DTYPE)
        dst = np.zeros(len(sides), SIDE_DTYPE)
        for c in names:
            src[c], dst[c] = sides[f"src_{c}"], sides[f"dst_{c}"]
        both = np.concatenate([np.zeros(1, SIDE_DTYPE), src, dst])
        table, inverse = np.unique(both, return_inverse=True)
        if table[0] != both[0]:  # the zero side must be entry 0
            raise ValueError("side values must not be negative")
        n = len(sides)
        return cls(flows, table, inverse[1 : n + 1], inverse[n + 1 :])

    def __len__(self) -> int:
        return len(self.flows)

    def side(self, side: str, column: str) -> NDArray[Any]:
        """One side column (``side`` "src" or "dst", ``column`` of ``SIDE_COLUMNS``) per row."""
        entries = self.src if side == "src" else self.dst
        result: NDArray[Any] = self.table[column][entries]
        return result

    @property
    def sides(self) -> NDArray[Any]:
        """All ten side columns per row (``SIDES_DTYPE``): spelled out, so not for hot paths."""
        out = np.zeros(len(self), SIDES_DTYPE)
        for side in ("src", "dst"):
            for column in SIDE_COLUMNS:
                out[f"{side}_{column}"] = self.side(side, column)
        return out


def empty_sides(length: int) -> NDArray[Any]:
    return np.zeros(length, SIDES_DTYPE)
