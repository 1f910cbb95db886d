"""RTR v1 PDUs (RFC 8210): round trips, stayrtr's real answer, malformed input."""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.errors import DecodeError, UpstreamError
from ixcenter.routing.control import rtr
from ixcenter.routing.rpki.vrps import Vrp

SAMPLE = Path(__file__).parent / "samples" / "stayrtr-reset-response.bin"

u8 = st.integers(0, 255)
u16 = st.integers(0, 2**16 - 1)
u32 = st.integers(0, 2**32 - 1)
versions = st.sampled_from([0, 1])


@st.composite
def ipv4_prefixes(draw: st.DrawFn) -> rtr.Ipv4Prefix:
    length = draw(st.integers(0, 32))
    network = ipaddress.IPv4Network((draw(u32), length), strict=False)
    return rtr.Ipv4Prefix(
        network, draw(st.integers(length, 32)), draw(u32), draw(st.booleans()), draw(versions)
    )


@st.composite
def ipv6_prefixes(draw: st.DrawFn) -> rtr.Ipv6Prefix:
    length = draw(st.integers(0, 128))
    network = ipaddress.IPv6Network((draw(st.integers(0, 2**128 - 1)), length), strict=False)
    return rtr.Ipv6Prefix(
        network, draw(st.integers(length, 128)), draw(u32), draw(st.booleans()), draw(versions)
    )


pdus = st.one_of(
    st.builds(rtr.SerialNotify, u16, u32, versions),
    st.builds(rtr.SerialQuery, u16, u32, versions),
    st.builds(rtr.ResetQuery, versions),
    st.builds(rtr.CacheResponse, u16, versions),
    ipv4_prefixes(),
    ipv6_prefixes(),
    st.builds(rtr.EndOfData, u16, u32, u32, u32, u32, st.just(1)),
    st.builds(rtr.EndOfData, u16, u32, version=st.just(0)),
    st.builds(rtr.CacheReset, versions),
    st.builds(
        rtr.RouterKey,
        st.binary(min_size=20, max_size=20),
        u32,
        st.binary(max_size=91),
        st.booleans(),
        st.just(1),
    ),
    st.builds(rtr.ErrorReport, u16, st.binary(max_size=32), st.text(max_size=40), versions),
)


@given(st.lists(pdus, max_size=6))
def test_pdus_round_trip(items: list[rtr.Pdu]) -> None:
    data = b"".join(pdu.to_bytes() for pdu in items)
    assert rtr.decode_all(data) == items
    for pdu in items:
        raw = pdu.to_bytes()
        assert struct.unpack("!I", raw[4:8])[0] == len(raw)
        assert raw[0] == pdu.version and raw[1] == pdu.TYPE


def test_known_bytes() -> None:
    assert rtr.ResetQuery().to_bytes() == bytes.fromhex("0102000000000008")
    prefix = rtr.Ipv4Prefix(ipaddress.IPv4Network("192.0.2.0/24"), 26, 64500)
    assert prefix.to_bytes() == bytes.fromhex("01040000 00000014 01181a00 c0000200 0000fbf4")
    end = rtr.EndOfData(7, 42, 3600, 600, 7200)
    assert end.to_bytes() == bytes.fromhex("01070007 00000018 0000002a 00000e10 00000258 00001c20")


def test_stayrtr_answer() -> None:
    """stayrtr's reply to a v1 Reset Query, serving capture.py's three VRPs."""
    items = rtr.decode_all(SAMPLE.read_bytes())
    assert isinstance(items[0], rtr.CacheResponse) and isinstance(items[-1], rtr.EndOfData)
    assert all(pdu.version == 1 for pdu in items)
    assert items[-1].session_id == items[0].session_id
    assert (items[-1].serial, items[-1].refresh, items[-1].retry, items[-1].expire) == (
        0,
        3600,
        600,
        7200,
    )
    vrps = {pdu.vrp() for pdu in items if isinstance(pdu, rtr.Ipv4Prefix | rtr.Ipv6Prefix)}
    assert vrps == {
        Vrp(ipaddress.ip_network("203.0.113.0/24"), 25, 64511),
        Vrp(ipaddress.ip_network("2001:db8:1000::/36"), 48, 64511),
        Vrp(ipaddress.ip_network("198.51.100.0/24"), 24, 4200000000),
    }


@pytest.mark.parametrize(
    ("data", "offset", "message"),
    [
        (bytes.fromhex("0102000000"), 0, "truncated"),
        (bytes.fromhex("0102000000000010"), 0, "truncated"),
        (bytes.fromhex("0102000000000004"), 4, "PDU length 4"),
        (bytes.fromhex("0105000000000008"), 1, "unknown PDU type 5"),
        (bytes.fromhex("0902000000000008"), 0, "protocol version 9"),
        (bytes.fromhex("010200000000000c00000000"), 0, "ResetQuery body of 4 bytes"),
        (bytes.fromhex("01040000 00000014 01182100 c0000200 0000fbf4"), 0, "max length 33 of 32"),
        (bytes.fromhex("01040000 00000014 01101800 c0000200 0000fbf4"), 0, "host bits"),
        (bytes.fromhex("010a0002 00000010 00000009 00000000"), 8, "overruns"),
    ],
)
def test_malformed(data: bytes, offset: int, message: str) -> None:
    with pytest.raises(DecodeError, match=message) as caught:
        rtr.decode(data)
    assert caught.value.offset == offset


def test_errors_carry_the_offset_of_the_later_pdu() -> None:
    good = rtr.ResetQuery().to_bytes()
    with pytest.raises(DecodeError) as caught:
        rtr.decode_all(good + bytes.fromhex("0105000000000008"))
    assert caught.value.offset == len(good) + 1


@pytest.fixture
def cache() -> Iterator[tuple[int, list[bytes]]]:
    """A one-connection RTR cache on 127.0.0.1 that answers with prepared bytes, in pieces."""
    listener = socket.create_server(("127.0.0.1", 0))
    answers: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            assert connection.recv(8) == rtr.ResetQuery().to_bytes()
            data = answers[0]
            for start in range(0, len(data), 7):  # the client must reassemble
                connection.sendall(data[start : start + 7])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], answers
    thread.join(timeout=5)
    listener.close()


def test_fetch_reassembles_the_answer(cache: tuple[int, list[bytes]]) -> None:
    port, answers = cache
    answers.append(SAMPLE.read_bytes())
    snapshot = rtr.fetch("127.0.0.1", port)
    assert (snapshot.version, snapshot.serial) == (1, 0)
    assert len(snapshot.vrps) == 3


def test_fetch_reports_the_cache_errors(cache: tuple[int, list[bytes]]) -> None:
    port, answers = cache
    answers.append(rtr.ErrorReport(2, b"", "No Data Available").to_bytes())
    with pytest.raises(UpstreamError, match="No Data Available"):
        rtr.fetch("127.0.0.1", port)


def test_fetch_without_a_cache() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamError, match=f"127.0.0.1:{port}"):
        rtr.fetch("127.0.0.1", port, timeout=1)
