"""Sampled packet headers (Ethernet, 802.1Q, IPv4, IPv6, TCP/UDP/SCTP ports), parsed in bulk.

``parse_headers`` reads many headers at once with numpy: each header is a (offset, length) window
into one shared buffer, so no per-sample Python object is made. Bytes past a header's length read
as zero, so a short header yields zeros for the fields it does not reach, never garbage.
``build_frame`` writes a frame for tests and the lab's synthesiser.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: sFlow header_protocol values understood here (sFlow v5, "header_protocol").
ETHERNET = 1
IPV4 = 11
IPV6 = 12

_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
_PORT_PROTOCOLS = (6, 17, 132)  # TCP, UDP, SCTP
WINDOW = 64  # bytes of each header read at once: Ethernet + two tags + an IPv6 header fit
PAD = 160  # zero bytes the shared buffer needs after its last header


def _u16(m: NDArray[np.uint8], col: int) -> NDArray[np.int64]:
    out: NDArray[np.int64] = (m[:, col].astype(np.int64) << 8) | m[:, col + 1]
    return out


def _be(m: NDArray[np.uint8], start: int, width: int) -> NDArray[np.uint64]:
    """Big-endian integer of ``width`` (<= 8) bytes at ``start`` of every row."""
    out = np.zeros(len(m), np.uint64)
    for k in range(width):
        out = (out << np.uint64(8)) | m[:, start + k].astype(np.uint64)
    return out


def parse_headers(
    buf: NDArray[np.uint8],
    offsets: NDArray[Any],
    lengths: NDArray[Any],
    protocols: NDArray[Any],
) -> dict[str, NDArray[Any]]:
    """Fields of the headers at ``buf[offsets[i] : offsets[i] + lengths[i]]``.

    ``buf`` must have ``PAD`` readable bytes after the last header. Returns the FLOW_DTYPE columns
    src_mac, dst_mac, vlan, ip_version, protocol, src_ip_hi/lo, dst_ip_hi/lo, src_port, dst_port.
    """
    n = len(offsets)
    offsets = offsets.astype(np.int64)
    lengths = np.minimum(lengths.astype(np.int64), 1 << 16)
    cols = np.arange(WINDOW)
    m = buf[offsets[:, None] + cols]
    m = np.where(cols < lengths[:, None], m, 0).astype(np.uint8)
    out: dict[str, NDArray[Any]] = {}

    ether = protocols == ETHERNET
    out["dst_mac"] = np.where(ether, _be(m, 0, 6), 0)
    out["src_mac"] = np.where(ether, _be(m, 6, 6), 0)
    etype = np.where(ether, _u16(m, 12), 0)
    l3 = np.where(ether, 14, 0)
    vlan = np.zeros(n, np.int64)
    tagged = ether & np.isin(etype, _VLAN_TPIDS)
    vlan = np.where(tagged, _u16(m, 14) & 0xFFF, vlan)
    etype = np.where(tagged, _u16(m, 16), etype)
    l3 = np.where(tagged, 18, l3)
    inner = tagged & np.isin(etype, _VLAN_TPIDS)  # QinQ: the outer tag is the exchange's VLAN
    etype = np.where(inner, _u16(m, 20), etype)
    l3 = np.where(inner, 22, l3)
    etype = np.where(protocols == IPV4, 0x0800, etype)
    etype = np.where(protocols == IPV6, 0x86DD, etype)
    out["vlan"] = vlan

    ip = np.take_along_axis(m, l3[:, None] + np.arange(40), axis=1)
    version = ip[:, 0] >> 4
    v4 = (etype == 0x0800) & (version == 4) & (lengths >= l3 + 20)
    v6 = (etype == 0x86DD) & (version == 6) & (lengths >= l3 + 40)
    out["ip_version"] = np.where(v4, 4, np.where(v6, 6, 0))
    proto = np.where(v4, ip[:, 9], np.where(v6, ip[:, 6], 0))
    out["protocol"] = proto
    out["src_ip_hi"] = np.where(v6, _be(ip, 8, 8), 0)
    out["src_ip_lo"] = np.where(v6, _be(ip, 16, 8), np.where(v4, _be(ip, 12, 4), 0))
    out["dst_ip_hi"] = np.where(v6, _be(ip, 24, 8), 0)
    out["dst_ip_lo"] = np.where(v6, _be(ip, 32, 8), np.where(v4, _be(ip, 16, 4), 0))

    ihl = (ip[:, 0].astype(np.int64) & 0x0F) * 4
    first_fragment = ((ip[:, 6].astype(np.int64) & 0x1F) << 8 | ip[:, 7]) == 0
    l4 = l3 + np.where(v4, ihl, 40)
    has_ports = (
        ((v4 & first_fragment & (ihl >= 20)) | v6)
        & np.isin(proto, _PORT_PROTOCOLS)
        & (lengths >= l4 + 4)
    )
    at = offsets + np.where(has_ports, l4, 0)
    p = buf[at[:, None] + np.arange(4)].astype(np.int64)
    out["src_port"] = np.where(has_ports, p[:, 0] << 8 | p[:, 1], 0)
    out["dst_port"] = np.where(has_ports, p[:, 2] << 8 | p[:, 3], 0)
    return out


def parse_header(header: bytes, protocol: int = ETHERNET) -> dict[str, int]:
    """The fields of one header (for tests and tools; the decoders use ``parse_headers``)."""
    buf = np.frombuffer(header + bytes(PAD), np.uint8)
    cols = parse_headers(buf, np.zeros(1, np.int64), np.array([len(header)]), np.array([protocol]))
    return {name: int(values[0]) for name, values in cols.items()}


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_frame(
    src_mac: str,
    dst_mac: str,
    src_ip: str,
    dst_ip: str,
    *,
    protocol: int = 17,
    src_port: int = 0,
    dst_port: int = 0,
    vlan: int | None = None,
    payload: int = 0,
) -> bytes:
    """An Ethernet frame (optionally 802.1Q-tagged) carrying IPv4 or IPv6 and TCP/UDP/other.

    ``payload`` zero bytes follow the transport header. No FCS is appended.
    """
    src = ipaddress.ip_address(src_ip)
    dst = ipaddress.ip_address(dst_ip)
    if protocol == 6:
        l4 = struct.pack("!HHIIBBHHH", src_port, dst_port, 1, 0, 5 << 4, 0x18, 65535, 0, 0)
    elif protocol == 17:
        l4 = struct.pack("!HHHH", src_port, dst_port, 8 + payload, 0)
    else:
        l4 = b""
    body = l4 + bytes(payload)
    if src.version == 4:
        head = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0x4000, 64, protocol, 0,
            src.packed, dst.packed,
        )  # fmt: skip
        l3 = head[:10] + struct.pack("!H", _checksum(head)) + head[12:]
        etype = 0x0800
    else:
        l3 = struct.pack("!IHBB16s16s", 6 << 28, len(body), protocol, 64, src.packed, dst.packed)
        etype = 0x86DD
    l2 = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    if vlan is not None:
        l2 += struct.pack("!HH", 0x8100, vlan & 0xFFF)
    return l2 + struct.pack("!H", etype) + l3 + body
