"""UDP datagrams out of packet captures: classic pcap and pcapng, for ``ixc flows import``.

Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked (SLL and SLL2), raw IP, BSD
loopback. Network: IPv4 (unfragmented datagrams; fragments are counted and skipped) and IPv6
(extension headers skipped; fragments counted). Frames cut shorter than their UDP datagram
(a small snap length) are counted as ``truncated`` and skipped. A file that ends in the middle
of a record (a capture interrupted while writing) ends the read; ``CaptureCounts.cut_short``
says so. A file that is neither format raises ``FormatError``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from ixcenter.core.errors import FormatError, Problem

ETHERNET, RAW, RAW_OLD, RAW_OPENBSD, IPV4, IPV6 = 1, 101, 12, 14, 228, 229
NULL, LOOP, LINUX_SLL, LINUX_SLL2 = 0, 108, 113, 276
_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
_V6_EXTENSIONS = (0, 43, 60)  # hop-by-hop, routing, destination options
_PCAPNG_SHB = 0x0A0D0D0A
_BYTE_ORDER = 0x1A2B3C4D


class UdpDatagram(NamedTuple):
    time_ms: int
    source: str  # exporter address
    port: int  # destination port
    payload: bytes


@dataclass(slots=True)
class CaptureCounts:
    frames: int = 0
    udp: int = 0  # UDP datagrams read whole
    other: int = 0  # not IP, or IP but not UDP
    fragments: int = 0
    truncated: int = 0
    unsupported_link: int = 0
    cut_short: bool = False


class CaptureReader:
    """Reads one capture file; ``datagrams()`` yields its UDP datagrams in file order."""

    def __init__(self, stream: BinaryIO) -> None:
        self._in = stream
        self.counts = CaptureCounts()
        self.position = 0  # bytes consumed, for progress
        self._names: dict[bytes, str] = {}
        head = self._read(4)
        if len(head) < 4:
            raise _bad("file too short for a capture header")
        self._pcapng = struct.unpack("<I", head)[0] == _PCAPNG_SHB
        self._head = head

    def datagrams(self) -> Iterator[UdpDatagram]:
        frames = self._pcapng_frames() if self._pcapng else self._pcap_frames()
        for time_ms, link, frame in frames:
            self.counts.frames += 1
            found = self._udp(link, frame, time_ms)
            if found is not None:
                self.counts.udp += 1
                yield found

    # -- file formats -----------------------------------------------------------------------

    def _read(self, n: int) -> bytes:
        data = self._in.read(n)
        self.position += len(data)
        return data

    def _pcap_frames(self) -> Iterator[tuple[int, int, bytes]]:
        rest = self._read(20)
        magic = self._head
        endian = ""
        nano = False
        for order in "<>":
            value = struct.unpack(order + "I", magic)[0]
            if value in (0xA1B2C3D4, 0xA1B23C4D):
                endian, nano = order, value == 0xA1B23C4D
        if not endian or len(rest) < 20:
            raise _bad("not a pcap or pcapng file")
        link = struct.unpack(endian + "I", rest[16:20])[0] & 0x03FFFFFF
        record = struct.Struct(endian + "IIII")
        divisor = 1_000_000 if nano else 1000
        while True:
            header = self._read(16)
            if len(header) < 16:
                self.counts.cut_short = bool(header)
                return
            sec, frac, captured, _length = record.unpack(header)
            frame = self._read(captured)
            if len(frame) < captured:
                self.counts.cut_short = True
                return
            yield sec * 1000 + frac // divisor, link, frame

    def _pcapng_frames(self) -> Iterator[tuple[int, int, bytes]]:
        endian = "<"
        interfaces: list[tuple[int, int]] = []  # (link type, units per second)
        block_type = _PCAPNG_SHB
        first = True
        while True:
            if not first:
                head = self._read(4)
                if len(head) < 4:
                    self.counts.cut_short = bool(head)
                    return
                block_type = struct.unpack(endian + "I", head)[0]
            raw_length = self._read(4)
            if block_type == _PCAPNG_SHB:
                body_start = self._read(4)
                if len(body_start) < 4:
                    raise _bad("pcapng section header truncated")
                for order in "<>":
                    if struct.unpack(order + "I", body_start)[0] == _BYTE_ORDER:
                        endian = order
                        break
                else:
                    raise _bad("pcapng byte-order magic missing")
                length = struct.unpack(endian + "I", raw_length)[0]
                if length < 28 or length % 4:
                    raise _bad(f"pcapng section header length {length}")
                self._read(length - 12)
                interfaces = []
                first = False
                continue
            if len(raw_length) < 4:
                self.counts.cut_short = True
                return
            length = struct.unpack(endian + "I", raw_length)[0]
            if length < 12 or length % 4:
                raise _bad(f"pcapng block length {length}")
            body = self._read(length - 8)
            if len(body) < length - 8:
                self.counts.cut_short = True
                return
            body = body[:-4]  # the trailing copy of the length
            if block_type == 1:  # interface description
                if len(body) < 8:
                    raise _bad("pcapng interface description truncated")
                link = struct.unpack(endian + "H", body[:2])[0]
                interfaces.append((link, _resolution(body[8:], endian)))
            elif block_type in (6, 2):  # enhanced packet, obsolete packet
                if len(body) < 20:
                    raise _bad(f"pcapng packet block of {length} bytes")
                if block_type == 6:
                    iface, hi, lo, captured = struct.unpack(endian + "IIII", body[:16])
                else:
                    iface, _drops, hi, lo, captured = struct.unpack(endian + "HHIII", body[:16])
                if iface >= len(interfaces):
                    raise _bad(f"pcapng packet of undeclared interface {iface}")
                link, units = interfaces[iface]
                stamp = (hi << 32) | lo
                yield stamp * 1000 // units, link, body[20 : 20 + captured]
            elif block_type == 3:  # simple packet: no time, captured = what the block holds
                if not interfaces:
                    raise _bad("pcapng simple packet before any interface")
                original = struct.unpack(endian + "I", body[:4])[0]
                yield 0, interfaces[0][0], body[4 : 4 + original]

    # -- link, network and transport ------------------------------------------------------

    def _udp(self, link: int, frame: bytes, time_ms: int) -> UdpDatagram | None:
        if link == ETHERNET:
            if len(frame) < 14:
                return self._other()
            etype = (frame[12] << 8) | frame[13]
            at = 14
            while etype in _VLAN_TPIDS and len(frame) >= at + 4:
                etype = (frame[at + 2] << 8) | frame[at + 3]
                at += 4
        elif link == LINUX_SLL:
            if len(frame) < 16:
                return self._other()
            etype, at = (frame[14] << 8) | frame[15], 16
        elif link == LINUX_SLL2:
            if len(frame) < 20:
                return self._other()
            etype, at = (frame[0] << 8) | frame[1], 20
        elif link in (RAW, RAW_OLD, RAW_OPENBSD, IPV4, IPV6):
            if not frame:
                return self._other()
            etype, at = {4: 0x0800, 6: 0x86DD}.get(frame[0] >> 4, 0), 0
        elif link in (NULL, LOOP):
            if len(frame) < 4:
                return self._other()
            family = frame[0] if frame[0] else frame[3]  # host or network byte order
            etype, at = {2: 0x0800, 24: 0x86DD, 28: 0x86DD, 30: 0x86DD}.get(family, 0), 4
        else:
            self.counts.unsupported_link += 1
            return None
        if etype == 0x0800:
            return self._ipv4(frame, at, time_ms)
        if etype == 0x86DD:
            return self._ipv6(frame, at, time_ms)
        return self._other()

    def _ipv4(self, frame: bytes, at: int, time_ms: int) -> UdpDatagram | None:
        if len(frame) < at + 20 or frame[at] >> 4 != 4:
            return self._other()
        ihl = (frame[at] & 0x0F) * 4
        total = (frame[at + 2] << 8) | frame[at + 3]
        flags_offset = (frame[at + 6] << 8) | frame[at + 7]
        if frame[at + 9] != 17:
            return self._other()
        if flags_offset & 0x3FFF:  # more fragments, or not the first
            self.counts.fragments += 1
            return None
        return self._datagram(frame, at + ihl, at + total, frame[at + 12 : at + 16], time_ms)

    def _ipv6(self, frame: bytes, at: int, time_ms: int) -> UdpDatagram | None:
        if len(frame) < at + 40 or frame[at] >> 4 != 6:
            return self._other()
        end = at + 40 + ((frame[at + 4] << 8) | frame[at + 5])
        source = frame[at + 8 : at + 24]
        header = frame[at + 6]
        at += 40
        while header in _V6_EXTENSIONS or header in (44, 51):
            if len(frame) < at + 8:
                self.counts.truncated += 1
                return None
            if header == 44:
                self.counts.fragments += 1
                return None
            size = (frame[at + 1] + 2) * 4 if header == 51 else (frame[at + 1] + 1) * 8
            header = frame[at]
            at += size
        if header != 17:
            return self._other()
        return self._datagram(frame, at, end, source, time_ms)

    def _datagram(
        self, frame: bytes, at: int, end: int, source: bytes, time_ms: int
    ) -> UdpDatagram | None:
        if len(frame) < at + 8:
            self.counts.truncated += 1
            return None
        port = (frame[at + 2] << 8) | frame[at + 3]
        length = (frame[at + 4] << 8) | frame[at + 5]
        stop = at + length
        if length < 8 or stop > end or stop > len(frame):
            self.counts.truncated += 1
            return None
        name = self._names.get(source)
        if name is None:
            family = socket.AF_INET if len(source) == 4 else socket.AF_INET6
            name = self._names[source] = socket.inet_ntop(family, source)
        return UdpDatagram(time_ms, name, port, frame[at + 8 : stop])

    def _other(self) -> UdpDatagram | None:
        """Count a frame that is not UDP over IP (returns None, for the caller to return)."""
        self.counts.other += 1
        return None


def _resolution(options: bytes, endian: str) -> int:
    """Time units per second of a pcapng interface (option if_tsresol; default microseconds)."""
    at = 0
    while at + 4 <= len(options):
        code, size = struct.unpack(endian + "HH", options[at : at + 4])
        if code == 0:
            break
        if code == 9 and size >= 1:
            value = options[at + 4]
            return int(2 ** (value & 0x7F) if value & 0x80 else 10**value)
        at += 4 + size + (-size % 4)
    return 1_000_000


def _bad(message: str) -> FormatError:
    return FormatError([Problem("capture", message, "malformed")])
