"""What the store takes in: enriched flow rows and per-port counter buckets, as Arrow tables.

``EnrichedFlows`` is a ``FlowBatch`` plus one structured array of the same length that says, for
each row, which member, ASN, port, node and exchange center sent it and which received it
(``SIDES_DTYPE``; 0 where the MAC is unknown). The enricher fills it; the store only copies
columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ixcenter.telemetry.decode.batch import FlowBatch
from ixcenter.telemetry.store.schema import RAW_SCHEMA, SIDE_COLUMNS

_SIDE_DTYPES = {"org": "<i4", "asn": "<u4", "port": "<i4", "node": "<i4", "center": "<i4"}
SIDES_DTYPE = np.dtype(
    [(f"{side}_{c}", _SIDE_DTYPES[c]) for side in ("src", "dst") for c in SIDE_COLUMNS]
)

_SIDE_NAMES = frozenset(f"{s}_{c}" for s in ("src", "dst") for c in SIDE_COLUMNS)
# Raw-tier column <- FlowBatch column, where the names differ.
_RENAMED = {"ts_ms": "time_ms", "src_l4": "src_port", "dst_l4": "dst_port"}


@dataclass(frozen=True, slots=True)
class EnrichedFlows:
    """Flow rows and, row for row, their source and destination sides."""

    flows: FlowBatch
    sides: NDArray[Any]  # SIDES_DTYPE

    def __post_init__(self) -> None:
        if len(self.sides) != len(self.flows):
            raise ValueError("sides and flows differ in length")

    def __len__(self) -> int:
        return len(self.flows)

    def to_arrow(self) -> pa.Table:
        """The rows as the raw tier stores them (``RAW_SCHEMA``)."""
        rows = self.flows.rows
        exporters = pa.array(list(self.flows.exporters) or [""], pa.string())
        columns: list[pa.Array[Any]] = []
        for field in RAW_SCHEMA:
            if field.name == "exporter":
                indices = rows["exporter"].astype(np.int32)
                columns.append(exporters.take(indices) if len(rows) else pa.array([], pa.string()))
            elif field.name in _SIDE_NAMES:
                columns.append(pa.array(np.ascontiguousarray(self.sides[field.name])))
            else:
                column = rows[_RENAMED.get(field.name, field.name)]
                columns.append(pa.array(np.ascontiguousarray(column), field.type))
        return pa.Table.from_arrays(columns, schema=RAW_SCHEMA)


def empty_sides(length: int) -> NDArray[Any]:
    return np.zeros(length, SIDES_DTYPE)
