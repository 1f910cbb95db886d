"""Property: random and mutated datagrams sent to the collector's sockets never stop it, and
every datagram is accounted once: decoded, or counted as malformed exactly when the decoder
(fed the same datagrams one at a time) rejects it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.collector import Collector, Endpoint, Pipeline, Protocol
from ixcenter.telemetry.decode import ipfix, netflow9, sflow
from ixcenter.telemetry.decode.templates import TemplateCache
from ixcenter.telemetry.sink import MemorySink
from tests.telemetry.collector.conftest import port_of, pump, send
from tests.telemetry.test_properties import (
    ipfix_messages,
    mutated,
    netflow9_packets,
    sflow_datagrams,
)

EXPORTER = "127.0.0.1"


@st.composite
def traffic(draw: st.DrawFn) -> list[tuple[Protocol, bytes]]:
    out: list[tuple[Protocol, bytes]] = []
    for _ in range(draw(st.integers(1, 12))):
        protocol = draw(st.sampled_from(list(Protocol)))
        if protocol is Protocol.SFLOW:
            valid = draw(sflow_datagrams())[0].to_bytes()
        elif protocol is Protocol.IPFIX:
            valid = draw(ipfix_messages())
        else:
            valid = draw(netflow9_packets())
        how = draw(st.sampled_from(["valid", "mutated", "random"]))
        if how == "mutated":
            valid = draw(mutated(valid))
        elif how == "random":
            valid = draw(st.binary(max_size=300))
        out.append((protocol, valid))
    return out


def _rejected(sent: list[tuple[Protocol, bytes]]) -> dict[str, int]:
    """How many datagrams of each protocol the one-at-a-time decoders reject."""
    caches = {Protocol.IPFIX: TemplateCache(), Protocol.NETFLOW9: TemplateCache()}
    bad = dict.fromkeys(Protocol, 0)
    for protocol, data in sent:
        try:
            if protocol is Protocol.SFLOW:
                sflow.decode_datagram(data, EXPORTER)
            elif protocol is Protocol.IPFIX:
                ipfix.decode_datagram(data, EXPORTER, caches[protocol])
            else:
                netflow9.decode_datagram(data, EXPORTER, caches[protocol])
        except DecodeError:
            bad[protocol] += 1
    return {p.value: n for p, n in bad.items()}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic())
def test_every_datagram_through_the_sockets_is_accounted(
    sent: list[tuple[Protocol, bytes]],
) -> None:
    sink = MemorySink()
    collector = Collector(Pipeline(sink), [Endpoint(p, EXPORTER, 0) for p in Protocol])
    collector.open()
    try:
        for protocol, data in sent:
            send([data], port_of(collector, protocol))
        pump(collector, len(sent))
    finally:
        collector.close()
    snapshot = collector.snapshot()
    assert snapshot.received == len(sent)
    counted = {e.protocol: (e.datagrams, e.malformed) for e in snapshot.exporters}
    rejected = _rejected(sent)
    for protocol in Protocol:
        total = sum(1 for p, _ in sent if p is protocol)
        ok, malformed = counted.get(protocol.value, (0, 0))
        assert (ok + malformed, malformed) == (total, rejected[protocol.value])
    assert len(sink.all_flows()) == snapshot.total("samples") == snapshot.rows_written
