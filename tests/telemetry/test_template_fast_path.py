"""The template decoders' fast path (whole batches, numpy) against decoding every datagram with
``decode_one``: the same rows in the same order, counts, sequence accounting and templates, on
real exporters' captures, on the generated traffic mix and on generated mixes with template
changes, withdrawals, options, unknown templates and mutated datagrams in the middle of batches.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.telemetry.decode import export, ipfix, netflow9
from ixcenter.telemetry.decode.stats import DecodeStats, SequenceMode
from ixcenter.telemetry.decode.template_decoder import Headers, TemplateDecoder
from ixcenter.telemetry.decode.templates import VARIABLE, FieldSpec, Template, TemplateCache
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector import traffic_mix
from tests.telemetry.test_properties import mutated


class PerMessageIpfix(ipfix.IpfixDecoder):
    """Every datagram through ``decode_one``: the reference."""

    def scan(self, joined: bytes, starts: Any, lengths: Any) -> Headers:
        heads = super().scan(joined, starts, lengths)
        return dataclasses.replace(heads, fast=np.zeros_like(heads.fast))


class PerMessageNetflow9(netflow9.Netflow9Decoder):
    def scan(self, joined: bytes, starts: Any, lengths: Any) -> Headers:
        heads = super().scan(joined, starts, lengths)
        return dataclasses.replace(heads, fast=np.zeros_like(heads.fast))


def _fast_share(decoder: TemplateDecoder, datagrams: list[tuple[bytes, str]]) -> float:
    payloads = [d for d, _ in datagrams]
    lengths = np.array([len(p) for p in payloads], np.int64)
    starts = np.cumsum(lengths) - lengths
    heads = decoder.scan(b"".join([*payloads, bytes(64)]), starts, lengths)
    return float(heads.fast.mean())


def assert_same(
    fast: TemplateDecoder,
    reference: TemplateDecoder,
    batches: Sequence[Sequence[tuple[bytes, str]]],
) -> DecodeStats:
    """Decode the batches with both decoders (state carried over); all must be equal."""
    total = DecodeStats()
    for batch in batches:
        flows, counters, stats = fast.decode_many(batch)
        want_flows, want_counters, want_stats = reference.decode_many(batch)
        assert flows.exporters == want_flows.exporters
        assert flows.rows.dtype == want_flows.rows.dtype
        assert flows.rows.tobytes() == want_flows.rows.tobytes()
        assert len(counters) == len(want_counters) == 0
        assert stats == want_stats
        assert list(stats.exporters) == list(want_stats.exporters)
        assert fast.templates.templates == reference.templates.templates
        assert fast.templates.options == reference.templates.options
        assert fast.templates.to_json() == reference.templates.to_json()
        total.merge(stats)
    return total


def _batches(datagrams: list[tuple[bytes, str]], size: int) -> list[list[tuple[bytes, str]]]:
    return [datagrams[i : i + size] for i in range(0, len(datagrams), size)]


@pytest.mark.parametrize(
    ("name", "fast", "reference"),
    [("softflowd-ipfix.bin", ipfix.IpfixDecoder, PerMessageIpfix),
     ("softflowd-nf9.bin", netflow9.Netflow9Decoder, PerMessageNetflow9)],
)  # fmt: skip
@pytest.mark.parametrize("size", [1, 3, 256])
def test_captures_decode_the_same(name: str, fast: type, reference: type, size: int) -> None:
    datagrams = [(d, "127.0.0.1") for d in read_datagrams(HERE / name)]
    total = assert_same(fast(), reference(), _batches(datagrams, size))
    assert total.total("samples") > 0


@pytest.mark.parametrize("mode", list(SequenceMode))
@pytest.mark.parametrize("size", [7, 256])
def test_traffic_mix_ipfix_decodes_the_same(mode: SequenceMode, size: int) -> None:
    rng = random.Random(size)
    datagrams = [(d, rng.choice(("192.0.2.1", "192.0.2.2")))
                 for d in traffic_mix.ipfix_messages(400, records=20)]  # fmt: skip
    datagrams[100:110] = datagrams[105:110] + datagrams[100:105]  # reordered: gaps and resets
    del datagrams[200:203]  # lost
    assert _fast_share(ipfix.IpfixDecoder(), datagrams) > 0.9  # the path under test is taken
    total = assert_same(ipfix.IpfixDecoder(sequence_mode=mode),
                        PerMessageIpfix(sequence_mode=mode), _batches(datagrams, size))  # fmt: skip
    assert total.total("sequence_gaps") > 0 and total.total("sequence_resets") > 0


@pytest.mark.parametrize("size", [7, 256])
def test_traffic_mix_netflow9_decodes_the_same(size: int) -> None:
    datagrams = [(d, "192.0.2.1") for d in traffic_mix.netflow9_packets(400, records=20)]
    datagrams[100:110] = datagrams[105:110] + datagrams[100:105]
    del datagrams[200:203]
    short = datagrams[50][0][:2] + b"\x00\x01" + datagrams[50][0][4:]  # a wrong header count
    datagrams[50] = (short, "192.0.2.1")
    assert _fast_share(netflow9.Netflow9Decoder(), datagrams) > 0.9
    total = assert_same(netflow9.Netflow9Decoder(), PerMessageNetflow9(), _batches(datagrams, size))
    assert total.total("sequence_gaps") > 0 and total.total("count_mismatches") > 0


# Generated mixes: templates that change under the same id, with 3-, 6- and 7-byte fields read
# widened, variable-length fields and options templates (both stay on the slow path).
def _fields(*specs: tuple[int, ...]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(*spec) for spec in specs)


VARIANTS = [
    Template(256, export.FLOW_V4.fields),
    Template(256, _fields((56, 6), (1, 3), (2, 7), (58, 1), (8, 4), (153, 8), (34, 2))),
    Template(256, _fields((80, 6), (27, 16), (60, 1), (1, 5), (243, 2), (21, 4), (999, 2, 9))),
    Template(256, (FieldSpec(82, VARIABLE), FieldSpec(1, 8))),
    Template(256, (FieldSpec(144, 4), FieldSpec(34, 4)), scope_count=1),
    Template(257, export.FLOW_V6.fields),
    Template(258, (FieldSpec(56, 6),)),
]


def _record(rng: random.Random, template: Template) -> list[export.Value]:
    out: list[export.Value] = []
    for spec in template.fields:
        if spec.length == VARIABLE:
            out.append(rng.randbytes(rng.choice((0, 3, 300))))
        else:
            out.append(rng.getrandbits(8 * spec.length))
    return out


@st.composite
def mixes(draw: st.DrawFn, netflow: bool) -> list[tuple[bytes, str]]:
    """Datagrams of two exporters and two domains each; mostly data sets of known templates."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    sequence: dict[tuple[str, int], int] = {}
    out = []
    for _ in range(draw(st.integers(1, 60))):
        exporter, domain = rng.choice(("a", "b")), rng.choice((0, 5))
        kind = draw(st.sampled_from(["data"] * 6 + ["templates", "options", "withdraw", "two"]))
        template = draw(st.sampled_from(VARIANTS))
        records = [_record(rng, template) for _ in range(draw(st.sampled_from([0, 1, 3, 20])))]
        sets: list[tuple[str, Template | None, list[list[export.Value]]]] = []
        if kind in ("templates", "two"):
            sets.append(("templates", template, []))
        if kind == "options":
            sets.append(("data", VARIANTS[4], [[1, draw(st.integers(0, 2**32 - 1))]]))
        if kind == "withdraw" and not netflow:
            sets.append(("withdraw", template, []))
        if kind in ("data", "two") or (kind == "withdraw" and netflow):
            sets.append(("data", template, records))
        n = sequence.get((exporter, domain), 0)
        sequence[(exporter, domain)] = n + (len(records) if not netflow else 1)
        if draw(st.integers(0, 9)) == 0:
            n = rng.getrandbits(32)  # loss or reset
        data = _write(sets, n, domain, netflow, pad=draw(st.integers(0, 3)))
        if draw(st.integers(0, 9)) == 0:
            data = draw(mutated(data))
        out.append((data, exporter))
    return out


def _write(
    sets: list[tuple[str, Template | None, list[list[export.Value]]]],
    sequence: int,
    domain: int,
    netflow: bool,
    pad: int,
) -> bytes:
    body = []
    for kind, template, records in sets:
        assert template is not None
        if kind == "templates":
            write = export.netflow9_template_flowset if netflow else export.ipfix_template_set
            body.append(write([template]))
        elif kind == "withdraw":
            body.append(bytes.fromhex("00020008") + template.template_id.to_bytes(2) + b"\0\0")
        else:
            data = export.data_records(template, records) + bytes(pad)
            body.append(template.template_id.to_bytes(2) + (4 + len(data)).to_bytes(2) + data)
    if netflow:
        return export.netflow9_packet(body, count=len(sets), sequence=sequence,
                                      source_id=domain, uptime_ms=5000, unix_secs=100)  # fmt: skip
    return export.ipfix_message(body, sequence=sequence, domain=domain, export_time=100)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes(netflow=False), st.integers(1, 40), st.sampled_from(list(SequenceMode)))
def test_generated_ipfix_mixes_decode_the_same(
    datagrams: list[tuple[bytes, str]], size: int, mode: SequenceMode
) -> None:
    known = TemplateCache()
    known.add("a", 0, VARIANTS[0])  # known from a restart: data decodes before any template
    assert_same(ipfix.IpfixDecoder(TemplateCache.from_json(known.to_json()), mode),
                PerMessageIpfix(TemplateCache.from_json(known.to_json()), mode),
                _batches(datagrams, size))  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes(netflow=True), st.integers(1, 40))
def test_generated_netflow9_mixes_decode_the_same(
    datagrams: list[tuple[bytes, str]], size: int
) -> None:
    assert_same(netflow9.Netflow9Decoder(), PerMessageNetflow9(), _batches(datagrams, size))


def _ipfix_data(template: Template, records: list[list[export.Value]], sequence: int) -> bytes:
    sets = [export.ipfix_data_set(template, records)]
    return export.ipfix_message(sets, sequence=sequence, domain=1)


def test_rows_follow_the_template_whose_records_came_first() -> None:
    """An empty data set does not put its template's rows first."""
    rng = random.Random(1)
    known = TemplateCache()
    for template in (export.FLOW_V4, export.FLOW_V6):
        known.add("e", 1, template)
    v4 = [_record(rng, export.FLOW_V4) for _ in range(3)]
    v6 = [_record(rng, export.FLOW_V6) for _ in range(2)]
    batch = [(_ipfix_data(export.FLOW_V4, [], 0), "e"), (_ipfix_data(export.FLOW_V6, v6, 0), "e"),
             (_ipfix_data(export.FLOW_V4, v4, 2), "e")]  # fmt: skip
    assert _fast_share(ipfix.IpfixDecoder(), batch) == 1
    fast = ipfix.IpfixDecoder(TemplateCache.from_json(known.to_json()))
    assert_same(fast, PerMessageIpfix(TemplateCache.from_json(known.to_json())), [batch])
    flows, _, _ = fast.decode_many(batch)
    assert list(flows["packets"]) == [r[6] for r in v6] + [r[6] for r in v4]


def test_a_template_changed_mid_batch_applies_from_the_next_datagram() -> None:
    rng = random.Random(2)
    narrow = Template(256, (FieldSpec(1, 4), FieldSpec(2, 2)))
    wide = Template(256, (FieldSpec(2, 8), FieldSpec(1, 6)))
    first, second = [[10, 1], [20, 2]], [[3, 300], [4, 400], [5, 500]]
    batch = [
        (export.ipfix_message([export.ipfix_template_set([narrow])], domain=1), "e"),
        (_ipfix_data(narrow, first, 0), "e"),
        (_ipfix_data(narrow, [_record(rng, narrow)], 2), "e"),
        (export.ipfix_message([export.ipfix_template_set([wide])], domain=1), "e"),
        (_ipfix_data(wide, second, 3), "e"),
    ]
    fast = ipfix.IpfixDecoder()
    assert_same(fast, PerMessageIpfix(), [batch])
    flows, _, stats = ipfix.IpfixDecoder().decode_many(batch)
    assert list(flows["bytes"][:2]) == [10, 20]
    assert list(flows["bytes"][-3:]) == [300, 400, 500]
    assert list(flows["packets"][-3:]) == [3, 4, 5]
    assert stats.total("sequence_gaps") == 0
