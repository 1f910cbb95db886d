"""Decoding a batch where it lies (``decode_datagrams``) against the list API (``decode_many``):
the same rows, counters, counts, errors and sequence accounting, for every decoder, when the
datagrams sit in fixed-size slots with garbage between them (as the collector receives them)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.telemetry.decode import ipfix, netflow9, sflow
from ixcenter.telemetry.decode.datagrams import Datagrams
from ixcenter.telemetry.decode.frames import PAD
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector import traffic_mix
from tests.telemetry.test_properties import mutated, sflow_datagrams
from tests.telemetry.test_template_fast_path import mixes

Pairs = list[tuple[bytes, str]]
EXPORTERS = ("192.0.2.1", "2001:db8::7", "198.51.100.9", "fe80::1%lo")


def slotted(pairs: Pairs, fill: int = 0xA5) -> Datagrams:
    """``pairs`` in slots of one size (the longest datagram, rounded up, plus some), every byte
    that is not a datagram set to ``fill``."""
    slot = (max((len(d) for d, _ in pairs), default=0) + 3) // 4 * 4 + 12
    buffer = np.full(len(pairs) * slot + PAD, fill, np.uint8)
    for i, (data, _) in enumerate(pairs):
        buffer[i * slot : i * slot + len(data)] = np.frombuffer(data, np.uint8)
    names = list(dict.fromkeys(s for _, s in pairs))
    exporter = np.array([names.index(s) for _, s in pairs], np.int64)
    starts = np.arange(len(pairs), dtype=np.int64) * slot
    lengths = np.array([len(d) for d, _ in pairs], np.int64)
    return Datagrams(buffer, starts, lengths, exporter, names)


def assert_same(make: Any, batches: list[Pairs], received_ms: int = 5, fill: int = 0xA5) -> int:
    """Each batch through two stateful decoders, one per API; returns the rows decoded."""
    listed, placed = make(), make()
    rows = 0
    for batch in batches:
        want = listed.decode_many(batch, received_ms)
        got = placed.decode_datagrams(slotted(batch, fill), received_ms)
        for a, b in zip(got[:2], want[:2], strict=True):
            assert a.exporters == b.exporters
            assert a.rows.dtype == b.rows.dtype
            assert a.rows.tobytes() == b.rows.tobytes()
        assert got[2] == want[2]
        rows += len(want[0])
    return rows


def spread(datagrams: list[bytes], size: int) -> list[Pairs]:
    """Datagrams dealt to the exporters in turn (IPv4, IPv6, scoped), in batches of ``size``."""
    pairs = [(d, EXPORTERS[i % len(EXPORTERS)]) for i, d in enumerate(datagrams)]
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def test_join_keeps_payloads_and_first_appearance_order() -> None:
    batch = Datagrams.join([(b"abc", "b"), (b"defgh", "a"), (b"", "b"), (b"ij", "c")])
    assert batch.names == ["b", "a", "c"]
    assert batch.exporter.tolist() == [0, 1, 0, 2]
    assert batch.starts.tolist() == [0, 4, 12, 12]  # each at a multiple of 4
    assert [batch.payload(i) for i in range(len(batch))] == [b"abc", b"defgh", b"", b"ij"]
    assert len(batch.octets()) == 16 + PAD


@pytest.mark.parametrize("size", [1, 7, 256])
def test_sflow_mix_and_capture_decode_alike_in_slots(size: int) -> None:
    grams = traffic_mix.sflow_datagrams(400, samples=8)
    grams += read_datagrams(HERE / "sfprobe-sflow.bin")
    assert assert_same(sflow.SflowDecoder, spread(grams, size)) > 1500


@pytest.mark.parametrize(("make", "grams"), [
    (ipfix.IpfixDecoder, traffic_mix.ipfix_messages(160)),
    (netflow9.Netflow9Decoder, traffic_mix.netflow9_packets(160)),
    (ipfix.IpfixDecoder, read_datagrams(HERE / "softflowd-ipfix.bin")),
    (netflow9.Netflow9Decoder, read_datagrams(HERE / "softflowd-nf9.bin")),
])  # fmt: skip
def test_template_protocols_decode_alike_in_slots(make: Any, grams: list[bytes]) -> None:
    # one exporter per run of 50 (templates come every 50 messages), then all mixed
    assert assert_same(make, [[(d, "192.0.2.1") for d in grams]]) > 0
    assert assert_same(make, spread(grams, 64)) > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_sflow_decodes_alike_in_slots(data: st.DataObject) -> None:
    grams = [d.to_bytes() for d, _ in data.draw(st.lists(sflow_datagrams(), max_size=6))]
    grams += [data.draw(mutated(g)) for g in grams]
    grams += traffic_mix.sflow_datagrams(3, seed=data.draw(st.integers(0, 99)))
    data.draw(st.randoms()).shuffle(grams)
    batches = spread(grams, data.draw(st.integers(1, 16)))
    assert_same(sflow.SflowDecoder, batches, fill=data.draw(st.sampled_from([0, 0xA5, 0xFF])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), netflow=st.booleans())
def test_mutated_template_mixes_decode_alike_in_slots(data: st.DataObject, netflow: bool) -> None:
    pairs = data.draw(mixes(netflow))
    pairs += [(data.draw(mutated(g)), s) for g, s in pairs[: data.draw(st.integers(0, 4))]]
    size = data.draw(st.integers(1, 16))
    make = netflow9.Netflow9Decoder if netflow else ipfix.IpfixDecoder
    assert_same(make, [pairs[i : i + size] for i in range(0, len(pairs), size)])
