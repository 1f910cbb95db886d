"""Columnar batches the decoders write into: one row per flow sample or flow record, per counter.

A batch holds one numpy structured array (``rows``; a column is ``batch["src_mac"]``) and the
table of exporter addresses its ``exporter`` column indexes. MACs are ``uint64`` (the 48 bits in
the low end); IP addresses are two ``uint64`` halves (IPv4 sits in ``*_ip_lo``, ``*_ip_hi`` = 0).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray


class Kind(enum.IntEnum):
    """What a flow row came from: a sampled packet (sFlow) or a flow record (IPFIX, NetFlow v9)."""

    SAMPLE = 0
    FLOW = 1


FLOW_DTYPE = np.dtype(
    [
        ("time_ms", "<i8"),  # unix milliseconds: receive time (sFlow), flow end (IPFIX/NFv9)
        ("exporter", "<u2"),  # index into FlowBatch.exporters
        ("kind", "u1"),
        ("ip_version", "u1"),  # 0 (not IP), 4 or 6
        ("protocol", "u1"),
        ("vlan", "<u2"),
        ("src_mac", "<u8"),
        ("dst_mac", "<u8"),
        ("src_ip_hi", "<u8"),
        ("src_ip_lo", "<u8"),
        ("dst_ip_hi", "<u8"),
        ("dst_ip_lo", "<u8"),
        ("src_port", "<u2"),
        ("dst_port", "<u2"),
        ("bytes", "<u8"),  # frame length (sFlow) or octetDeltaCount (flows)
        ("packets", "<u8"),
        ("sampling_rate", "<u4"),  # 1 in N; multiply bytes and packets by it for totals
        ("in_if", "<u4"),
        ("out_if", "<u4"),
    ]
)

COUNTER_DTYPE = np.dtype(
    [
        ("time_ms", "<i8"),
        ("exporter", "<u2"),
        ("source_id", "<u4"),  # sFlow data source (type << 24 | index)
        ("sequence", "<u4"),
        ("if_index", "<u4"),
        ("if_type", "<u4"),
        ("speed", "<u8"),  # bits per second
        ("direction", "u1"),
        ("status", "u1"),
        ("in_octets", "<u8"),
        ("in_packets", "<u8"),  # unicast + multicast + broadcast
        ("in_errors", "<u4"),
        ("in_discards", "<u4"),
        ("out_octets", "<u8"),
        ("out_packets", "<u8"),
        ("out_errors", "<u4"),
        ("out_discards", "<u4"),
    ]
)


class _Batch:
    """Rows of one structured dtype plus the exporter table they index."""

    __slots__ = ("exporters", "rows")
    dtype: np.dtype[Any] = FLOW_DTYPE

    def __init__(self, rows: NDArray[Any], exporters: Sequence[str]) -> None:
        self.rows = rows
        self.exporters = tuple(exporters)

    @classmethod
    def empty(cls) -> Self:
        return cls(np.zeros(0, cls.dtype), ())

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str) -> NDArray[Any]:
        result: NDArray[Any] = self.rows[column]
        return result

    def exporter_of(self, row: int) -> str:
        return self.exporters[int(self.rows["exporter"][row])]

    @classmethod
    def concat(cls, batches: Iterable[Self]) -> Self:
        """One batch from several; the exporter tables are merged and the indexes remapped."""
        table: dict[str, int] = {}
        parts: list[NDArray[Any]] = []
        for batch in batches:
            if not len(batch):
                continue
            remap = np.array([table.setdefault(e, len(table)) for e in batch.exporters], "<u2")
            rows = batch.rows.copy()
            rows["exporter"] = remap[rows["exporter"]]
            parts.append(rows)
        rows = np.concatenate(parts) if parts else np.zeros(0, cls.dtype)
        return cls(rows, list(table))


class FlowBatch(_Batch):
    """Flow samples (sFlow) and flow records (IPFIX, NetFlow v9), one row each (``FLOW_DTYPE``)."""

    __slots__ = ()
    dtype = FLOW_DTYPE

    def estimated_bytes(self) -> int:
        """Traffic the rows stand for: bytes scaled by each row's sampling rate."""
        return int((self.rows["bytes"] * self.rows["sampling_rate"].astype("<u8")).sum())

    def estimated_packets(self) -> int:
        return int((self.rows["packets"] * self.rows["sampling_rate"].astype("<u8")).sum())


class CounterBatch(_Batch):
    """Interface counters from sFlow counter samples, one row each (``COUNTER_DTYPE``)."""

    __slots__ = ()
    dtype = COUNTER_DTYPE


def ip_text(version: int, hi: int, lo: int) -> str:
    """The address a row's (ip_version, *_ip_hi, *_ip_lo) columns hold, as text ("" if not IP)."""
    if version == 4:
        return str(ipaddress.IPv4Address(int(lo) & 0xFFFFFFFF))
    if version == 6:
        return str(ipaddress.IPv6Address((int(hi) << 64) | int(lo)))
    return ""


def mac_text(value: int) -> str:
    """A MAC column value in canonical form (``02:00:00:00:00:01``)."""
    raw = int(value).to_bytes(6, "big")
    return ":".join(f"{b:02x}" for b in raw)


def mac_value(text: str) -> int:
    """The column value of a MAC written as ``02:00:00:00:00:01``."""
    return int(text.replace(":", "").replace("-", ""), 16)


def ip_columns(address: str) -> tuple[int, int, int]:
    """(ip_version, hi, lo) of an address, as the batch columns hold it."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return 4, 0, int(ip)
    return 6, int(ip) >> 64, int(ip) & 0xFFFFFFFFFFFFFFFF
