"""Property tests: valid datagrams round-trip; mutated and truncated ones never escape the batch
API, and every one the single-datagram decoder rejects is counted as malformed."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import export, ipfix, netflow9, sflow
from ixcenter.telemetry.decode.batch import FlowBatch, ip_columns, mac_value
from ixcenter.telemetry.decode.frames import build_frame
from ixcenter.telemetry.decode.sflow_records import (
    CounterSample,
    ExtendedSwitch,
    FlowSample,
    GenericInterfaceCounters,
    RawPacketHeader,
    SflowDatagram,
    UnknownRecord,
)
from ixcenter.telemetry.decode.templates import FieldSpec, Template

u32 = st.integers(0, 2**32 - 1)
macs = st.integers(0, 2**48 - 1).map(lambda v: ":".join(f"{b:02x}" for b in v.to_bytes(6)))
ipv4 = st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v)))
ipv6 = st.integers(0, 2**128 - 1).map(lambda v: str(ipaddress.IPv6Address(v)))


@st.composite
def frames(draw: st.DrawFn) -> tuple[bytes, dict[str, int]]:
    version6 = draw(st.booleans())
    src, dst = draw(ipv6 if version6 else ipv4), draw(ipv6 if version6 else ipv4)
    smac, dmac = draw(macs), draw(macs)
    protocol = draw(st.sampled_from([6, 17, 1]))
    sport, dport = draw(st.integers(0, 65535)), draw(st.integers(0, 65535))
    vlan = draw(st.none() | st.integers(1, 4094))
    frame = build_frame(smac, dmac, src, dst, protocol=protocol, src_port=sport,
                        dst_port=dport, vlan=vlan, payload=draw(st.integers(0, 100)))  # fmt: skip
    ports = protocol in (6, 17)
    expected = {
        "src_mac": mac_value(smac), "dst_mac": mac_value(dmac), "vlan": vlan or 0,
        "protocol": protocol, "src_port": sport if ports else 0, "dst_port": dport if ports else 0,
        "src_ip_lo": ip_columns(src)[2], "dst_ip_hi": ip_columns(dst)[1],
    }  # fmt: skip
    return frame, expected


@st.composite
def sflow_datagrams(draw: st.DrawFn) -> tuple[SflowDatagram, list[dict[str, int]]]:
    samples: list[FlowSample | CounterSample] = []
    expected: list[dict[str, int]] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            frame, fields = draw(frames())
            cut = draw(st.sampled_from([len(frame), 64, 128]))
            rate = draw(st.integers(1, 2**16))
            records: tuple[RawPacketHeader | ExtendedSwitch | UnknownRecord, ...] = (
                RawPacketHeader(len(frame) + 4, frame[:cut], stripped=4),
            )
            if draw(st.booleans()):
                records = (UnknownRecord(1002, draw(st.binary(max_size=3)) * 4), *records)
            samples.append(FlowSample(draw(u32), draw(u32), rate, draw(u32), draw(u32),
                                      draw(st.integers(0, 2**30 - 1)), draw(st.integers(0, 2**30 - 1)),
                                      records, draw(st.booleans())))  # fmt: skip
            expected.append({**fields, "bytes": len(frame) + 4, "sampling_rate": rate})
        else:
            counters = GenericInterfaceCounters(
                draw(u32), in_octets=draw(st.integers(0, 2**64 - 1))
            )
            samples.append(CounterSample(draw(u32), draw(st.integers(0, 2**24 - 1)), (counters,),
                                         draw(st.booleans())))  # fmt: skip
    agent = ipaddress.ip_address(draw(ipv4 | ipv6))
    return SflowDatagram(agent, draw(u32), draw(u32), draw(u32), tuple(samples)), expected


@st.composite
def mutated(draw: st.DrawFn, datagram: bytes) -> bytes:
    data = bytearray(datagram)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cut", "byte", "word", "insert"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "cut":
            del data[at:]
        elif kind == "byte" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "word":
            data[at : at + 4] = draw(
                st.sampled_from([0, 1, 3, 255, 0xFFFF, 2**31, 2**32 - 1])
            ).to_bytes(4)
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def _check_counted(
    data: bytes,
    single: Callable[[bytes], object],
    many: Callable[..., tuple[FlowBatch, object, object]],
) -> None:
    try:
        single(data)
        bad = False
    except DecodeError:
        bad = True
    _, _, stats = many([(data, "x")])
    counts = stats.exporters["x"]  # type: ignore[attr-defined]
    assert (counts.malformed, counts.datagrams) == (int(bad), int(not bad))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(sflow_datagrams())
def test_sflow_round_trip(case: tuple[SflowDatagram, list[dict[str, int]]]) -> None:
    datagram, expected = case
    data = datagram.to_bytes()
    assert SflowDatagram.from_bytes(data) == datagram
    flows, counters, stats = sflow.decode_many([(data, "x")])
    assert stats.exporters["x"].datagrams == 1
    assert len(flows) == len(expected)
    for row, want in zip(flows.rows, expected, strict=True):
        assert {k: int(row[k]) for k in want} == want
    assert len(counters) == sum(isinstance(s, CounterSample) for s in datagram.samples)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sflow_mutations_are_counted_never_raised(data: st.DataObject) -> None:
    datagram, _ = data.draw(sflow_datagrams())
    bad = data.draw(mutated(datagram.to_bytes()))
    _check_counted(bad, sflow.decode_datagram, sflow.decode_many)


TEMPLATES = [
    export.FLOW_V4,
    Template(300, (FieldSpec(82, 0xFFFF), FieldSpec(1, 8, 9), FieldSpec(2, 3), FieldSpec(27, 16))),
]


@st.composite
def ipfix_messages(draw: st.DrawFn) -> bytes:
    v4 = [draw(ipv4), draw(ipv4), 1, 2, 6, draw(u32), 1, 3, 4, draw(macs), draw(macs), 5, 4, 0, 0]
    var = [draw(st.binary(max_size=300)), 1, 7, draw(ipv6)]
    sets = [
        export.ipfix_template_set(TEMPLATES),
        export.ipfix_template_set([export.SAMPLING_OPTIONS]),
        export.ipfix_data_set(export.SAMPLING_OPTIONS, [[1, draw(u32)]]),
        export.ipfix_data_set(
            TEMPLATES[0], [[export.value(v) for v in v4]] * draw(st.integers(0, 3))
        ),
        export.ipfix_data_set(
            TEMPLATES[1], [[export.value(v) for v in var]] * draw(st.integers(0, 3))
        ),
    ]
    return export.ipfix_message(sets, sequence=draw(u32), domain=draw(u32))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_ipfix_mutations_are_counted_never_raised(data: st.DataObject) -> None:
    bad = data.draw(mutated(data.draw(ipfix_messages())))
    _check_counted(bad, ipfix.decode_datagram, ipfix.decode_many)


@st.composite
def netflow9_packets(draw: st.DrawFn) -> bytes:
    options = Template(270, (FieldSpec(1, 4), FieldSpec(34, 4)), scope_count=1)
    flow = Template(271, (FieldSpec(8, 4), FieldSpec(21, 4), FieldSpec(1, 4), FieldSpec(56, 6)))
    rows = [[export.value(draw(ipv4)), draw(u32), draw(u32), export.value(draw(macs))]]
    return export.netflow9_packet(
        [export.netflow9_template_flowset([options]), export.netflow9_template_flowset([flow]),
         export.netflow9_data_flowset(options, [[0, draw(u32)]]),
         export.netflow9_data_flowset(flow, rows * draw(st.integers(0, 4)))],
        count=draw(st.integers(0, 10)), sequence=draw(u32), source_id=draw(u32),
        uptime_ms=draw(u32), unix_secs=draw(u32),
    )  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_netflow9_mutations_are_counted_never_raised(data: st.DataObject) -> None:
    bad = data.draw(mutated(data.draw(netflow9_packets())))
    _check_counted(bad, netflow9.decode_datagram, netflow9.decode_many)


@settings(max_examples=100)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_random_bytes_never_escape_any_batch_decoder(blobs: list[bytes]) -> None:
    datagrams = [(b, f"e{i % 3}") for i, b in enumerate(blobs)]
    for decode in (sflow.decode_many, ipfix.decode_many, netflow9.decode_many):
        _, _, stats = decode(datagrams)
        assert stats.total("datagrams") + stats.total("malformed") == len(blobs)
