"""IPFIX and NetFlow v9: golden bytes, templates and their persistence, sequence numbers."""

from __future__ import annotations

import pytest

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import export, ipfix, netflow9
from ixcenter.telemetry.decode.batch import Kind, ip_text, mac_text
from ixcenter.telemetry.decode.stats import SequenceMode
from ixcenter.telemetry.decode.templates import FieldSpec, Template, TemplateCache

IPFIX_GOLDEN = bytes.fromhex(
    "000a004c" "65000000" "00000000" "00000001"  # v10, length 76, export time, seq 0, domain 1
    "00020020" "01000006"  # template set: template 256, 6 fields
    "00080004" "000c0004" "00040001" "00010004" "00380006" "003a0002"
    "0100001c"  # data set 256, 28 bytes: one 21-byte record and 3 bytes of padding
    "64400001" "64400002" "06" "000005dc" "020000000001" "0064" "000000"
)  # fmt: skip
IPFIX_TEMPLATE = Template(
    256, tuple(FieldSpec(e, n) for e, n in ((8, 4), (12, 4), (4, 1), (1, 4), (56, 6), (58, 2)))
)

NF9_GOLDEN = bytes.fromhex(
    "00090002" "00002710" "65000000" "00000001" "00000005"  # count 2, uptime 10 s, seq 1, id 5
    "00000014" "01040003" "00080004" "00150004" "00010004"  # template 260: src, LAST_SWITCHED, bytes
    "01040010" "0a000001" "00002328" "000003e8"  # data: 10.0.0.1, ended at uptime 9 s, 1000 bytes
)  # fmt: skip


def test_ipfix_golden_bytes_match_the_writer() -> None:
    record = [export.value("100.64.0.1"), export.value("100.64.0.2"), 6, 1500,
              export.value("02:00:00:00:00:01"), 100]  # fmt: skip
    data_set = export.ipfix_data_set(IPFIX_TEMPLATE, [record]) + b"\0\0\0"
    data_set = data_set[:2] + (28).to_bytes(2) + data_set[4:]
    sets = [export.ipfix_template_set([IPFIX_TEMPLATE]), data_set]
    assert export.ipfix_message(sets, domain=1, export_time=0x65000000) == IPFIX_GOLDEN


def test_ipfix_golden_bytes_decode() -> None:
    decoder = ipfix.IpfixDecoder()
    flows, _, stats = decoder.decode_many([(IPFIX_GOLDEN, "192.0.2.1")])
    assert decoder.templates.get("192.0.2.1", 1, 256) == IPFIX_TEMPLATE
    assert len(flows) == 1
    row = flows.rows[0]
    assert ip_text(row["ip_version"], row["src_ip_hi"], row["src_ip_lo"]) == "100.64.0.1"
    assert ip_text(row["ip_version"], row["dst_ip_hi"], row["dst_ip_lo"]) == "100.64.0.2"
    assert (row["protocol"], row["bytes"], row["vlan"], row["kind"]) == (6, 1500, 100, Kind.FLOW)
    assert mac_text(row["src_mac"]) == "02:00:00:00:00:01"
    assert (row["time_ms"], row["sampling_rate"]) == (0x65000000 * 1000, 1)
    assert stats.exporters["192.0.2.1"].samples == 1


def test_ipfix_round_trip_of_the_full_template_with_options_sampling() -> None:
    rec4 = [export.value(v) for v in ("100.64.0.1", "100.64.0.2")] + [
        1234, 443, 6, 15000, 10, 3, 4, export.value("02:00:00:00:00:01"),
        export.value("02:00:00:00:00:02"), 100, 4, 1_700_000_000_000, 1_700_000_001_000,
    ]  # fmt: skip
    rec6 = [export.value(v) for v in ("2001:db8::1", "2001:db8::2")] + rec4[2:]
    rec6[12] = 6
    sets = [
        export.ipfix_template_set([export.FLOW_V4, export.FLOW_V6]),
        export.ipfix_template_set([export.SAMPLING_OPTIONS]),
        export.ipfix_data_set(export.SAMPLING_OPTIONS, [[1, 100]]),
        export.ipfix_data_set(export.FLOW_V4, [rec4, rec4]),
        export.ipfix_data_set(export.FLOW_V6, [rec6]),
    ]
    flows, _, _ = ipfix.decode_many([(export.ipfix_message(sets), "e")])
    assert len(flows) == 3
    assert flows.estimated_bytes() == 3 * 15000 * 100
    assert set(flows["ip_version"]) == {4, 6}
    six = flows.rows[flows["ip_version"] == 6][0]
    assert ip_text(6, six["dst_ip_hi"], six["dst_ip_lo"]) == "2001:db8::2"
    assert (six["src_port"], six["dst_port"], six["in_if"], six["out_if"]) == (1234, 443, 3, 4)
    assert six["time_ms"] == 1_700_000_001_000
    assert mac_text(six["dst_mac"]) == "02:00:00:00:00:02"


def test_variable_length_and_enterprise_fields_are_skipped_by_length() -> None:
    template = Template(300, (FieldSpec(82, 0xFFFF), FieldSpec(1, 8, 9), FieldSpec(2, 8),
                              FieldSpec(1, 3)))  # fmt: skip
    records = [[b"eth0", 77, 5, 1000], [b"x" * 300, 77, 6, 2000]]
    message = export.ipfix_message(
        [export.ipfix_template_set([template]), export.ipfix_data_set(template, records)]
    )
    flows, _, stats = ipfix.decode_many([(message, "e")])
    assert list(flows["packets"]) == [5, 6]
    assert list(flows["bytes"]) == [1000, 2000]  # reduced-size (3-byte) octetDeltaCount
    assert stats.total("malformed") == 0


def test_data_before_its_template_is_counted_and_persisted_templates_decode_it() -> None:
    first = ipfix.IpfixDecoder()
    first.decode_many([(IPFIX_GOLDEN, "192.0.2.1")])
    data_only = IPFIX_GOLDEN[:16] + IPFIX_GOLDEN[48:]
    data_only = data_only[:2] + len(data_only).to_bytes(2) + data_only[4:]

    cold = ipfix.IpfixDecoder()
    flows, _, stats = cold.decode_many([(data_only, "192.0.2.1")])
    assert len(flows) == 0 and stats.exporters["192.0.2.1"].no_template == 1
    assert stats.exporters["192.0.2.1"].malformed == 0

    restored = TemplateCache.from_json(first.templates.to_json())
    assert restored.templates == first.templates.templates
    flows, _, stats = ipfix.IpfixDecoder(restored).decode_many([(data_only, "192.0.2.1")])
    assert len(flows) == 1 and stats.total("no_template") == 0
    assert flows["bytes"][0] == 1500


def test_template_withdrawal() -> None:
    decoder = ipfix.IpfixDecoder()
    decoder.decode_many([(IPFIX_GOLDEN, "e")])
    withdraw = export.ipfix_message([bytes.fromhex("0002000801000000")], domain=1)
    decoder.decode_many([(withdraw, "e")])
    assert len(decoder.templates) == 0


def _message(seq: int, count: int) -> bytes:
    rows = [
        [
            export.value("10.0.0.1"),
            export.value("10.0.0.2"),
            17,
            1,
            export.value("02:00:00:00:00:01"),
            1,
        ]
    ] * count
    sets = [
        export.ipfix_template_set([IPFIX_TEMPLATE]),
        export.ipfix_data_set(IPFIX_TEMPLATE, rows),
    ]
    return export.ipfix_message(sets, sequence=seq, domain=1)


@pytest.mark.parametrize(
    ("mode", "rfc_gaps", "inclusive_gaps"),
    [(SequenceMode.RFC, 0, 4), (SequenceMode.INCLUSIVE, 2, 0), (SequenceMode.TOLERANT, 0, 0)],
)
def test_ipfix_sequence_modes(mode: SequenceMode, rfc_gaps: int, inclusive_gaps: int) -> None:
    counts = (2, 3, 1, 4)  # RFC numbering: 0, 2, 5, 6; softflowd's (inclusive): 2, 5, 6, 10
    rfc = [(_message(sum(counts[:i]), n), "e") for i, n in enumerate(counts)]
    inclusive = [(_message(sum(counts[: i + 1]), n), "f") for i, n in enumerate(counts)]
    _, _, stats = ipfix.IpfixDecoder(sequence_mode=mode).decode_many(rfc + inclusive)
    assert stats.exporters["e"].sequence_gaps == rfc_gaps
    assert stats.exporters["f"].sequence_gaps == inclusive_gaps


def test_ipfix_tolerant_mode_still_sees_real_loss() -> None:
    datagrams = [(_message(0, 2), "e"), (_message(12, 2), "e"), (_message(20, 3), "e")]
    _, _, stats = ipfix.IpfixDecoder().decode_many(datagrams)
    # 12 - (0 + 2) = 10 lost under either reading; then RFC 20 - 14 = 6, inclusive 20 - 15 = 5
    assert stats.exporters["e"].sequence_gaps == 10 + 5


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (IPFIX_GOLDEN[:10], 10),
        (b"\x00\x09" + IPFIX_GOLDEN[2:], 0),
        (IPFIX_GOLDEN[:2] + b"\x01\x00" + IPFIX_GOLDEN[4:], 2),
        (IPFIX_GOLDEN[:18] + b"\x00\x02" + IPFIX_GOLDEN[20:], 18),
        (IPFIX_GOLDEN[:20] + b"\x00\x10" + IPFIX_GOLDEN[22:], 20),
    ],
)
def test_ipfix_malformed_messages_raise_with_offset(data: bytes, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        ipfix.decode_datagram(data)
    assert info.value.offset == offset


def test_netflow9_golden_bytes_match_the_writer_and_decode() -> None:
    template = Template(260, (FieldSpec(8, 4), FieldSpec(21, 4), FieldSpec(1, 4)))
    packet = export.netflow9_packet(
        [export.netflow9_template_flowset([template]),
         export.netflow9_data_flowset(template, [[export.value("10.0.0.1"), 9000, 1000]])],
        count=2, sequence=1, source_id=5, uptime_ms=10_000, unix_secs=0x65000000,
    )  # fmt: skip
    assert packet == NF9_GOLDEN
    flows, _, stats = netflow9.decode_many([(NF9_GOLDEN, "e")])
    row = flows.rows[0]
    assert ip_text(row["ip_version"], row["src_ip_hi"], row["src_ip_lo"]) == "10.0.0.1"
    assert (row["bytes"], row["time_ms"]) == (1000, 0x65000000 * 1000 - 1000)
    assert stats.exporters["e"].count_mismatches == 0


def test_netflow9_header_count_smaller_than_its_records_is_counted_not_obeyed() -> None:
    short = NF9_GOLDEN[:2] + b"\x00\x01" + NF9_GOLDEN[4:]
    flows, _, stats = netflow9.decode_many([(short, "e")])
    assert len(flows) == 1
    assert stats.exporters["e"].count_mismatches == 1


def test_netflow9_options_template_and_sequence() -> None:
    options = Template(270, (FieldSpec(1, 4), FieldSpec(34, 4)), scope_count=1)
    flow = Template(271, (FieldSpec(8, 4), FieldSpec(1, 4)))

    def packet(seq: int) -> bytes:
        return export.netflow9_packet(
            [export.netflow9_template_flowset([options]), export.netflow9_template_flowset([flow]),
             export.netflow9_data_flowset(options, [[0, 64]]),
             export.netflow9_data_flowset(flow, [[export.value("10.0.0.9"), 100]])],
            count=4, sequence=seq,
        )  # fmt: skip

    decoder = netflow9.Netflow9Decoder()
    flows, _, stats = decoder.decode_many([(packet(1), "e"), (packet(2), "e"), (packet(5), "e")])
    assert list(flows["sampling_rate"]) == [64, 64, 64]
    assert flows.estimated_bytes() == 3 * 100 * 64
    assert stats.exporters["e"].sequence_gaps == 2
    assert decoder.templates.get("e", 0, 270) == options
    assert TemplateCache.from_json(decoder.templates.to_json()).options == decoder.templates.options


def test_options_template_golden_bytes() -> None:
    ipfix_set = bytes.fromhex("00030012" "01020002" "0001" "00900004" "00220004")  # fmt: skip
    assert export.ipfix_template_set([export.SAMPLING_OPTIONS]) == ipfix_set
    data = bytes.fromhex("0102000c0000000100000064")  # exporting process 1, 1 in 100
    decoder = ipfix.IpfixDecoder()
    decoder.decode_many([(export.ipfix_message([ipfix_set, data], domain=3), "e")])
    assert decoder.templates.get("e", 3, 258) == export.SAMPLING_OPTIONS
    assert decoder.templates.options_for("e", 3).sampling_interval == 100

    options = Template(270, (FieldSpec(1, 4), FieldSpec(34, 4)), scope_count=1)
    nf9_set = bytes.fromhex("00010014" "010e00040004" "00010004" "00220004" "0000")  # fmt: skip
    assert export.netflow9_template_flowset([options]) == nf9_set
    decoder9 = netflow9.Netflow9Decoder()
    decoder9.decode_many([(export.netflow9_packet([nf9_set], count=1), "e")])
    assert decoder9.templates.get("e", 0, 270) == options
