"""Real exporters, live: softflowd (IPFIX, NetFlow v9) and pmacct's sfprobe (sFlow v5) watch a
veth pair in namespaces the test creates, and export to ``ixc flows collect`` running there.
The flows the collector stored must be the traffic the test sent; softflowd's export, captured
by tcpdump on the way, imported from the file, gives the same rows."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ixcenter.telemetry.collector import Pipeline, Protocol, import_capture, read_spool
from ixcenter.telemetry.decode.batch import FlowBatch, ip_columns
from ixcenter.telemetry.sink import MemorySink
from tests.live import require
from tests.telemetry.collector.collector_process import CollectorProcess
from tests.telemetry.collector.netns import RX4, RX6, TX4, TX6, VethPair


@pytest.fixture(autouse=True)
def _raw_rows_to_the_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read back exactly what was decoded: the spool, not the enriched store."""
    monkeypatch.setenv("IXC_COLLECTOR_SINK", "spool")


pytestmark = pytest.mark.live

MEASURED, FILLER = 9999, 9990
SENT = ((TX4, RX4, 50, 100), (TX6, RX6, 30, 100))  # source, destination, packets, payload
CAPTURE_FILTER = f"udp and (dst port {MEASURED} or dst port {FILLER})"


@pytest.fixture
def pair() -> Iterator[VethPair]:
    veth = VethPair()
    try:
        yield veth
    finally:
        veth.close()


def _rows_to(flows: FlowBatch, source: str, destination: str, port: int) -> FlowBatch:
    _, src_hi, src_lo = ip_columns(source)
    _, dst_hi, dst_lo = ip_columns(destination)
    keep = ((flows["src_ip_hi"] == src_hi) & (flows["src_ip_lo"] == src_lo)
            & (flows["dst_ip_hi"] == dst_hi) & (flows["dst_ip_lo"] == dst_lo)
            & (flows["dst_port"] == port) & (flows["protocol"] == 17))  # fmt: skip
    return FlowBatch(flows.rows[keep], flows.exporters)


def _tcpdump(pair: VethPair, port: int, path: Path) -> subprocess.Popen[bytes]:
    """tcpdump on the rx namespace's loopback, writing the exporter's datagrams to ``path``."""
    require("tcpdump")
    process = subprocess.Popen(
        ["ip", "netns", "exec", pair.rx, "tcpdump", "-i", "lo", "--immediate-mode", "-U", "-w", str(path),
         "-Z", "root", f"udp dst port {port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    process.stderr.readline()  # "listening on lo ..." once it captures
    return process


def _send_measured(pair: VethPair) -> None:
    for _, destination, packets, payload in SENT:
        pair.send_udp(destination, MEASURED, packets, payload)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.mark.parametrize(("version", "protocol"), [("10", "ipfix"), ("9", "netflow9")])
def test_softflowd_flows_are_the_traffic_sent(
    pair: VethPair, tmp_path: Path, version: str, protocol: str
) -> None:
    require("softflowd")
    require("softflowctl")
    port = 4739 if protocol == "ipfix" else 2055  # the defaults: a fresh namespace has them free
    control = tmp_path / "softflowd.ctl"
    capture = _tcpdump(pair, port, tmp_path / "export.pcap")  # what softflowd sends, for import
    collector = CollectorProcess(tmp_path / "data", "--bind", "127.0.0.1", "--only", protocol,
                                 netns=pair.rx)  # fmt: skip
    exporter = subprocess.Popen(
        ["ip", "netns", "exec", pair.rx, "softflowd", "-d", "-B", "65536", "-i", pair.rx_if,
         "-v", version, "-T", "full", "-n", f"127.0.0.1:{port}", "-p", str(tmp_path / "pid"),
         "-c", str(control), CAPTURE_FILTER],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            if control.exists():
                break
            time.sleep(0.05)
        _send_measured(pair)
        # softflowd reads its capture with no timeout, so packets reach it only when a capture
        # block fills: send filler packets (another port) until it has processed ours.
        wanted = sum(packets for *_, packets, _ in SENT)
        for _ in range(100):
            stats = pair.run(pair.rx, "softflowctl", "-c", str(control), "statistics").stdout
            if int(stats.split("Packets processed: ")[1].split()[0]) >= wanted:
                break
            pair.send_udp(RX4, FILLER, 100, 100)
        pair.run(pair.rx, "softflowctl", "-c", str(control), "shutdown")  # exports every flow
        exporter.wait(30)
        summary = collector.stop()
    finally:
        _stop(exporter, signal.SIGTERM)
        collector.kill()
        _stop(capture, signal.SIGINT)
    totals = summary["totals"]
    assert (totals["malformed"], totals["no_template"]) == (0, 0)
    assert totals["datagrams"] > 0
    flows, _ = read_spool(tmp_path / "data" / "flow-spool")

    # The same export, captured by tcpdump on the way, imported from the file: the same rows.
    imported = MemorySink()
    ports = {port: Protocol(protocol)}
    summary_of_file = import_capture(tmp_path / "export.pcap", Pipeline(imported), ports)
    assert summary_of_file.datagrams[protocol] == totals["datagrams"]
    assert len(imported.all_flows()) == len(flows)
    assert imported.all_flows().estimated_bytes() == flows.estimated_bytes()
    for source, destination, packets, payload in SENT:
        rows = _rows_to(flows, source, destination, MEASURED)
        ip_header = 40 if ":" in source else 20
        assert int(rows["packets"].sum()) == packets
        assert rows.estimated_bytes() == packets * (ip_header + 8 + payload)  # softflowd: IP length
        assert set(rows["sampling_rate"]) == {1}


def test_sfprobe_samples_are_the_traffic_sent(pair: VethPair, tmp_path: Path) -> None:
    require("pmacctd")
    config = tmp_path / "pmacctd.conf"
    config.write_text(
        "daemonize: false\n"
        f"pcap_interface: {pair.rx_if}\n"
        f"pcap_filter: {CAPTURE_FILTER}\n"
        "plugins: sfprobe\n"
        "sfprobe_receiver: 127.0.0.1:6343\n"
        f"sfprobe_agentip: {RX4}\n"
    )
    spool = tmp_path / "data" / "flow-spool"
    collector = CollectorProcess(tmp_path / "data", "--bind", "127.0.0.1", "--only", "sflow",
                                 netns=pair.rx, batch_ms=100)  # fmt: skip
    exporter = subprocess.Popen(["ip", "netns", "exec", pair.rx, "pmacctd", "-f", str(config)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        # Filler packets until samples of them arrive: then pmacctd captures and sfprobe exports.
        for _ in range(300):
            pair.send_udp(RX4, FILLER, 5, 10)
            time.sleep(0.1)
            if spool.exists() and np.any(read_spool(spool)[0]["dst_port"] == FILLER):
                break
        _send_measured(pair)
        wanted = sum(packets for *_, packets, _ in SENT)
        for _ in range(300):
            if int(np.sum(read_spool(spool)[0]["dst_port"] == MEASURED)) >= wanted:
                break
            time.sleep(0.1)
        _stop(exporter, signal.SIGINT)
        summary = collector.stop()
    finally:
        _stop(exporter, signal.SIGINT)
        collector.kill()
    totals = summary["totals"]
    assert (totals["malformed"], totals["sequence_gaps"], totals["agent_drops"]) == (0, 0, 0)
    flows, _ = read_spool(spool)
    for source, destination, packets, payload in SENT:
        rows = _rows_to(flows, source, destination, MEASURED)
        frame = 14 + (40 if ":" in source else 20) + 8 + payload
        assert set(rows["sampling_rate"]) == {1}  # sfprobe samples every packet here
        assert len(rows) == packets
        assert rows.estimated_bytes() == packets * (frame + 4)  # sfprobe counts the FCS
        assert set(rows["vlan"]) == {0}
