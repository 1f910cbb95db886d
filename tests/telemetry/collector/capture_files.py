"""Capture files written for the tests: classic pcap and pcapng around UDP datagrams.

Frames are built here (Ethernet with optional 802.1Q tag, Linux cooked SLL/SLL2, raw IP; IPv4
or IPv6), so each test says exactly what the reader must find.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from pathlib import Path

from ixcenter.telemetry.collector import pcap

SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")


def ip_udp(source: str, destination: str, sport: int, dport: int, payload: bytes) -> bytes:
    """An IPv4 or IPv6 packet carrying one UDP datagram (checksums left zero)."""
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if src.version == 4:
        head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                           src.packed, dst.packed)  # fmt: skip
        return head + udp
    return struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, src.packed, dst.packed) + udp


def link_frame(packet: bytes, link: int, vlan: int | None = None) -> bytes:
    """``packet`` (IPv4 or IPv6) framed for a link type of the capture file."""
    etype = 0x86DD if packet[0] >> 4 == 6 else 0x0800
    if link == pcap.ETHERNET:
        tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
        return DST_MAC + SRC_MAC + tag + struct.pack("!H", etype) + packet
    if link == pcap.LINUX_SLL:
        return struct.pack("!HHH8sH", 0, 1, 6, SRC_MAC + b"\0\0", etype) + packet
    if link == pcap.LINUX_SLL2:
        return struct.pack("!HHIHBB8s", etype, 0, 2, 1, 0, 6, SRC_MAC + b"\0\0") + packet
    if link == pcap.RAW:
        return packet
    raise ValueError(f"no framing for link type {link}")


def write_pcap(
    path: Path,
    frames: Sequence[tuple[int, bytes]],
    link: int = pcap.ETHERNET,
    *,
    big_endian: bool = False,
    nano: bool = False,
) -> None:
    """``frames`` as (unix milliseconds, frame) in a classic pcap file."""
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)]
    for time_ms, frame in frames:
        frac = (time_ms % 1000) * (1_000_000 if nano else 1000)
        out.append(struct.pack(order + "IIII", time_ms // 1000, frac, len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))


def _block(kind: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def write_pcapng(
    path: Path,
    frames: Sequence[tuple[int, bytes]],
    link: int = pcap.ETHERNET,
    *,
    nano: bool = False,
    simple: bool = False,
) -> None:
    """``frames`` in a pcapng file: one section, one interface, enhanced (or simple) packets.

    ``nano`` declares nanosecond time stamps (option if_tsresol = 9).
    """
    blocks = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    options = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0) if nano else b""
    blocks.append(_block(1, struct.pack("<HHI", link, 0, 65535) + options))
    units = 1_000_000 if nano else 1000
    for time_ms, frame in frames:
        if simple:
            blocks.append(_block(3, struct.pack("<I", len(frame)) + frame))
            continue
        stamp = time_ms * units
        head = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
        blocks.append(_block(6, head + frame))
    path.write_bytes(b"".join(blocks))
