"""What the collector has seen, per exporter and per socket, as a snapshot for status and metrics.

``Accounting`` adds up the decoders' ``DecodeStats`` per (protocol, exporter) over the collector's
life; ``snapshot`` freezes it, with the sockets' counters, into a ``CollectorSnapshot`` (plain
values: the status line, ``--json``, and later ``/metrics`` and the portal read it).

Loss is accounted where it happens: on the way from the exporter (sequence gaps: sFlow datagrams,
IPFIX records, NetFlow v9 packets), inside the agent (sFlow ``drops``), and in this machine's
kernel (socket drops, which no exporter can be blamed for: they are kept per socket).

An exporter is any address a datagram came from, so a flood of spoofed sources would grow the
table without bound: past ``max_exporters`` new addresses are counted together under ``other``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats

OTHER = "other"
COUNTS = tuple(f.name for f in fields(ExporterStats) if f.name != "last_error")


@dataclass(frozen=True, slots=True)
class ExporterCounts:
    """One exporter's counts under one protocol (the fields of ``ExporterStats``)."""

    protocol: str
    exporter: str
    datagrams: int = 0
    malformed: int = 0
    samples: int = 0
    counters: int = 0
    sequence_gaps: int = 0
    sequence_resets: int = 0
    agent_drops: int = 0
    no_template: int = 0
    count_mismatches: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class SocketCounts:
    """One listening socket: what was read from it and what the kernel dropped."""

    protocol: str
    address: str
    port: int
    received: int = 0
    kernel_drops: int = 0
    queued_bytes: int = 0


@dataclass(frozen=True, slots=True)
class CollectorSnapshot:
    """Everything counted so far; every number only grows while the collector runs."""

    exporters: tuple[ExporterCounts, ...] = ()
    sockets: tuple[SocketCounts, ...] = ()
    rows_written: int = 0  # flow rows handed to the sink
    counter_rows_written: int = 0
    batches_written: int = 0
    rows_pending: int = 0  # decoded, not yet handed over

    def total(self, name: str) -> int:
        """One exporter counter summed over all exporters (``"samples"``, ``"malformed"``...)."""
        return sum(int(getattr(e, name)) for e in self.exporters)

    @property
    def kernel_drops(self) -> int:
        return sum(s.kernel_drops for s in self.sockets)

    @property
    def received(self) -> int:
        return sum(s.received for s in self.sockets)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received"] = self.received
        data["kernel_drops"] = self.kernel_drops
        data["totals"] = {name: self.total(name) for name in COUNTS}
        return data


class Accounting:
    """Running per-(protocol, exporter) counts."""

    def __init__(self, max_exporters: int = 10_000) -> None:
        self.max_exporters = max_exporters
        self._stats: dict[tuple[str, str], ExporterStats] = {}

    def add(self, protocol: str, stats: DecodeStats) -> None:
        protocol = str(protocol)  # a Protocol (StrEnum) is kept as its plain value
        table = self._stats
        for exporter, counts in stats.exporters.items():
            key = (protocol, exporter)
            found = table.get(key)
            if found is None:
                if len(table) >= self.max_exporters:
                    key = (protocol, OTHER)
                found = table.setdefault(key, ExporterStats())
            found.merge(counts)

    def exporters(self) -> tuple[ExporterCounts, ...]:
        return tuple(
            ExporterCounts(protocol, exporter, **asdict(stats))
            for (protocol, exporter), stats in sorted(self._stats.items())
        )

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self._stats.values())
