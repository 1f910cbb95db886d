"""Datagrams received into slots (``recvmmsg``, and the per-datagram fallback) through real
loopback sockets: the batch they make decodes exactly as the list of payloads it came from, with
several exporters over IPv4 and IPv6, malformed datagrams, and datagrams too long for a slot."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ixcenter.telemetry.collector import Protocol
from ixcenter.telemetry.collector.listener import Listener
from ixcenter.telemetry.collector.slots import RECVMMSG, DatagramSlots, _first_seen
from ixcenter.telemetry.decode import ipfix, sflow
from ixcenter.telemetry.sink import MemorySink
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector import traffic_mix
from tests.telemetry.collector.conftest import MakeCollector, port_of, pump, send

SENDERS = ("127.0.0.1", "127.0.0.2", "::1", "127.0.0.3")
WAYS = [pytest.param(True, id="recvmmsg"), pytest.param(False, id="recvmsg_into")]


@pytest.fixture
def listener() -> Iterator[Listener]:
    made = Listener("::", 0)
    yield made
    made.close()


def _send_from(pairs: list[tuple[bytes, str]], port: int) -> None:
    """Each payload from its sender address, in order (loopback keeps the order)."""
    sockets: dict[str, socket.socket] = {}
    try:
        for data, host in pairs:
            sock = sockets.get(host)
            if sock is None:
                v6 = ":" in host
                sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((host, 0))
                sockets[host] = sock
            sock.sendto(data, ("::1" if ":" in host else "127.0.0.1", port))
    finally:
        for sock in sockets.values():
            sock.close()


def _receive(listener: Listener, slots: DatagramSlots, expected: int) -> None:
    for _ in range(200):
        if slots.count >= expected:
            return
        listener.receive_into(slots, expected - slots.count)
    raise AssertionError(f"received {slots.count} of {expected}")


def _same(got: Any, want: Any) -> None:
    for a, b in zip(got[:2], want[:2], strict=True):
        assert a.exporters == b.exporters
        assert a.rows.tobytes() == b.rows.tobytes()
    assert got[2] == want[2]


@pytest.mark.parametrize("mmsg", WAYS)
def test_sflow_received_in_place_decodes_as_the_payloads(listener: Listener, mmsg: bool) -> None:
    grams = traffic_mix.sflow_datagrams(40, samples=8)
    grams += [b"", b"\x00\x00\x00\x05", grams[0][:50], b"\xff" * 300, grams[1][:-2]]
    too_long = traffic_mix.sflow_datagrams(1, samples=40, fixed=True)[0]
    pairs = [(g, SENDERS[i % len(SENDERS)]) for i, g in enumerate(grams)]
    pairs.insert(7, (too_long, "127.0.0.2"))
    slots = DatagramSlots(64, slot_size=2000, mmsg=mmsg)
    slots.buffer[:] = 0xA5  # whatever lies between datagrams is never read as data
    assert len(too_long) > slots.slot_size > max(map(len, grams))
    _send_from(pairs, listener.port)
    _receive(listener, slots, len(pairs))
    assert listener.received == len(pairs)
    batch, rejected = slots.datagrams()
    assert batch.names == list(SENDERS)  # IPv4 on the dual-stack socket as a.b.c.d
    assert [(batch.payload(i), batch.names[batch.exporter[i]]) for i in range(len(batch))] == [
        p for p in pairs if p[0] is not too_long
    ]
    got = sflow.SflowDecoder().decode_datagrams(batch, 9)
    want = sflow.SflowDecoder().decode_many([p for p in pairs if p[0] is not too_long], 9)
    _same(got, want)
    assert want[2].total("malformed") == 5
    cut = rejected.exporters["127.0.0.2"]
    assert (cut.malformed, cut.datagrams) == (1, 0)
    assert "longer than 2000 bytes" in cut.last_error
    assert list(rejected.exporters) == ["127.0.0.2"]


@pytest.mark.parametrize("mmsg", WAYS)
def test_ipfix_received_in_place_decodes_as_the_payloads(listener: Listener, mmsg: bool) -> None:
    grams = traffic_mix.ipfix_messages(60) + read_datagrams(HERE / "softflowd-ipfix.bin")
    pairs = [(g, SENDERS[(i // 7) % len(SENDERS)]) for i, g in enumerate(grams)]
    slots = DatagramSlots(len(pairs), mmsg=mmsg)
    _send_from(pairs, listener.port)
    _receive(listener, slots, len(pairs))
    batch, rejected = slots.datagrams()
    assert not rejected.exporters
    _same(ipfix.IpfixDecoder().decode_datagrams(batch), ipfix.IpfixDecoder().decode_many(pairs))


def test_a_batch_fills_no_more_slots_than_it_has(listener: Listener) -> None:
    slots = DatagramSlots(5)
    send([bytes(100)] * 8, listener.port, host="::1")
    assert listener.receive_into(slots, 100) == 5
    assert listener.receive_into(slots, 100) == 0  # full until cleared
    slots.clear()
    assert listener.receive_into(slots, 100) == 3
    assert listener.receive_into(slots, 100) == 0  # nothing left: not an error
    batch, _ = slots.datagrams()
    assert batch.lengths.tolist() == [100] * 3
    assert batch.starts.tolist() == [0, slots.slot_size, 2 * slots.slot_size]


def test_exporters_are_numbered_in_order_of_first_appearance() -> None:
    hi = np.array([0, 0, 0, 0, 0, 1], np.uint64)
    lo = np.array([9, 3, 9, 3, 1, 3], np.uint64)
    group, first = _first_seen([hi, lo])
    assert group.tolist() == [0, 1, 0, 1, 2, 3]
    assert first.tolist() == [0, 1, 4, 5]
    assert _first_seen([lo[:1]])[0].tolist() == [0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="recvmmsg(2) is Linux's")
def test_recvmmsg_is_found_on_linux() -> None:
    assert RECVMMSG is not None  # else the collector would fall back to a syscall per datagram


@pytest.mark.parametrize("mmsg", WAYS)
def test_a_datagram_longer_than_a_slot_is_counted_as_malformed(
    make_collector: MakeCollector, mmsg: bool
) -> None:
    sink = MemorySink()
    collector = make_collector(sink, protocols=(Protocol.SFLOW,), max_datagram=2000,
                               recvmmsg=mmsg)  # fmt: skip
    grams = traffic_mix.sflow_datagrams(30, samples=8)
    long = traffic_mix.sflow_datagrams(1, samples=40, fixed=True)[0]
    assert len(long) > 2000 >= max(map(len, grams))
    send([*grams[:10], long, *grams[10:]], port_of(collector, Protocol.SFLOW))
    pump(collector, 31)
    collector.close()
    (mine,) = collector.snapshot().exporters
    assert (mine.datagrams, mine.malformed) == (30, 1)
    assert "cut short" in mine.last_error
    _, _, stats = sflow.SflowDecoder().decode_many([(g, "127.0.0.1") for g in grams])
    assert mine.samples == stats.total("samples") == len(sink.all_flows())


def test_both_ways_of_receiving_account_alike(make_collector: MakeCollector) -> None:
    seen = []
    for mmsg in (True, False):
        sink = MemorySink()
        collector = make_collector(
            sink, recvmmsg=mmsg, decode_batch=16, drain_limit=8, clock_ms=lambda: 1_700_000_000_000
        )
        sent = 0
        for protocol, name in ((Protocol.SFLOW, "sfprobe-sflow.bin"),
                               (Protocol.IPFIX, "softflowd-ipfix.bin"),
                               (Protocol.NETFLOW9, "softflowd-nf9.bin")):  # fmt: skip
            grams = read_datagrams(HERE / name)
            send([*grams, b"\x00\x01"], port_of(collector, protocol))
            sent += len(grams) + 1
        pump(collector, sent)
        collector.close()
        snapshot = collector.snapshot()
        assert snapshot.received == sent
        assert snapshot.total("malformed") == 3
        seen.append((snapshot.exporters, sink.all_flows().rows.tobytes()))
    assert seen[0] == seen[1]
    assert len(seen[0][1]) > 0
