"""Accounting of what the decoders saw: datagrams, malformed ones, samples, sequence gaps, drops.

Every datagram handed to a ``decode_many`` is counted once, as ``ok`` or ``malformed``, under the
exporter it came from; nothing is dropped silently.

Sequence numbers (loss on the way from the exporter):

- sFlow v5: one sequence number per datagram, per (agent address, sub-agent); a gap of ``n``
  means ``n`` datagrams lost. Agents also report ``drops`` (samples they could not export).
- NetFlow v9 (RFC 3954 5.1): one per export packet, per (exporter, source id).
- IPFIX (RFC 7011 3.1): the number of data records sent *before* this message, per (exporter,
  observation domain). softflowd 1.1.0 counts the current message's records too, so a strict
  collector sees a false gap on every message. ``SequenceMode.TOLERANT`` (the default) accepts
  either reading and counts a gap only when neither fits; ``RFC`` and ``INCLUSIVE`` hold an
  exporter to one reading. A jump backwards (exporter restart, reordering) is counted as a reset,
  not as loss.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields

_MOD = 1 << 32
_HALF = 1 << 31


class SequenceMode(enum.StrEnum):
    """How IPFIX sequence numbers are read (see the module docstring)."""

    RFC = "rfc"
    INCLUSIVE = "inclusive"
    TOLERANT = "tolerant"


@dataclass(slots=True)
class ExporterStats:
    """Counts for one exporter (the address datagrams came from)."""

    datagrams: int = 0  # decoded without error
    malformed: int = 0  # rejected with a DecodeError
    samples: int = 0  # flow samples (sFlow) or data records (IPFIX, NetFlow v9) decoded
    counters: int = 0  # interface counter records
    sequence_gaps: int = 0  # datagrams (sFlow), packets (NFv9) or records (IPFIX) lost
    sequence_resets: int = 0  # sequence numbers that went backwards
    agent_drops: int = 0  # sFlow: samples the agent itself dropped
    no_template: int = 0  # data sets whose template is not known (yet)
    count_mismatches: int = 0  # NetFlow v9 packets whose header count is not their record count
    last_error: str = ""

    def merge(self, other: ExporterStats) -> None:
        for f in fields(self):
            if f.name == "last_error":
                self.last_error = other.last_error or self.last_error
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(slots=True)
class DecodeStats:
    """Per-exporter counts of one ``decode_many`` call (or, merged, of many)."""

    exporters: dict[str, ExporterStats] = field(default_factory=dict)

    def exporter(self, address: str) -> ExporterStats:
        found = self.exporters.get(address)
        if found is None:
            found = self.exporters[address] = ExporterStats()
        return found

    def merge(self, other: DecodeStats) -> None:
        for address, counts in other.exporters.items():
            self.exporter(address).merge(counts)

    def total(self, name: str) -> int:
        """The sum of one counter (``"malformed"``, ``"samples"``, ...) over all exporters."""
        return sum(int(getattr(s, name)) for s in self.exporters.values())


def forward_gap(seq: int, expected: int) -> int:
    """How far ``seq`` is ahead of ``expected`` modulo 2**32; negative if it went backwards."""
    distance = (seq - expected) % _MOD
    return distance if distance < _HALF else distance - _MOD


class SequenceTracker:
    """Remembers the last sequence number per stream and counts gaps and resets."""

    __slots__ = ("_last", "mode")

    def __init__(self, mode: SequenceMode = SequenceMode.TOLERANT) -> None:
        self.mode = mode
        self._last: dict[object, tuple[int, int | None]] = {}

    def step(self, key: object, seq: int, stats: ExporterStats) -> None:
        """A counter that goes up by one per datagram (sFlow, NetFlow v9)."""
        last = self._last.get(key)
        self._last[key] = (seq, 1)
        if last is not None:
            self._account(forward_gap(seq, last[0] + 1), stats)

    def records(self, key: object, seq: int, count: int | None, stats: ExporterStats) -> None:
        """IPFIX: ``seq`` counts data records; ``count`` is this message's (None if unknown)."""
        last = self._last.get(key)
        self._last[key] = (seq, count)
        if last is None or last[1] is None or count is None:
            return
        rfc = forward_gap(seq, last[0] + last[1])
        inclusive = forward_gap(seq, last[0] + count)
        if self.mode is SequenceMode.RFC:
            self._account(rfc, stats)
        elif self.mode is SequenceMode.INCLUSIVE:
            self._account(inclusive, stats)
        elif rfc and inclusive:
            self._account(rfc if rfc < 0 or inclusive < 0 else min(rfc, inclusive), stats)

    @staticmethod
    def _account(gap: int, stats: ExporterStats) -> None:
        if gap > 0:
            stats.sequence_gaps += gap
        elif gap < 0:
            stats.sequence_resets += 1

    def forget(self) -> None:
        self._last.clear()
