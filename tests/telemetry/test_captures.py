"""Real exporters' output (committed captures, see captures/README.md) against the traffic that
was fed to them (``captures/make_captures.py``)."""

from __future__ import annotations

import pytest

from ixcenter.telemetry.decode import ipfix, netflow9, sflow
from ixcenter.telemetry.decode.batch import FlowBatch, ip_columns, mac_value
from ixcenter.telemetry.decode.sflow_records import SflowDatagram
from ixcenter.telemetry.decode.stats import SequenceMode
from tests.telemetry.captures.make_captures import HERE, TRAFFIC, Flow, frames, read_datagrams

EXPORTER = "127.0.0.1"


def _datagrams(name: str) -> list[tuple[bytes, str]]:
    return [(d, EXPORTER) for d in read_datagrams(HERE / name)]


def _key(f: Flow) -> tuple[int, ...]:
    _, src_hi, src_lo = ip_columns(f.src_ip)
    _, dst_hi, dst_lo = ip_columns(f.dst_ip)
    return (mac_value(f.src_mac), mac_value(f.dst_mac), f.vlan or 0, src_hi, src_lo, dst_hi,
            dst_lo, f.protocol, f.src_port, f.dst_port)  # fmt: skip


def _row_key(batch: FlowBatch, i: int) -> tuple[int, ...]:
    r = batch.rows[i]
    names = ("src_mac", "dst_mac", "vlan", "src_ip_hi", "src_ip_lo", "dst_ip_hi", "dst_ip_lo",
             "protocol", "src_port", "dst_port")  # fmt: skip
    return tuple(int(r[n]) for n in names)


def _l3_length(f: Flow) -> int:
    """softflowd counts bytes as wire length minus the L2 header (14, or 18 with a tag)."""
    header = 40 if ":" in f.src_ip else 20
    transport = 20 if f.protocol == 6 else 8
    return header + transport + f.payload


@pytest.mark.parametrize(
    ("name", "decoder"),
    [("softflowd-ipfix.bin", ipfix.IpfixDecoder), ("softflowd-nf9.bin", netflow9.Netflow9Decoder)],
)
def test_softflowd_flows_match_the_generated_traffic(name: str, decoder: type) -> None:
    flows, _, stats = decoder().decode_many(_datagrams(name))
    counts = stats.exporters[EXPORTER]
    assert (counts.malformed, counts.no_template, counts.sequence_gaps) == (0, 0, 0)
    assert len(flows) == len(TRAFFIC)
    found = {_row_key(flows, i): i for i in range(len(flows))}
    for f in TRAFFIC:
        i = found[_key(f)]
        assert int(flows["packets"][i]) == f.packets
        assert int(flows["bytes"][i]) == f.packets * _l3_length(f)
        assert int(flows["ip_version"][i]) == (6 if ":" in f.src_ip else 4)
        assert int(flows["sampling_rate"][i]) == 1
    assert flows.estimated_bytes() == sum(f.packets * _l3_length(f) for f in TRAFFIC)


def test_softflowd_ipfix_sequence_numbers_include_the_current_message() -> None:
    datagrams = _datagrams("softflowd-ipfix.bin")
    assert len(datagrams) > 2
    _, _, strict = ipfix.IpfixDecoder(sequence_mode=SequenceMode.RFC).decode_many(datagrams)
    _, _, inclusive = ipfix.IpfixDecoder(sequence_mode=SequenceMode.INCLUSIVE).decode_many(
        datagrams
    )
    assert strict.exporters[EXPORTER].sequence_gaps > 0  # the false gaps a strict reader sees
    assert inclusive.exporters[EXPORTER].sequence_gaps == 0


def test_softflowd_netflow9_header_count_quirk_is_counted() -> None:
    flows, _, stats = netflow9.Netflow9Decoder().decode_many(_datagrams("softflowd-nf9.bin"))
    assert len(flows) == len(TRAFFIC)  # every flowset decoded regardless of the header count
    assert stats.exporters[EXPORTER].count_mismatches == 1


def test_sfprobe_samples_match_the_generated_frames() -> None:
    datagrams = _datagrams("sfprobe-sflow.bin")
    first = SflowDatagram.from_bytes(datagrams[0][0])
    assert (str(first.agent), first.sub_agent) == ("192.0.2.10", 7)
    flows, _, stats = sflow.SflowDecoder().decode_many(datagrams, received_ms=1)
    counts = stats.exporters[EXPORTER]
    assert (counts.malformed, counts.sequence_gaps, counts.datagrams) == (0, 0, len(datagrams))
    assert set(flows["sampling_rate"]) == {10}  # pmacctd_ext_sampling_rate: 10
    sent = frames()
    # Samples 1..len(sent) are the savefile in order; pmacctd then delivers some packets a
    # second time (see captures/README.md): they are decoded as what they are.
    assert len(flows) >= len(sent)
    key_of_frame = [_key(_flow_of(frame)) for frame in sent]
    assert [_row_key(flows, i) for i in range(len(sent))] == key_of_frame
    assert [int(b) for b in flows["bytes"][: len(sent)]] == [len(fr) + 4 for fr in sent]  # + FCS
    head = FlowBatch(flows.rows[: len(sent)], flows.exporters)
    assert head.estimated_bytes() == 10 * sum(len(fr) + 4 for fr in sent)
    replayed = {_row_key(flows, i) for i in range(len(sent), len(flows))}
    assert replayed <= set(key_of_frame)


def _flow_of(frame: bytes) -> Flow:
    """The flow of ``TRAFFIC`` a generated frame belongs to (by source MAC, then payload size)."""
    candidates = [f for f in TRAFFIC if f.src_mac == frame[6:12].hex(":")]
    if len(candidates) == 1:
        return candidates[0]
    return next(f for f in candidates if f.payload == len(frame) - 18 - 20 - 8)
