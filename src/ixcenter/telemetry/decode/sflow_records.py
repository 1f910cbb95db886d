"""sFlow v5 structures as values, one class per format, each with ``from_bytes``/``to_bytes``.

These build datagrams for tests, the lab's synthesiser and benchmarks, and are the readable
reference the bulk decoder (``sflow.py``) is tested against. They are not used on the hot path.
Formats follow sflow.org "sFlow Version 5" (XDR: big-endian, opaque data padded to 4 bytes).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from ixcenter.core.errors import DecodeError

_II = struct.Struct(">II")
_RAW = struct.Struct(">IIII")
_SWITCH = struct.Struct(">IIII")
_FLOW = struct.Struct(">IIIIIIII")
_FLOW_X = struct.Struct(">IIIIIIIIIII")
_COUNTER = struct.Struct(">III")
_COUNTER_X = struct.Struct(">IIII")
_IFC = struct.Struct(">IIQIIQIIIIIIQIIIIII")
_HEAD = struct.Struct(">IIII")


def _need(data: bytes, off: int, size: int, what: str) -> None:
    if off < 0 or off + size > len(data):
        raise DecodeError(f"sFlow {what} truncated", off)


def _pad4(n: int) -> int:
    return (n + 3) & ~3


@dataclass(frozen=True, slots=True)
class RawPacketHeader:
    """Flow record format 1: the first bytes of a sampled frame."""

    frame_length: int
    header: bytes
    protocol: int = 1  # 1 = Ethernet
    stripped: int = 0
    FORMAT = 1

    def body(self) -> bytes:
        head = _RAW.pack(self.protocol, self.frame_length, self.stripped, len(self.header))
        return head + self.header + bytes(_pad4(len(self.header)) - len(self.header))

    @classmethod
    def from_body(cls, data: bytes, off: int, end: int) -> RawPacketHeader:
        _need(data[:end], off, 16, "raw packet header")
        protocol, frame_length, stripped, length = _RAW.unpack_from(data, off)
        if off + 16 + length > end:
            raise DecodeError("sFlow raw header longer than its record", off + 12)
        return cls(frame_length, data[off + 16 : off + 16 + length], protocol, stripped)


@dataclass(frozen=True, slots=True)
class ExtendedSwitch:
    """Flow record format 1001: VLANs and 802.1p priorities in and out."""

    src_vlan: int
    src_priority: int = 0
    dst_vlan: int = 0
    dst_priority: int = 0
    FORMAT = 1001

    def body(self) -> bytes:
        return _SWITCH.pack(self.src_vlan, self.src_priority, self.dst_vlan, self.dst_priority)

    @classmethod
    def from_body(cls, data: bytes, off: int, end: int) -> ExtendedSwitch:
        _need(data[:end], off, 16, "extended switch record")
        return cls(*_SWITCH.unpack_from(data, off))


@dataclass(frozen=True, slots=True)
class GenericInterfaceCounters:
    """Counter record format 1 (RFC 2233 interface counters)."""

    if_index: int
    if_type: int = 6
    speed: int = 0
    direction: int = 1
    status: int = 3
    in_octets: int = 0
    in_ucast: int = 0
    in_multicast: int = 0
    in_broadcast: int = 0
    in_discards: int = 0
    in_errors: int = 0
    in_unknown_protos: int = 0
    out_octets: int = 0
    out_ucast: int = 0
    out_multicast: int = 0
    out_broadcast: int = 0
    out_discards: int = 0
    out_errors: int = 0
    promiscuous: int = 0
    FORMAT = 1

    def body(self) -> bytes:
        return _IFC.pack(*(getattr(self, name) for name in self.__dataclass_fields__))

    @classmethod
    def from_body(cls, data: bytes, off: int, end: int) -> GenericInterfaceCounters:
        _need(data[:end], off, _IFC.size, "generic interface counters")
        return cls(*_IFC.unpack_from(data, off))


@dataclass(frozen=True, slots=True)
class UnknownRecord:
    """A record of a format not read here, kept as its opaque body."""

    format: int
    data: bytes

    def body(self) -> bytes:
        return self.data + bytes(_pad4(len(self.data)) - len(self.data))


FlowRecord = RawPacketHeader | ExtendedSwitch | UnknownRecord
CounterRecord = GenericInterfaceCounters | UnknownRecord


def _record(fmt: int, body: bytes) -> bytes:
    return _II.pack(fmt, len(body)) + body


def _read_records(
    data: bytes, off: int, end: int, count: int, known: dict[int, type]
) -> tuple[list[object], int]:
    records: list[object] = []
    for _ in range(count):
        _need(data[:end], off, 8, "record header")
        fmt, length = _II.unpack_from(data, off)
        body_end = off + 8 + length
        if body_end > end:
            raise DecodeError("sFlow record longer than its sample", off + 4)
        cls = known.get(fmt)
        if cls is None:
            records.append(UnknownRecord(fmt, data[off + 8 : body_end]))
        else:
            records.append(cls.from_body(data, off + 8, body_end))  # type: ignore[attr-defined]
        off = body_end
    return records, off


@dataclass(frozen=True, slots=True)
class FlowSample:
    """Sample format 1 (or 3, ``expanded``): one sampled packet and its records."""

    sequence: int
    source_id: int  # type << 24 | index (expanded: type and index kept apart on the wire)
    sampling_rate: int
    sample_pool: int
    drops: int
    input: int
    output: int
    records: tuple[FlowRecord, ...] = ()
    expanded: bool = False

    def to_bytes(self) -> bytes:
        recs = b"".join(_record(r.format if isinstance(r, UnknownRecord) else r.FORMAT, r.body())
                        for r in self.records)  # fmt: skip
        n = len(self.records)
        if self.expanded:
            head = _FLOW_X.pack(
                self.sequence, self.source_id >> 24, self.source_id & 0xFFFFFF,
                self.sampling_rate, self.sample_pool, self.drops,
                self.input >> 30, self.input & 0x3FFFFFFF,
                self.output >> 30, self.output & 0x3FFFFFFF, n,
            )  # fmt: skip
            return _record(3, head + recs)
        return _record(1, _FLOW.pack(self.sequence, self.source_id, self.sampling_rate,
                                     self.sample_pool, self.drops, self.input, self.output, n)
                       + recs)  # fmt: skip

    @classmethod
    def from_body(cls, data: bytes, off: int, end: int, expanded: bool) -> FlowSample:
        known: dict[int, type] = {1: RawPacketHeader, 1001: ExtendedSwitch}
        if expanded:
            _need(data[:end], off, _FLOW_X.size, "expanded flow sample")
            seq, stype, sidx, rate, pool, drops, ifmt, ival, ofmt, oval, n = _FLOW_X.unpack_from(
                data, off
            )
            source, inp, out = stype << 24 | sidx, ifmt << 30 | ival, ofmt << 30 | oval
            off += _FLOW_X.size
        else:
            _need(data[:end], off, _FLOW.size, "flow sample")
            seq, source, rate, pool, drops, inp, out, n = _FLOW.unpack_from(data, off)
            off += _FLOW.size
        records, _ = _read_records(data, off, end, n, known)
        return cls(seq, source, rate, pool, drops, inp, out, tuple(records), expanded)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CounterSample:
    """Sample format 2 (or 4, ``expanded``): counters of one data source."""

    sequence: int
    source_id: int
    records: tuple[CounterRecord, ...] = ()
    expanded: bool = False

    def to_bytes(self) -> bytes:
        recs = b"".join(_record(r.format if isinstance(r, UnknownRecord) else r.FORMAT, r.body())
                        for r in self.records)  # fmt: skip
        n = len(self.records)
        if self.expanded:
            head = _COUNTER_X.pack(self.sequence, self.source_id >> 24,
                                   self.source_id & 0xFFFFFF, n)  # fmt: skip
            return _record(4, head + recs)
        return _record(2, _COUNTER.pack(self.sequence, self.source_id, n) + recs)

    @classmethod
    def from_body(cls, data: bytes, off: int, end: int, expanded: bool) -> CounterSample:
        if expanded:
            _need(data[:end], off, 16, "expanded counter sample")
            seq, stype, sidx, n = _COUNTER_X.unpack_from(data, off)
            source = stype << 24 | sidx
            off += 16
        else:
            _need(data[:end], off, 12, "counter sample")
            seq, source, n = _COUNTER.unpack_from(data, off)
            off += 12
        records, _ = _read_records(data, off, end, n, {1: GenericInterfaceCounters})
        return cls(seq, source, tuple(records), expanded)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SflowDatagram:
    """An sFlow v5 datagram: agent, sequence number, uptime and samples."""

    agent: ipaddress.IPv4Address | ipaddress.IPv6Address
    sequence: int
    uptime_ms: int = 0
    sub_agent: int = 0
    samples: tuple[FlowSample | CounterSample, ...] = field(default=())

    def to_bytes(self) -> bytes:
        kind = 1 if self.agent.version == 4 else 2
        head = _II.pack(5, kind) + self.agent.packed
        head += _HEAD.pack(self.sub_agent, self.sequence, self.uptime_ms, len(self.samples))
        return head + b"".join(s.to_bytes() for s in self.samples)

    @classmethod
    def from_bytes(cls, data: bytes) -> SflowDatagram:
        _need(data, 0, 8, "datagram header")
        version, kind = _II.unpack_from(data, 0)
        if version != 5:
            raise DecodeError(f"sFlow version {version}, not 5", 0)
        if kind not in (1, 2):
            raise DecodeError(f"sFlow agent address type {kind}", 4)
        size = 4 if kind == 1 else 16
        _need(data, 8, size + 16, "datagram header")
        agent = ipaddress.ip_address(data[8 : 8 + size])
        sub, seq, uptime, count = _HEAD.unpack_from(data, 8 + size)
        off = 24 + size
        samples: list[FlowSample | CounterSample] = []
        for _ in range(count):
            _need(data, off, 8, "sample header")
            fmt, length = _II.unpack_from(data, off)
            end = off + 8 + length
            if end > len(data):
                raise DecodeError("sFlow sample longer than its datagram", off + 4)
            if fmt in (1, 3):
                samples.append(FlowSample.from_body(data, off + 8, end, fmt == 3))
            elif fmt in (2, 4):
                samples.append(CounterSample.from_body(data, off + 8, end, fmt == 4))
            off = end
        return cls(agent, seq, uptime, sub, tuple(samples))
