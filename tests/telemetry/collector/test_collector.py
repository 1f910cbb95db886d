"""The collector through real UDP sockets: real exporters' datagrams in, every one accounted."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError
from ixcenter.telemetry.collector import Collector, Endpoint, Pipeline, Protocol, TemplateStore
from ixcenter.telemetry.collector.listener import Listener
from ixcenter.telemetry.collector.slots import DatagramSlots
from ixcenter.telemetry.decode import ipfix, netflow9, sflow
from ixcenter.telemetry.sink import MemorySink
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector.conftest import MakeCollector, port_of, pump, send

CAPTURES = {
    Protocol.SFLOW: ("sfprobe-sflow.bin", sflow.SflowDecoder),
    Protocol.IPFIX: ("softflowd-ipfix.bin", ipfix.IpfixDecoder),
    Protocol.NETFLOW9: ("softflowd-nf9.bin", netflow9.Netflow9Decoder),
}


def test_real_exporters_output_is_decoded_as_the_decoders_decode_it(
    make_collector: MakeCollector,
) -> None:
    sink = MemorySink()
    collector = make_collector(sink)
    sent = 0
    for protocol, (name, _) in CAPTURES.items():
        datagrams = read_datagrams(HERE / name)
        send(datagrams, port_of(collector, protocol))
        sent += len(datagrams)
    pump(collector, sent)
    collector.close()
    snapshot = collector.snapshot()
    assert (snapshot.received, snapshot.kernel_drops, snapshot.total("malformed")) == (sent, 0, 0)
    flows = sink.all_flows()
    expected = 0
    for protocol, (name, decoder) in CAPTURES.items():
        direct, _, stats = decoder().decode_many(
            [(d, "127.0.0.1") for d in read_datagrams(HERE / name)]
        )
        expected += len(direct)
        mine = next(e for e in snapshot.exporters if e.protocol == protocol)
        assert (mine.exporter, mine.samples) == ("127.0.0.1", stats.total("samples"))
        assert mine.samples > 0
    assert len(flows) == expected == snapshot.rows_written
    assert sink.flushes >= 1


@pytest.mark.parametrize(("bind", "sender", "seen_as"), [
    ("::", "127.0.0.1", "127.0.0.1"),  # IPv4 on a dual-stack socket, not ::ffff:127.0.0.1
    ("::", "::1", "::1"),
    ("::1", "::1", "::1"),
])  # fmt: skip
def test_exporter_addresses_over_ipv4_and_ipv6(
    make_collector: MakeCollector, bind: str, sender: str, seen_as: str
) -> None:
    collector = make_collector(host=bind, protocols=(Protocol.SFLOW,))
    datagrams = read_datagrams(HERE / "sfprobe-sflow.bin")[:3]
    send(datagrams, port_of(collector, Protocol.SFLOW), host=sender)
    pump(collector, 3)
    collector.close()
    assert [(e.exporter, e.datagrams) for e in collector.snapshot().exporters] == [(seen_as, 3)]


def test_malformed_datagrams_are_counted_and_skipped(make_collector: MakeCollector) -> None:
    sink = MemorySink()
    collector = make_collector(sink)
    good = read_datagrams(HERE / "sfprobe-sflow.bin")[:2]
    bad = [b"", b"\x00\x00\x00\x05", good[0][:50], b"\xff" * 300]
    send([good[0], *bad, good[1]], port_of(collector, Protocol.SFLOW))
    send(bad, port_of(collector, Protocol.IPFIX))
    send(bad, port_of(collector, Protocol.NETFLOW9))
    pump(collector, 14)
    collector.close()
    by_protocol = {e.protocol: e for e in collector.snapshot().exporters}
    assert (by_protocol["sflow"].datagrams, by_protocol["sflow"].malformed) == (2, 4)
    assert by_protocol["ipfix"].malformed == by_protocol["netflow9"].malformed == 4
    assert by_protocol["sflow"].last_error
    assert len(sink.all_flows()) == by_protocol["sflow"].samples > 0


def test_a_port_in_use_is_a_configuration_error_and_nothing_stays_bound() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        collector = Collector(
            Pipeline(MemorySink()),
            [Endpoint(Protocol.SFLOW, "127.0.0.1", 0), Endpoint(Protocol.IPFIX, "127.0.0.1", port)],
        )
        with pytest.raises(ConfigurationError, match=f"UDP port {port} on 127.0.0.1 is in use"):
            collector.open()
        assert collector.endpoints == []


def test_a_bind_address_that_is_not_an_address_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not an IP address"):
        Listener("collector.example", 0)


def test_kernel_drops_are_read_for_the_socket() -> None:
    listener = Listener("127.0.0.1", 0, receive_buffer=4096)
    try:
        sent = 300
        send([bytes(1200)] * sent, listener.port)
        dropped = listener.kernel_counters().drops
        assert dropped > 0  # a 4 KiB buffer cannot hold 300 datagrams
        read = 0
        slots = DatagramSlots(64)
        while got := listener.receive_into(slots, 64):
            read += got
            slots.clear()
        assert read == listener.received
        assert read + dropped == sent  # on loopback, what was not read was dropped, and counted
        assert listener.kernel_counters().queued_bytes == 0
    finally:
        listener.close()


def test_close_reads_what_the_kernel_still_holds(make_collector: MakeCollector) -> None:
    sink = MemorySink()
    collector = make_collector(sink, protocols=(Protocol.IPFIX,))
    datagrams = read_datagrams(HERE / "softflowd-ipfix.bin")
    send(datagrams, port_of(collector, Protocol.IPFIX))
    collector.close()  # never polled before
    assert collector.snapshot().received == len(datagrams)
    assert len(sink.all_flows()) == 65


def test_stop_from_another_thread_ends_run(make_collector: MakeCollector) -> None:
    collector = make_collector(protocols=(Protocol.SFLOW,))
    stopper = threading.Timer(0.2, collector.stop)
    stopper.start()
    snapshot = collector.run(status_every=0.05, on_status=lambda s: None)
    stopper.join()
    assert snapshot.received == 0


def test_templates_survive_a_restart(make_collector: MakeCollector, tmp_path: Path) -> None:
    """First run: templates and some data; second run: data only, decoded at once."""
    path = tmp_path / "templates.json"
    datagrams = read_datagrams(HERE / "softflowd-ipfix.bin")  # templates in the first message
    first_sink, second_sink = MemorySink(), MemorySink()
    first = make_collector(first_sink, TemplateStore(path), protocols=(Protocol.IPFIX,))
    send(datagrams[:1], port_of(first, Protocol.IPFIX))
    pump(first, 1)
    first.close()
    assert path.exists()
    second = make_collector(second_sink, TemplateStore(path), protocols=(Protocol.IPFIX,))
    send(datagrams[1:], port_of(second, Protocol.IPFIX))
    pump(second, len(datagrams) - 1)
    second.close()
    (counts,) = second.snapshot().exporters
    assert counts.no_template == 0
    assert len(first_sink.all_flows()) + len(second_sink.all_flows()) == 65
    assert len(second_sink.all_flows()) > 0
    cold = make_collector(MemorySink(), protocols=(Protocol.IPFIX,))  # no template file
    send(datagrams[1:], port_of(cold, Protocol.IPFIX))
    pump(cold, len(datagrams) - 1)
    cold.close()
    assert cold.snapshot().total("no_template") > 0  # so the file is what made the difference


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_datagrams_are_gathered_until_enough_or_until_the_first_waited_long_enough(
    make_collector: MakeCollector,
) -> None:
    clock = FakeClock()
    collector = make_collector(protocols=(Protocol.SFLOW,), monotonic=clock, decode_batch=4,
                               decode_wait=0.05, clock_ms=lambda: 1_700_000_000_000)  # fmt: skip
    port = port_of(collector, Protocol.SFLOW)
    datagrams = read_datagrams(HERE / "sfprobe-sflow.bin")
    send(datagrams[:3], port)
    pump(collector, 3)
    assert collector.snapshot().exporters == ()  # read, waiting to be decoded with more
    assert collector.seconds_left(clock.now) == pytest.approx(0.05)
    clock.now += 0.06
    collector.poll(0)
    assert collector.snapshot().total("datagrams") == 3  # the first waited long enough
    send(datagrams[3:7], port)
    pump(collector, 7)
    assert collector.snapshot().total("datagrams") == 7  # four: a batch at once
    assert collector.pipeline.batcher.pending > 0
    # now only the rows wait, for the sink
    assert collector.seconds_left(clock.now) == pytest.approx(1.0)
