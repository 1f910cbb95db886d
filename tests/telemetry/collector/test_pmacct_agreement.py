"""The same datagrams to pmacct's collectors (sfacctd, nfacctd) and to ixcenter's: the totals
per (source MAC, destination MAC) and per address pair agree, after the sampling arithmetic
(pmacct renormalises: packets and bytes times the sampling rate; ixcenter keeps the rate in
every row and estimates the same products).

Inputs: the committed captures of real exporters, and generated datagrams (``traffic_mix``) with
several sampling rates, IPv4 and IPv6, tagged and untagged frames, expanded sFlow samples, and
sampling intervals from options data. The generated sFlow keeps each data source's sample pool
consistent with its rate: sfacctd 1.7.7 looks at the pool's growth, and with pools that
contradict the rates it renormalised some samples by the pool instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ixcenter.telemetry.collector import Protocol
from ixcenter.telemetry.decode.batch import FlowBatch, ip_text, mac_text
from ixcenter.telemetry.sink import MemorySink
from tests.live import require
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector import traffic_mix
from tests.telemetry.collector.collector_process import free_udp_port
from tests.telemetry.collector.conftest import MakeCollector, port_of, pump, send
from tests.telemetry.collector.pmacct import PmacctCollector, Totals

pytestmark = pytest.mark.live

MACS = ("SRC_MAC", "DST_MAC")
MACS_AND_IPS = ("SRC_MAC", "DST_MAC", "SRC_IP", "DST_IP")


def _ours(flows: FlowBatch, key: tuple[str, ...]) -> Totals:
    rate = flows["sampling_rate"].astype(np.uint64)
    packets, octets = flows["packets"] * rate, flows["bytes"] * rate
    out: dict[tuple[str, ...], tuple[int, int]] = {}
    for i in range(len(flows)):
        row = flows.rows[i]
        parts = {
            "SRC_MAC": mac_text(row["src_mac"]),
            "DST_MAC": mac_text(row["dst_mac"]),
            "SRC_IP": ip_text(row["ip_version"], row["src_ip_hi"], row["src_ip_lo"]),
            "DST_IP": ip_text(row["ip_version"], row["dst_ip_hi"], row["dst_ip_lo"]),
        }
        k = tuple(parts[c] for c in key)
        p, o = out.get(k, (0, 0))
        out[k] = (p + int(packets[i]), o + int(octets[i]))
    return out


CASES: dict[str, tuple[Protocol, str, tuple[str, ...], Callable[[], list[bytes]]]] = {
    "sfprobe capture": (Protocol.SFLOW, "sfacctd", MACS,
                        lambda: read_datagrams(HERE / "sfprobe-sflow.bin")),
    "generated sFlow": (Protocol.SFLOW, "sfacctd", MACS,
                        lambda: traffic_mix.sflow_datagrams(400)),
    "softflowd IPFIX capture": (Protocol.IPFIX, "nfacctd", MACS_AND_IPS,
                                lambda: read_datagrams(HERE / "softflowd-ipfix.bin")),
    "generated IPFIX": (Protocol.IPFIX, "nfacctd", MACS_AND_IPS,
                        lambda: traffic_mix.ipfix_messages(300)),
    "softflowd NetFlow v9 capture": (Protocol.NETFLOW9, "nfacctd", MACS_AND_IPS,
                                     lambda: read_datagrams(HERE / "softflowd-nf9.bin")),
    "generated NetFlow v9": (Protocol.NETFLOW9, "nfacctd", MACS_AND_IPS,
                             lambda: traffic_mix.netflow9_packets(300)),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_totals_agree_with_pmacct(make_collector: MakeCollector, tmp_path: Path, case: str) -> None:
    protocol, program, key, datagrams_of = CASES[case]
    require(program)
    datagrams = datagrams_of()
    aggregate = ", ".join(c.lower().replace("ip", "host") for c in key)
    peer = PmacctCollector(program, free_udp_port(), aggregate, tmp_path)
    try:
        send(datagrams, peer.port)
        assert peer.drain() == 0  # the kernel dropped nothing on its way to pmacct
    finally:
        peer.stop()
    theirs = peer.totals(key)

    sink = MemorySink()
    collector = make_collector(sink, protocols=(protocol,))
    send(datagrams, port_of(collector, protocol))
    pump(collector, len(datagrams))
    collector.close()
    snapshot = collector.snapshot()
    assert (snapshot.total("malformed"), snapshot.total("no_template")) == (0, 0)
    mine = _ours(sink.all_flows(), key)

    assert len(mine) > 5
    assert mine == theirs
