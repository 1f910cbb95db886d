"""Generated exporter output with known, varied content: sFlow v5 datagrams, IPFIX messages
and NetFlow v9 packets from a handful of members (MACs, IPv4 and IPv6, VLANs, sampling rates).

Deterministic by seed. Used where the same datagrams go to ixcenter's collector and to a peer
collector (pmacct), and by bench/bench_collector.py.
"""

from __future__ import annotations

import ipaddress
import random

from ixcenter.telemetry.decode import export
from ixcenter.telemetry.decode.frames import build_frame
from ixcenter.telemetry.decode.sflow_records import (
    CounterSample,
    ExtendedSwitch,
    FlowSample,
    GenericInterfaceCounters,
    RawPacketHeader,
    SflowDatagram,
)
from ixcenter.telemetry.decode.templates import FieldSpec, Template

MEMBERS = 12
RATES = (1, 256, 1024, 4096)
#: NetFlow v9 options template: scope System (1), then SAMPLING_INTERVAL (34).
NF9_SAMPLING = Template(270, (FieldSpec(1, 4), FieldSpec(34, 4)), scope_count=1)


def member_mac(i: int) -> str:
    return f"02:00:00:00:{i >> 8:02x}:{i & 0xFF:02x}"


def member_ip(i: int, v6: bool) -> str:
    return f"2001:db8::{i + 1:x}" if v6 else f"100.64.0.{i + 1}"


def _pair(rng: random.Random) -> tuple[int, int]:
    a = rng.randrange(MEMBERS)
    return a, (a + 1 + rng.randrange(MEMBERS - 1)) % MEMBERS


def sflow_datagrams(
    count: int, seed: int = 1, samples: int = 8, *, fixed: bool = False
) -> list[bytes]:
    """``count`` datagrams of up to ``samples`` flow samples (and now and then a counter sample).

    Each sample comes from one of 47 ports (its data source), each sampling at a fixed rate of
    ``RATES``, with its own sample sequence numbers and sample pool, as a switch counts them
    (sfacctd checks the rate against the pool's growth per data source). ``fixed``: exactly
    ``samples`` flow samples in every datagram.
    """
    rng = random.Random(seed)
    agent = ipaddress.ip_address("192.0.2.1")
    out = []
    per_port: dict[int, tuple[int, int]] = {}  # sample sequence number and sample pool
    for n in range(count):
        taken: list[FlowSample | CounterSample] = []
        for _ in range(samples if fixed else rng.randint(1, samples)):
            a, b = _pair(rng)
            v6 = rng.random() < 0.3
            vlan = rng.choice((None, 100, 200))
            frame = build_frame(member_mac(a), member_mac(b), member_ip(a, v6), member_ip(b, v6),
                                protocol=rng.choice((6, 17)), src_port=rng.randrange(1024, 65535),
                                dst_port=rng.choice((80, 443, 53)), vlan=vlan,
                                payload=rng.randrange(0, 1400))  # fmt: skip
            records = (RawPacketHeader(len(frame) + 4, frame[:128], stripped=4),
                       ExtendedSwitch(vlan or 0, 0, vlan or 0, 0))  # fmt: skip
            port = rng.randrange(1, 48)  # the data source: each samples at its own rate
            rate = RATES[port % len(RATES)]
            sequence, pool = per_port.get(port, (0, 0))
            per_port[port] = sequence + 1, pool + rate  # as an agent counts them
            taken.append(FlowSample(sequence + 1, port, rate, pool + rate, 0, port,
                                    rng.randrange(1, 48), records,
                                    expanded=rng.random() < 0.2))  # fmt: skip
        if n % 10 == 0:
            counters = GenericInterfaceCounters(n % 48 + 1, speed=10**10, in_octets=n * 10**6)
            taken.append(CounterSample(n, n % 48 + 1, (counters,)))
        out.append(SflowDatagram(agent, n + 1, n * 100, 0, tuple(taken)).to_bytes())
    return out


def _flow_record(rng: random.Random, v6: bool, packets: int | None) -> list[export.Value]:
    a, b = _pair(rng)
    count = rng.randrange(1, 1000) if packets is None else packets
    values: list[object] = [member_ip(a, v6), member_ip(b, v6), rng.randrange(1024, 65535),
                            rng.choice((80, 443)), rng.choice((6, 17)), rng.randrange(64, 10**6),
                            count, 3, 4, member_mac(a), member_mac(b),
                            rng.choice((100, 200)), 6 if v6 else 4, 1_700_000_000_000,
                            1_700_000_001_000]  # fmt: skip
    return [export.value(v) for v in values]


def ipfix_messages(
    count: int, seed: int = 2, records: int = 18, sampling: int = 100, packets: int | None = None
) -> list[bytes]:
    """Messages of ``records`` data records each (IPv4, or IPv6 every fourth message); the
    first message and every 50th carry the templates and the sampling interval (options).
    ``packets`` fixes every record's packet count (else random)."""
    rng = random.Random(seed)
    out = []
    sent = 0
    for n in range(count):
        sets = []
        if n % 50 == 0:
            sets += [export.ipfix_template_set([export.FLOW_V4, export.FLOW_V6]),
                     export.ipfix_template_set([export.SAMPLING_OPTIONS]),
                     export.ipfix_data_set(export.SAMPLING_OPTIONS, [[1, sampling]])]  # fmt: skip
        v6 = n % 4 == 3
        template = export.FLOW_V6 if v6 else export.FLOW_V4
        sets.append(
            export.ipfix_data_set(
                template, [_flow_record(rng, v6, packets) for _ in range(records)]
            )
        )
        out.append(export.ipfix_message(sets, sequence=sent, domain=7, export_time=1_700_000_001))
        sent += records
    return out


def netflow9_packets(
    count: int, seed: int = 3, records: int = 18, sampling: int = 100, packets: int | None = None
) -> list[bytes]:
    """As ``ipfix_messages``, in NetFlow v9 (header count right: records plus templates)."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        sets = []
        extra = 0
        if n % 50 == 0:
            sets += [export.netflow9_template_flowset([export.FLOW_V4, export.FLOW_V6]),
                     export.netflow9_template_flowset([NF9_SAMPLING]),
                     export.netflow9_data_flowset(NF9_SAMPLING, [[0, sampling]])]  # fmt: skip
            extra = 4
        v6 = n % 4 == 3
        template = export.FLOW_V6 if v6 else export.FLOW_V4
        sets.append(
            export.netflow9_data_flowset(
                template, [_flow_record(rng, v6, packets) for _ in range(records)]
            )
        )
        out.append(export.netflow9_packet(sets, count=records + extra, sequence=n, source_id=7,
                                          uptime_ms=10**6, unix_secs=1_700_000_001))  # fmt: skip
    return out
