"""The bulk (vectorised) sFlow walk against the per-datagram reference walk: the same rows, the
same counts and errors, the same sequence accounting, on real captures, generated mixes, mutated
datagrams and the layouts the bulk walk hands back to the reference walk."""

from __future__ import annotations

import ipaddress
import random
import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.telemetry.decode import sflow
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
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
from ixcenter.telemetry.decode.sflow_vector import MAX_SAMPLES, Buffer, walk
from ixcenter.telemetry.decode.stats import DecodeStats
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector import traffic_mix
from tests.telemetry.test_properties import mutated, sflow_datagrams

Batch = list[tuple[bytes, str]]
Result = tuple[FlowBatch, CounterBatch, DecodeStats]


def _decode_both(batches: list[Batch]) -> list[tuple[Result, Result]]:
    """Each batch through one stateful decoder of each kind (sequence state carries over)."""
    vector, reference = sflow.SflowDecoder(), sflow.SflowDecoder(reference=True)
    return [(vector.decode_many(b, 7), reference.decode_many(b, 7)) for b in batches]


def _assert_same(batches: list[Batch]) -> list[Result]:
    results = _decode_both(batches)
    for got, want in results:
        for a, b in zip(got[:2], want[:2], strict=True):
            assert a.exporters == b.exporters
            assert a.rows.dtype == b.rows.dtype
            assert np.array_equal(a.rows, b.rows)
        assert got[2] == want[2]
    return [got for got, _ in results]


def _flow(i: int, *, expanded: bool = False, vlan: int | None = 100) -> FlowSample:
    v6 = i % 2 == 1
    frame = build_frame(traffic_mix.member_mac(i), traffic_mix.member_mac(i + 1),
                        traffic_mix.member_ip(i, v6), traffic_mix.member_ip(i + 1, v6),
                        protocol=6, src_port=1000 + i, dst_port=443, vlan=vlan)  # fmt: skip
    records = (RawPacketHeader(len(frame) + 4, frame), ExtendedSwitch(vlan or 7))
    return FlowSample(i, i, 256, 256 * i, i % 3, i, i + 1, records, expanded=expanded)


def _datagram(agent: str, seq: int, *samples: FlowSample | CounterSample, sub: int = 0) -> bytes:
    return SflowDatagram(ipaddress.ip_address(agent), seq, 0, sub, samples).to_bytes()


def test_the_bulk_walk_takes_ordinary_datagrams_itself() -> None:
    grams = traffic_mix.sflow_datagrams(300, samples=8)
    found = walk(Buffer.join(grams))
    assert not found.fallback.any()
    assert len(found.flow_datagram) > 300
    assert len(found.counter_datagram) == 30  # every tenth datagram has a counter sample


def test_committed_sfprobe_capture_decodes_alike() -> None:
    grams = [(d, "127.0.0.1") for d in read_datagrams(HERE / "sfprobe-sflow.bin")]
    assert not walk(Buffer.join([d for d, _ in grams])).fallback.any()
    results = _assert_same([grams[:5], grams[5:6], grams[6:]])
    assert sum(len(r[0]) for r in results) > 100


def test_generated_mix_from_several_exporters_decodes_alike() -> None:
    grams = traffic_mix.sflow_datagrams(600, seed=5, samples=9)
    rng = random.Random(3)
    pairs = [(g, f"192.0.2.{rng.randrange(1, 4)}") for g in grams]
    rng.shuffle(pairs)  # sequence numbers now jump both ways within and across batches
    results = _assert_same([pairs[i : i + 128] for i in range(0, len(pairs), 128)])
    assert sum(r[2].total("sequence_gaps") for r in results) > 0
    assert sum(r[2].total("sequence_resets") for r in results) > 0


def test_agents_and_sub_agents_are_separate_sequence_streams() -> None:
    batch = [
        (_datagram("2001:db8::1", 1, _flow(1)), "a"),
        (_datagram("192.0.2.1", 1, _flow(2)), "a"),
        (_datagram("2001:db8::1", 1, _flow(3), sub=1), "a"),
        (_datagram("2001:db8::1", 2, _flow(4)), "a"),
        (_datagram("2001:db8::1", 9, _flow(5), sub=1), "a"),
        (_datagram("192.0.2.1", 3, _flow(6)), "b"),
        (_datagram("192.0.2.1", 2, _flow(7)), "a"),
        (_datagram("192.0.2.1", 1, _flow(8)), "a"),
    ]
    (_, _, stats), *_ = _assert_same([batch, batch[::-1]])
    assert (stats.exporters["a"].sequence_gaps, stats.exporters["a"].sequence_resets) == (7, 1)


def test_left_over_layouts_decode_alike_in_order() -> None:
    good = _datagram("192.0.2.1", 1, _flow(1), _flow(2, expanded=True))
    trailing = good + b"\x01\x02\x03"  # a length that is not a multiple of 4
    # a record whose length is not a multiple of 4, then a raw header after it
    odd = FlowSample(3, 3, 1, 1, 0, 3, 4, (UnknownRecord(1002, b"\x01\x02"),
                                           *_flow(3).records))  # fmt: skip
    odd_bytes = bytearray(_datagram("192.0.2.1", 3, odd))
    odd_at = odd_bytes.find(struct.pack(">II", 1002, 4))
    odd_bytes[odd_at + 4 : odd_at + 8] = struct.pack(">I", 2)
    odd_bytes[odd_at + 10 : odd_at + 12] = b""
    odd_bytes[32:36] = struct.pack(">I", len(odd_bytes) - 36)  # the sample's length
    many = _datagram("192.0.2.1", 4, *[_flow(i) for i in range(MAX_SAMPLES + 1)])
    counters = CounterSample(1, 5, (GenericInterfaceCounters(5, speed=10**9),))
    bad_counter = bytearray(_datagram("192.0.2.1", 5, _flow(1), counters, _flow(2)))
    at = bad_counter.find(struct.pack(">II", 1, 88))  # the generic counters record
    bad_counter[at + 4 : at + 8] = struct.pack(">I", 84)  # too short for its format
    no_header = FlowSample(6, 6, 1, 1, 0, 6, 7, (ExtendedSwitch(5),))
    grams = [good, trailing, bytes(odd_bytes), many, bytes(bad_counter), good[:60],
             _datagram("192.0.2.1", 6, no_header, counters), b"", good]  # fmt: skip
    found = walk(Buffer.join(grams))
    assert found.fallback.tolist() == [False, True, True, True, False, True, False, True, False]
    flows, counter_rows, stats = _assert_same([[(g, "x") for g in grams]])[0]
    counts = stats.exporters["x"]
    assert (counts.datagrams, counts.malformed) == (6, 3)
    assert counts.last_error.startswith("sFlow datagram truncated")  # b"", the last bad one
    assert len(flows) == 2 + 2 + 1 + MAX_SAMPLES + 1 + 1 + 2
    assert len(counter_rows) == 1
    assert flows["in_if"][:6].tolist() == [1, 2, 1, 2, 3, 0]
    _, _, alone = _assert_same([[(bytes(bad_counter), "x")]])[0]
    assert "generic interface counters too short" in alone.exporters["x"].last_error


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_batches_decode_alike(data: st.DataObject) -> None:
    batches = []
    for _ in range(data.draw(st.integers(1, 3))):
        batch = []
        for _ in range(data.draw(st.integers(1, 6))):
            datagram = data.draw(sflow_datagrams())[0].to_bytes()
            how = data.draw(st.sampled_from(["valid", "mutated", "random"]))
            if how == "mutated":
                datagram = data.draw(mutated(datagram))
            elif how == "random":
                datagram = data.draw(st.binary(max_size=120))
            batch.append((datagram, data.draw(st.sampled_from(["a", "b"]))))
        batches.append(batch)
    _assert_same(batches)
