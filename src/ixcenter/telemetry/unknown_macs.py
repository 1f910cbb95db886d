"""MACs seen on the exchange that the registry does not know: when, how often, where.

A source MAC that no member port has, and a unicast destination MAC that none has, are unknown
(broadcast and multicast destinations are not). Each is kept per (VLAN, MAC) with the first and
last time it was seen, the samples and (scaled) bytes, and the exporter and input interface of
its newest sample: enough for an operator to find the port it came in on. Rows are reduced per
batch with numpy; only the distinct unknown MACs of a batch reach Python. At most ``limit`` MACs
are kept (a flood of random MACs is counted in ``dropped``, not remembered).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ixcenter.telemetry.store.records import EnrichedFlows
from ixcenter.telemetry.store.schema import UNKNOWN_MACS_SCHEMA

_MAC_MASK = (1 << 48) - 1
_MULTICAST = np.uint64(1 << 40)


class UnknownMacs:
    """(vlan << 48 | mac) -> [first_ms, last_ms, samples, bytes, exporter, in_if]."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.dropped = 0
        self._seen: dict[int, list[Any]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, enriched: EnrichedFlows) -> bool:
        """Record the unknown MACs of a batch; True if anything was recorded."""
        rows = enriched.flows.rows
        unknown = enriched.table["port"] == 0  # per side entry
        src = np.flatnonzero(unknown[enriched.src])
        dst = np.flatnonzero(unknown[enriched.dst] & ((rows["dst_mac"] & _MULTICAST) == 0))
        if not len(src) and not len(dst):
            return False
        pick = np.concatenate([src, dst])
        macs = np.concatenate([rows["src_mac"][src], rows["dst_mac"][dst]])
        keys = (rows["vlan"][pick].astype(np.uint64) << np.uint64(48)) | macs
        order = np.argsort(keys, kind="stable")
        keys, pick = keys[order], pick[order]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        times = rows["time_ms"][pick]
        scaled = (rows["bytes"][pick] * np.maximum(rows["sampling_rate"][pick], 1)).astype(np.int64)
        first = np.minimum.reduceat(times, starts)
        last = np.maximum.reduceat(times, starts)
        volume = np.add.reduceat(scaled, starts)
        counts = np.diff(np.append(starts, len(keys)))
        newest = _newest(times, starts)
        exporters = enriched.flows.exporters
        for n, key in enumerate(keys[starts].tolist()):
            row = int(pick[newest[n]])
            where = exporters[int(rows["exporter"][row])] if exporters else ""
            entry = self._seen.get(key)
            if entry is None:
                if len(self._seen) >= self.limit:
                    self.dropped += 1
                    continue
                self._seen[key] = [
                    int(first[n]), int(last[n]), int(counts[n]), int(volume[n]),
                    where, int(rows["in_if"][row]),
                ]  # fmt: skip
                continue
            entry[0] = min(entry[0], int(first[n]))
            if int(last[n]) >= entry[1]:
                entry[1], entry[4], entry[5] = int(last[n]), where, int(rows["in_if"][row])
            entry[2] += int(counts[n])
            entry[3] += int(volume[n])
        return True

    def table(self) -> pa.Table:
        keys = sorted(self._seen)
        values = [self._seen[k] for k in keys]
        return pa.table(
            {
                "vlan": pa.array([k >> 48 for k in keys], pa.uint16()),
                "mac": pa.array([k & _MAC_MASK for k in keys], pa.uint64()),
                "first_seen_ms": pa.array([v[0] for v in values], pa.int64()),
                "last_seen_ms": pa.array([v[1] for v in values], pa.int64()),
                "samples": pa.array([v[2] for v in values], pa.int64()),
                "bytes": pa.array([v[3] for v in values], pa.int64()),
                "exporter": pa.array([v[4] for v in values], pa.string()),
                "in_if": pa.array([v[5] for v in values], pa.uint32()),
            },
            schema=UNKNOWN_MACS_SCHEMA,
        )

    def load(self, table: pa.Table) -> None:
        """Continue from a table written earlier (after a restart)."""
        for row in table.to_pylist():
            key = (int(row["vlan"]) << 48) | int(row["mac"])
            self._seen[key] = [
                row["first_seen_ms"], row["last_seen_ms"], row["samples"], row["bytes"],
                row["exporter"], row["in_if"],
            ]  # fmt: skip


def _newest(times: NDArray[np.int64], starts: NDArray[np.intp]) -> NDArray[np.intp]:
    """Per group (rows sorted by key), the index of its newest row."""
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(times))))
    order = np.lexsort((times, group))
    ends = np.append(starts[1:], len(times)) - 1
    newest: NDArray[np.intp] = order[ends]
    return newest
