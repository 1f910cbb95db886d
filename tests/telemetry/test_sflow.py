"""sFlow v5: golden bytes written by hand from the spec, round trips, bulk decode, accounting."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import frames, sflow
from ixcenter.telemetry.decode.batch import (
    FLOW_DTYPE,
    Kind,
    ip_columns,
    ip_text,
    mac_text,
    mac_value,
)
from ixcenter.telemetry.decode.frames import build_frame, parse_header
from ixcenter.telemetry.decode.sflow_records import (
    CounterSample,
    ExtendedSwitch,
    FlowSample,
    GenericInterfaceCounters,
    RawPacketHeader,
    SflowDatagram,
    UnknownRecord,
)

# A tagged IPv4/UDP frame's first 46 bytes: dst 02:..:02, src 02:..:01, VLAN 100,
# 100.64.0.1:1234 -> 100.64.0.2:53.
FRAME = bytes.fromhex(
    "020000000002020000000001810000640800"  # Ethernet, 802.1Q VLAN 100, IPv4
    "4500001c000140004011000064400001" "64400002"  # IPv4 UDP 100.64.0.1 -> 100.64.0.2
    "04d200350008" "0000"  # UDP 1234 -> 53
)  # fmt: skip

GOLDEN = bytes.fromhex(
    "00000005" "00000001" "c0000201"  # version 5, agent IPv4 192.0.2.1
    "00000000" "0000002a" "000003e8" "00000002"  # sub-agent 0, sequence 42, uptime 1000, 2 samples
    # flow sample (format 1), length 32 + 8 + 16 + 48 + 8 + 16 = 128
    "00000001" "00000080"
    "00000007" "00000003" "00000400" "00010000" "00000005" "00000003" "00000004" "00000002"
    "00000001" "00000040"  # raw packet header record, 64 bytes
    "00000001" "000005ee" "00000004" "0000002e" + FRAME.hex() + "0000"  # 46 bytes + 2 pad
    + "000003e9" "00000010" "000000c8" "00000000" "000000c8" "00000000"  # switch: VLAN 200
    # counter sample (format 2): seq 9, source 3, 1 record (generic interface, 88 bytes)
    "00000002" "0000006c" "00000009" "00000003" "00000001"
    "00000001" "00000058"
    "00000003" "00000006" "00000002540be400" "00000001" "00000003"
    "0000000000001000" "00000010" "00000001" "00000002" "00000000" "00000001" "00000000"
    "0000000000002000" "00000020" "00000002" "00000003" "00000004" "00000005" "00000000"
)  # fmt: skip


def golden_value() -> SflowDatagram:
    return SflowDatagram(
        ipaddress.ip_address("192.0.2.1"),
        sequence=42,
        uptime_ms=1000,
        samples=(
            FlowSample(7, 3, 1024, 65536, 5, 3, 4,
                       (RawPacketHeader(1518, FRAME, stripped=4), ExtendedSwitch(200, 0, 200))),
            CounterSample(9, 3, (GenericInterfaceCounters(
                3, 6, 10_000_000_000, 1, 3, 0x1000, 16, 1, 2, 0, 1, 0,
                0x2000, 32, 2, 3, 4, 5, 0),)),
        ),
    )  # fmt: skip


def test_golden_bytes_match_the_writer() -> None:
    assert golden_value().to_bytes() == GOLDEN


def test_golden_bytes_read_back_as_values() -> None:
    assert SflowDatagram.from_bytes(GOLDEN) == golden_value()


def test_golden_bytes_decode_in_bulk() -> None:
    flows, counters, stats = sflow.decode_many([(GOLDEN, "192.0.2.1")], received_ms=5)
    assert len(flows) == 1
    row = flows.rows[0]
    assert mac_text(row["src_mac"]) == "02:00:00:00:00:01"
    assert mac_text(row["dst_mac"]) == "02:00:00:00:00:02"
    assert row["vlan"] == 100  # the tag in the header wins over the switch record
    assert ip_text(row["ip_version"], row["src_ip_hi"], row["src_ip_lo"]) == "100.64.0.1"
    assert ip_text(row["ip_version"], row["dst_ip_hi"], row["dst_ip_lo"]) == "100.64.0.2"
    assert (row["protocol"], row["src_port"], row["dst_port"]) == (17, 1234, 53)
    assert (row["bytes"], row["packets"], row["sampling_rate"]) == (1518, 1, 1024)
    assert (row["in_if"], row["out_if"], row["time_ms"], row["kind"]) == (3, 4, 5, Kind.SAMPLE)
    assert flows.estimated_bytes() == 1518 * 1024
    assert len(counters) == 1
    c = counters.rows[0]
    assert (c["if_index"], c["speed"], c["in_octets"], c["in_packets"]) == (3, 10**10, 4096, 19)
    assert (c["out_octets"], c["out_packets"], c["out_discards"], c["out_errors"]) == (
        8192, 37, 4, 5,
    )  # fmt: skip
    counts = stats.exporters["192.0.2.1"]
    assert (counts.datagrams, counts.samples, counts.counters, counts.agent_drops) == (1, 1, 1, 5)


def test_switch_vlan_is_used_for_untagged_headers() -> None:
    frame = build_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "2001:db8::1", "2001:db8::2",
                        protocol=6, src_port=179, dst_port=40000)  # fmt: skip
    sample = FlowSample(1, 1, 1, 1, 0, 1, 2, (ExtendedSwitch(300), RawPacketHeader(90, frame)))
    data = SflowDatagram(ipaddress.ip_address("2001:db8::a"), 1, samples=(sample,)).to_bytes()
    flows, _, _ = sflow.decode_many([(data, "x")])
    row = flows.rows[0]
    assert row["vlan"] == 300
    assert (row["ip_version"], row["protocol"], row["src_port"], row["dst_port"]) == (
        6,
        6,
        179,
        40000,
    )
    assert (row["src_ip_hi"], row["src_ip_lo"]) == ip_columns("2001:db8::1")[1:]


@pytest.mark.parametrize("expanded", [False, True])
def test_expanded_and_compact_samples_decode_alike(expanded: bool) -> None:
    frame = build_frame("02:00:00:00:00:05", "02:00:00:00:00:06", "10.0.0.1", "10.0.0.2", vlan=7)
    flow = FlowSample(1, (1 << 24) | 5, 100, 1000, 0, 11, 12,
                      (RawPacketHeader(64, frame),), expanded=expanded)  # fmt: skip
    counter = CounterSample(2, 5, (GenericInterfaceCounters(5, speed=10**9),), expanded=expanded)
    data = SflowDatagram(ipaddress.ip_address("192.0.2.9"), 3, samples=(flow, counter)).to_bytes()
    assert SflowDatagram.from_bytes(data).samples == (flow, counter)
    flows, counters, _ = sflow.decode_many([(data, "x")])
    assert (flows["vlan"][0], flows["in_if"][0], flows["out_if"][0]) == (7, 11, 12)
    assert (counters["if_index"][0], counters["speed"][0]) == (5, 10**9)


def test_unknown_records_and_samples_are_skipped_by_length() -> None:
    frame = build_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.1", "10.0.0.2")
    flow = FlowSample(1, 1, 1, 1, 0, 1, 2, (UnknownRecord(1002, b"\x01\x02\x03\x04\x05"),
                                            RawPacketHeader(64, frame)))  # fmt: skip
    unknown_sample = bytes.fromhex("0000000500000004deadbeef")  # format 5, 4 bytes
    data = SflowDatagram(ipaddress.ip_address("192.0.2.9"), 3, samples=(flow,)).to_bytes()
    data = data[:24] + (2).to_bytes(4) + unknown_sample + data[28:]
    flows, _, stats = sflow.decode_many([(data, "x")])
    assert len(flows) == 1 and flows["src_mac"][0] == mac_value("02:00:00:00:00:01")
    assert stats.total("malformed") == 0


@pytest.mark.parametrize(
    ("cut", "offset"),
    [(6, 0), (30, 28), (60, 32)],
)
def test_truncated_datagram_raises_with_offset(cut: int, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        sflow.decode_datagram(GOLDEN[:cut])
    assert info.value.offset == offset


def test_lying_lengths_raise_with_offset() -> None:
    bad = bytearray(GOLDEN)
    bad[88:92] = (0x1000).to_bytes(4)  # raw header length beyond its record
    with pytest.raises(DecodeError) as info:
        sflow.decode_datagram(bytes(bad))
    assert info.value.offset == 88
    with pytest.raises(DecodeError) as info:
        sflow.decode_datagram(b"\x00\x00\x00\x04" + GOLDEN[4:])
    assert info.value.offset == 0


def test_bad_datagrams_are_counted_and_the_rest_decoded() -> None:
    datagrams = [(GOLDEN, "a"), (GOLDEN[:50], "a"), (b"", "b"), (GOLDEN, "b")]
    flows, counters, stats = sflow.decode_many(datagrams)
    assert len(flows) == 2 and len(counters) == 2
    assert (stats.exporters["a"].datagrams, stats.exporters["a"].malformed) == (1, 1)
    assert (stats.exporters["b"].datagrams, stats.exporters["b"].malformed) == (1, 1)
    assert stats.exporters["b"].last_error
    assert {flows.exporter_of(0), flows.exporter_of(1)} == {"a", "b"}


def test_sequence_gaps_are_counted_per_agent_across_batches() -> None:
    def datagram(agent: str, seq: int) -> bytes:
        return SflowDatagram(ipaddress.ip_address(agent), seq).to_bytes()

    decoder = sflow.SflowDecoder()
    _, _, first = decoder.decode_many(
        [(datagram("192.0.2.1", 1), "x"), (datagram("192.0.2.2", 7), "x")]
    )
    _, _, second = decoder.decode_many(
        [(datagram("192.0.2.1", 5), "x"), (datagram("192.0.2.2", 8), "x")]
    )
    assert first.total("sequence_gaps") == 0
    assert second.exporters["x"].sequence_gaps == 3
    _, _, third = decoder.decode_many([(datagram("192.0.2.1", 1), "x")])
    assert (third.exporters["x"].sequence_gaps, third.exporters["x"].sequence_resets) == (0, 1)


def test_frame_parser_reads_qinq_ipv4_options_and_fragments() -> None:
    frame = build_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.1", "10.0.0.2",
                        protocol=6, src_port=1, dst_port=2, vlan=10)  # fmt: skip
    qinq = frame[:16] + bytes.fromhex("81000014") + frame[16:]
    assert parse_header(qinq)["vlan"] == 10
    assert parse_header(qinq)["dst_port"] == 2
    fragment = bytearray(frame)
    fragment[18 + 6 : 18 + 8] = b"\x00\x10"  # fragment offset 16: no transport header
    assert parse_header(bytes(fragment))["src_port"] == 0
    assert parse_header(frame[:30])["ip_version"] == 0  # IPv4 header cut short
    assert parse_header(frame[18:], protocol=11)["protocol"] == 6


def _options_frame(options: int) -> bytes:
    """A tagged IPv4/TCP frame whose IP header carries ``options`` bytes of options."""
    frame = build_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.1", "10.0.0.2",
                        protocol=6, src_port=7, dst_port=8, vlan=10)  # fmt: skip
    ip = 18
    head = bytearray(frame[ip : ip + 20])
    head[0] = 0x40 | (5 + options // 4)
    return frame[:ip] + bytes(head) + bytes(options) + frame[ip + 20 :]


@given(st.lists(st.binary(min_size=0, max_size=100), min_size=1, max_size=8), st.data())
def test_header_parse_does_not_depend_on_alignment(blobs: list[bytes], data: st.DataObject) -> None:
    qinq6 = build_frame("02:00:00:00:00:01", "02:00:00:00:00:02", "2001:db8::1", "2001:db8::2",
                        protocol=17, src_port=5, dst_port=6, vlan=20)  # fmt: skip
    qinq6 = qinq6[:16] + bytes.fromhex("81000014") + qinq6[16:]
    headers = [*blobs, _options_frame(40), qinq6, qinq6[: data.draw(st.integers(0, len(qinq6)))]]
    protocols = np.array([data.draw(st.sampled_from([1, 1, 11, 12, 3])) for _ in headers])
    lengths = np.array([len(h) for h in headers])
    columns = []
    for shift in (0, 1, 2, 3):
        buf, offsets = b"", []
        for h in headers:
            buf += bytes(-len(buf) % 4 + shift)
            offsets.append(len(buf))
            buf += h
        buf += bytes(frames.PAD + (-len(buf) % 4))
        out = np.zeros(len(headers), FLOW_DTYPE)
        frames.parse_headers(
            np.frombuffer(buf, np.uint8), np.array(offsets), lengths, protocols, out
        )
        columns.append(out)
    assert all(np.array_equal(columns[0], c) for c in columns[1:])
    assert (columns[0]["vlan"][-3], columns[0]["dst_port"][-3]) == (10, 8) or protocols[-3] != 1
    assert (columns[0]["vlan"][-2], columns[0]["src_port"][-2]) == (20, 5) or protocols[-2] != 1
