"""Sampled packet headers (Ethernet, 802.1Q, IPv4, IPv6, TCP/UDP/SCTP ports), parsed in bulk.

``parse_headers`` reads many headers at once with numpy: each header is a (offset, length) window
into one shared buffer, so no per-sample Python object is made. Each field is one gather of
big-endian words across all headers (headers starting at a multiple of 4, as the sFlow walk
leaves them, are read in place; others are first copied out, ``WINDOW`` bytes each). A short
header yields zeros for the fields it does not reach, never garbage.
``build_frame`` writes a frame for tests and the lab's synthesiser.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.batch import FLOW_DTYPE

#: sFlow header_protocol values understood here (sFlow v5, "header_protocol").
ETHERNET = 1
IPV4 = 11
IPV6 = 12

PAD = 160  # zero bytes the shared buffer needs after its last header
WINDOW = 96  # bytes of a header that can hold a field read here (ports end by byte 86)

#: The FLOW_DTYPE columns ``parse_headers`` fills.
FIELDS = ("src_mac", "dst_mac", "vlan", "ip_version", "protocol", "src_ip_hi", "src_ip_lo",
          "dst_ip_hi", "dst_ip_lo", "src_port", "dst_port")  # fmt: skip


def windows(view: NDArray[Any], width: int) -> NDArray[Any]:
    """Every run of ``width`` consecutive items of the 1-D ``view`` (row ``i`` starts at item
    ``i``), without copying: indexing it with n starts gathers n rows at once."""
    rows = max(len(view) - width + 1, 0)
    step = view.strides[0]
    return np.ndarray((rows, width), view.dtype, view, 0, (step, step))


def _tpid(etype: NDArray[np.int64]) -> NDArray[np.bool_]:
    tagged: NDArray[np.bool_] = (etype == 0x8100) | (etype == 0x88A8) | (etype == 0x9100)
    return tagged


def _aligned(
    buf: NDArray[np.uint8], offsets: NDArray[np.int64]
) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """``buf`` and ``offsets`` such that every header starts at a multiple of 4 (copying the
    first ``WINDOW`` bytes of each header into a new buffer when they do not already)."""
    if len(buf) % 4 == 0 and not (offsets & 3).any():
        return buf, offsets
    rows = windows(buf, WINDOW)[offsets]
    return rows.reshape(-1), np.arange(0, len(offsets) * WINDOW, WINDOW)


def _rows(view: NDArray[Any], at: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """``width`` items of ``view`` from each of ``at``, as a (width, n) array of int64."""
    rows: NDArray[np.int64] = np.array(windows(view, width)[at].T, np.int64)
    return rows


def _masked(word: NDArray[np.int64], room: NDArray[np.int64]) -> NDArray[np.int64]:
    """``word`` with the bytes past ``room`` (0-4 bytes of it in the header) zeroed."""
    keep = np.clip(room, 0, 4)
    result: NDArray[np.int64] = word & ~((1 << (32 - 8 * keep)) - 1)
    return result


def parse_headers(
    buf: NDArray[np.uint8],
    offsets: NDArray[Any],
    lengths: NDArray[Any],
    protocols: NDArray[Any],
    out: NDArray[Any],
) -> None:
    """Write the fields of the headers at ``buf[offsets[i] : offsets[i] + lengths[i]]`` into
    the ``FIELDS`` columns of ``out`` (a zeroed structured array with those columns).

    ``buf`` must have ``PAD`` readable bytes after the last header. Each field is read as
    big-endian words gathered across all headers at once; past the link layer, only where the
    header is long enough to hold it.
    """
    buf, offsets = _aligned(buf, offsets.astype(np.int64))
    lengths = np.minimum(lengths.astype(np.int64), 1 << 16)
    words, halves = buf.view(">u4"), buf.view(">u2")
    at = offsets >> 2
    link = _rows(words, at, 6)  # Ethernet and two VLAN tags (22 bytes)
    short = np.flatnonzero(lengths < 24)
    if len(short):
        link[:, short] = _masked(link[:, short], lengths[short] - 4 * np.arange(6)[:, None])

    ether = protocols == ETHERNET
    np.copyto(out["dst_mac"], link[0] << 16 | link[1] >> 16, where=ether, casting="unsafe")
    np.copyto(out["src_mac"], (link[1] & 0xFFFF) << 32 | link[2], where=ether, casting="unsafe")
    first = link[3] >> 16
    tagged = ether & _tpid(first)
    second = link[4] >> 16
    inner = tagged & _tpid(second)  # QinQ: the outer tag is the exchange's VLAN
    np.copyto(out["vlan"], link[3] & 0xFFF, where=tagged, casting="unsafe")
    etype = np.where(inner, link[5] >> 16, np.where(tagged, second, first))
    l3 = 14 + 4 * tagged.astype(np.int64) + 4 * inner
    if not ether.all():
        ip_type = np.where(protocols == IPV4, 0x0800, np.where(protocols == IPV6, 0x86DD, 0))
        etype = np.where(ether, etype, ip_type)
        l3 = np.where(ether, l3, 0)

    # IPv4, or IPv6's first 20 bytes: every header type puts them at an even offset
    ip = _rows(halves, (offsets + l3) >> 1, 10)
    version = ip[0] >> 12
    v4 = (etype == 0x0800) & (version == 4) & (lengths >= l3 + 20)
    v6 = (etype == 0x86DD) & (version == 6) & (lengths >= l3 + 40)
    out["ip_version"] = 4 * v4 + 6 * v6.astype(np.uint8)
    proto = np.where(v4, ip[4] & 0xFF, np.where(v6, ip[3] >> 8, 0))
    out["protocol"] = proto
    np.copyto(out["src_ip_lo"], ip[6] << 16 | ip[7], where=v4, casting="unsafe")
    np.copyto(out["dst_ip_lo"], ip[8] << 16 | ip[9], where=v4, casting="unsafe")
    at6 = np.flatnonzero(v6)
    if len(at6):
        six = windows(halves, 16)[(offsets[at6] + l3[at6] + 8) >> 1]
        six = np.ascontiguousarray(six).view(np.uint8).view(">u8")
        for k, name in enumerate(("src_ip_hi", "src_ip_lo", "dst_ip_hi", "dst_ip_lo")):
            out[name][at6] = six[:, k]

    ihl = (ip[0] >> 8 & 0x0F) * 4
    first_fragment = ip[3] & 0x1FFF == 0
    l4 = l3 + np.where(v4, ihl, 40)
    has_ports = (
        ((v4 & first_fragment & (ihl >= 20)) | v6)
        & ((proto == 6) | (proto == 17) | (proto == 132))  # TCP, UDP, SCTP
        & (lengths >= l4 + 4)
    )
    ports = (offsets + np.where(has_ports, l4, 0)) >> 1
    np.copyto(out["src_port"], halves[ports], where=has_ports)
    np.copyto(out["dst_port"], halves[ports + 1], where=has_ports)


def parse_header(header: bytes, protocol: int = ETHERNET) -> dict[str, int]:
    """The fields of one header (for tests and tools; the decoders use ``parse_headers``)."""
    buf = np.frombuffer(header + bytes(PAD), np.uint8)
    out = np.zeros(1, FLOW_DTYPE)
    parse_headers(buf, np.zeros(1, np.int64), np.array([len(header)]), np.array([protocol]), out)
    return {name: int(out[name][0]) for name in FIELDS}


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
