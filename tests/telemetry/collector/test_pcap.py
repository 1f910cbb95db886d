"""The capture reader finds exactly the UDP datagrams written into pcap and pcapng files."""

from __future__ import annotations

import io
import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import FormatError
from ixcenter.telemetry.collector import pcap
from ixcenter.telemetry.collector.pcap import CaptureReader, UdpDatagram
from tests.telemetry.collector.capture_files import (
    ip_udp,
    link_frame,
    write_pcap,
    write_pcapng,
)

T0 = 1_700_000_000_123


def _read(path: Path) -> tuple[list[UdpDatagram], pcap.CaptureCounts]:
    with path.open("rb") as stream:
        reader = CaptureReader(stream)
        found = list(reader.datagrams())
    assert reader.position == path.stat().st_size
    return found, reader.counts


def _mix() -> tuple[list[bytes], list[UdpDatagram]]:
    packets = [
        ip_udp("192.0.2.1", "192.0.2.9", 50000, 6343, b"sflow-one"),
        ip_udp("2001:db8::1", "2001:db8::9", 50001, 4739, b"ipfix-two"),
        ip_udp("198.51.100.7", "192.0.2.9", 50002, 2055, b""),
    ]
    expected = [
        UdpDatagram(T0, "192.0.2.1", 6343, b"sflow-one"),
        UdpDatagram(T0 + 1, "2001:db8::1", 4739, b"ipfix-two"),
        UdpDatagram(T0 + 2, "198.51.100.7", 2055, b""),
    ]
    return packets, expected


@pytest.mark.parametrize("link", [pcap.ETHERNET, pcap.LINUX_SLL, pcap.LINUX_SLL2, pcap.RAW])
@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nano", [False, True])
def test_classic_pcap(tmp_path: Path, link: int, big_endian: bool, nano: bool) -> None:
    packets, expected = _mix()
    path = tmp_path / "c.pcap"
    frames = [(T0 + i, link_frame(p, link)) for i, p in enumerate(packets)]
    write_pcap(path, frames, link, big_endian=big_endian, nano=nano)
    found, counts = _read(path)
    assert found == expected
    assert (counts.frames, counts.udp, counts.other, counts.cut_short) == (3, 3, 0, False)


@pytest.mark.parametrize("nano", [False, True])
def test_pcapng_enhanced_packets(tmp_path: Path, nano: bool) -> None:
    packets, expected = _mix()
    path = tmp_path / "c.pcapng"
    write_pcapng(path, [(T0 + i, link_frame(p, pcap.ETHERNET, vlan=100))
                        for i, p in enumerate(packets)], nano=nano)  # fmt: skip
    found, _ = _read(path)
    assert found == expected


def test_pcapng_simple_packets_have_no_time(tmp_path: Path) -> None:
    packets, expected = _mix()
    path = tmp_path / "s.pcapng"
    write_pcapng(path, [(T0, link_frame(p, pcap.RAW)) for p in packets], pcap.RAW, simple=True)
    found, _ = _read(path)
    assert found == [d._replace(time_ms=0) for d in expected]


def test_what_is_not_a_whole_udp_datagram_is_counted_and_skipped(tmp_path: Path) -> None:
    good = ip_udp("192.0.2.1", "192.0.2.9", 1, 6343, b"x" * 40)
    tcp = bytearray(good)
    tcp[9] = 6
    fragment = bytearray(good)
    fragment[6] = 0x20  # more fragments
    v6_fragment = ip_udp("2001:db8::1", "2001:db8::2", 1, 6343, b"y")
    v6_fragment = (
        v6_fragment[:6]
        + bytes([44])
        + v6_fragment[7:40]
        + bytes([17, 0, 0, 1, 0, 0, 0, 0])
        + v6_fragment[40:]
    )
    arp = bytes(12) + struct.pack("!H", 0x0806) + bytes(28)
    frames = [
        link_frame(good, pcap.ETHERNET),
        link_frame(bytes(tcp), pcap.ETHERNET),
        link_frame(bytes(fragment), pcap.ETHERNET),
        link_frame(v6_fragment, pcap.ETHERNET),
        link_frame(good, pcap.ETHERNET)[:-10],  # snap length cut the payload
        arp,
    ]
    path = tmp_path / "m.pcap"
    write_pcap(path, [(T0, f) for f in frames])
    found, counts = _read(path)
    assert [d.payload for d in found] == [b"x" * 40]
    assert (counts.frames, counts.other, counts.fragments, counts.truncated) == (6, 2, 2, 1)


def test_ipv6_extension_headers_are_skipped(tmp_path: Path) -> None:
    packet = ip_udp("2001:db8::1", "2001:db8::2", 7, 4739, b"payload!")
    hop_by_hop = bytes([17, 0, 1, 4, 0, 0, 0, 0])  # next header UDP, 8 bytes, PadN
    with_ext = packet[:4] + struct.pack("!H", len(packet) - 40 + 8) + bytes([0]) + packet[7:40]
    with_ext += hop_by_hop + packet[40:]
    path = tmp_path / "e.pcap"
    write_pcap(path, [(T0, link_frame(with_ext, pcap.ETHERNET))])
    found, _ = _read(path)
    assert found == [UdpDatagram(T0, "2001:db8::1", 4739, b"payload!")]


def test_a_capture_cut_in_the_middle_of_a_record_ends_the_read(tmp_path: Path) -> None:
    packets, expected = _mix()
    path = tmp_path / "cut.pcap"
    write_pcap(path, [(T0 + i, link_frame(p, pcap.ETHERNET)) for i, p in enumerate(packets)])
    path.write_bytes(path.read_bytes()[:-5])
    found, counts = _read(path)
    assert found == expected[:2]
    assert counts.cut_short


@pytest.mark.parametrize("content", [b"", b"hello world, not a capture at all", bytes(24)])
def test_a_file_that_is_not_a_capture_is_a_format_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(FormatError), path.open("rb") as stream:
        list(CaptureReader(stream).datagrams())


@st.composite
def mutated_captures(draw: st.DrawFn) -> bytes:
    packets, _ = _mix()
    link = draw(st.sampled_from([pcap.ETHERNET, pcap.LINUX_SLL, pcap.LINUX_SLL2, pcap.RAW]))
    frames = [(T0 + i, link_frame(p, link)) for i, p in enumerate(packets)]
    buffer = io.BytesIO()
    if draw(st.booleans()):
        _write(write_pcap, frames, link, buffer)
    else:
        _write(write_pcapng, frames, link, buffer)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["cut", "byte", "word"]))
        if kind == "cut":
            del data[at:]
            if not data:
                break
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        else:
            data[at : at + 4] = draw(st.sampled_from([0, 1, 7, 0xFFFF, 2**31, 2**32 - 1])).to_bytes(
                4, "little"
            )
    return bytes(data)


def _write(writer: Any, frames: list[tuple[int, bytes]], link: int, buffer: io.BytesIO) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c"
        writer(path, frames, link)
        buffer.write(path.read_bytes())


@settings(max_examples=200, deadline=None)
@given(mutated_captures())
def test_mutated_captures_end_in_datagrams_or_a_format_error(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        reader = CaptureReader(stream)
        found = list(reader.datagrams())
    except FormatError:
        return
    assert reader.position <= len(data)
    assert reader.counts.udp == len(found) <= reader.counts.frames
    assert all(0 <= d.port <= 65535 for d in found)
