"""The flow store's tables: their columns, time grains, partitions and default retention.

Three families of tables, each a stack of time tiers:

- ``raw``: every enriched flow sample or record (``ts_ms``), kept briefly for forensics.
- ``flows``: traffic aggregated per (source side, destination side, IP version, protocol class)
  at 1 minute, 5 minutes, 1 hour and 1 day. A side is member (organisation), ASN, port, node
  and exchange center, so the member matrix, per-port/node/center series and the traffic between
  exchange centers all read the same rows. ``bytes`` and ``packets`` are already scaled by the
  sampling rate; ``samples`` counts the rows behind them.
- ``counters``: per-port octets from interface counter deltas per 5 minutes (``covered_ms``
  says how much of the bucket the deltas cover; rate = octets * 8000 / covered_ms).

Every aggregate tier is a sum of the tier below it, so any tier can answer any window that its
grain divides, and a window can be stitched from several tiers (``store.plan``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


class Family(enum.StrEnum):
    RAW = "raw"
    FLOWS = "flows"
    COUNTERS = "counters"


@dataclass(frozen=True, slots=True)
class Tier:
    """One table: its family, time grain and partition span (seconds), default retention."""

    name: str
    family: Family
    grain: int  # seconds; 0 for raw rows (millisecond timestamps)
    partition: int  # seconds a partition (a directory of files) spans
    retention: int  # seconds, default

    @property
    def time_column(self) -> str:
        return "ts_ms" if self.family is Family.RAW else "ts"


HOUR = 3_600
DAY = 86_400

RAW = Tier("raw", Family.RAW, 0, HOUR, 6 * HOUR)
FLOWS_1M = Tier("flows_1m", Family.FLOWS, 60, HOUR, 35 * DAY)
FLOWS_5M = Tier("flows_5m", Family.FLOWS, 300, DAY, 100 * DAY)
FLOWS_1H = Tier("flows_1h", Family.FLOWS, HOUR, DAY, 400 * DAY)
FLOWS_1D = Tier("flows_1d", Family.FLOWS, DAY, 30 * DAY, 3_650 * DAY)
COUNTERS_5M = Tier("counters_5m", Family.COUNTERS, 300, DAY, 400 * DAY)

TIERS: tuple[Tier, ...] = (RAW, FLOWS_1M, FLOWS_5M, FLOWS_1H, FLOWS_1D, COUNTERS_5M)
BY_NAME = {t.name: t for t in TIERS}
# Each rollup tier and the tier it sums.
ROLLUPS: tuple[tuple[Tier, Tier], ...] = (
    (FLOWS_5M, FLOWS_1M),
    (FLOWS_1H, FLOWS_5M),
    (FLOWS_1D, FLOWS_1H),
)


def family_tiers(family: Family) -> tuple[Tier, ...]:
    """The tiers of one family, finest first."""
    return tuple(t for t in TIERS if t.family is family)


SIDE_COLUMNS: tuple[str, ...] = ("org", "asn", "port", "node", "center")
SIDE_TYPES: dict[str, pa.DataType] = {
    "org": pa.int32(),
    "asn": pa.uint32(),
    "port": pa.int32(),
    "node": pa.int32(),
    "center": pa.int32(),
}


def _sides() -> list[pa.Field[Any]]:
    return [
        pa.field(f"{side}_{column}", SIDE_TYPES[column])
        for side in ("src", "dst")
        for column in SIDE_COLUMNS
    ]


FLOW_KEYS: tuple[str, ...] = (
    *(f"{side}_{c}" for side in ("src", "dst") for c in SIDE_COLUMNS),
    "ip_version",
    "protocol",
)
FLOW_VALUES: tuple[str, ...] = ("bytes", "packets", "samples")

_FLOWS_SCHEMA_FIELDS: list[pa.Field[Any]] = [
    pa.field("ts", pa.int64()),  # unix seconds, start of the bucket
    *_sides(),
    pa.field("ip_version", pa.uint8()),  # 0 (not IP), 4, 6
    pa.field("protocol", pa.uint8()),  # class: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 0 other
    pa.field("bytes", pa.int64()),
    pa.field("packets", pa.int64()),
    pa.field("samples", pa.int64()),
]
FLOWS_SCHEMA = pa.schema(_FLOWS_SCHEMA_FIELDS)

_RAW_SCHEMA_FIELDS: list[pa.Field[Any]] = [
    pa.field("ts_ms", pa.int64()),
    pa.field("exporter", pa.string()),
    pa.field("kind", pa.uint8()),
    pa.field("ip_version", pa.uint8()),
    pa.field("protocol", pa.uint8()),
    pa.field("vlan", pa.uint16()),
    pa.field("src_mac", pa.uint64()),
    pa.field("dst_mac", pa.uint64()),
    pa.field("src_ip_hi", pa.uint64()),
    pa.field("src_ip_lo", pa.uint64()),
    pa.field("dst_ip_hi", pa.uint64()),
    pa.field("dst_ip_lo", pa.uint64()),
    pa.field("src_l4", pa.uint16()),
    pa.field("dst_l4", pa.uint16()),
    pa.field("bytes", pa.uint64()),
    pa.field("packets", pa.uint64()),
    pa.field("sampling_rate", pa.uint32()),
    pa.field("in_if", pa.uint32()),
    pa.field("out_if", pa.uint32()),
    *_sides(),
]
RAW_SCHEMA = pa.schema(_RAW_SCHEMA_FIELDS)

_COUNTERS_SCHEMA_FIELDS: list[pa.Field[Any]] = [
    pa.field("ts", pa.int64()),
    pa.field("exporter", pa.string()),
    pa.field("if_index", pa.uint32()),
    pa.field("port", pa.int32()),  # 0: interface not (yet) mapped to a registry port
    pa.field("org", pa.int32()),
    pa.field("node", pa.int32()),
    pa.field("center", pa.int32()),
    pa.field("speed_bps", pa.int64()),
    pa.field("in_octets", pa.int64()),
    pa.field("out_octets", pa.int64()),
    pa.field("in_packets", pa.int64()),
    pa.field("out_packets", pa.int64()),
    pa.field("covered_ms", pa.int64()),
]
COUNTERS_SCHEMA = pa.schema(_COUNTERS_SCHEMA_FIELDS)

_UNKNOWN_MACS_SCHEMA_FIELDS: list[pa.Field[Any]] = [
    pa.field("vlan", pa.uint16()),
    pa.field("mac", pa.uint64()),
    pa.field("first_seen_ms", pa.int64()),
    pa.field("last_seen_ms", pa.int64()),
    pa.field("samples", pa.int64()),
    pa.field("bytes", pa.int64()),  # scaled by the sampling rate
    pa.field("exporter", pa.string()),  # where it was last seen
    pa.field("in_if", pa.uint32()),
]
UNKNOWN_MACS_SCHEMA = pa.schema(_UNKNOWN_MACS_SCHEMA_FIELDS)

SCHEMAS: dict[Family, pa.Schema] = {
    Family.RAW: RAW_SCHEMA,
    Family.FLOWS: FLOWS_SCHEMA,
    Family.COUNTERS: COUNTERS_SCHEMA,
}

# Protocol numbers kept as their own class in the aggregate tiers; everything else is 0.
PROTOCOL_CLASSES: tuple[int, ...] = (1, 6, 17, 58)
