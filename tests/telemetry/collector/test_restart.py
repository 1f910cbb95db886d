"""A collector process stopped with SIGTERM mid-stream and started again loses nothing that
reached its socket, and decodes data sets at once with the templates it saved."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ixcenter.telemetry.collector import read_spool
from ixcenter.telemetry.decode import export
from tests.telemetry.collector.collector_process import CollectorProcess, free_udp_port
from tests.telemetry.collector.conftest import send


@pytest.fixture(autouse=True)
def _raw_rows_to_the_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read back exactly what was decoded: the spool, not the enriched store."""
    monkeypatch.setenv("IXC_COLLECTOR_SINK", "spool")


RECORDS = 20


def _messages(first: int, count: int, with_templates: bool) -> list[bytes]:
    out = []
    for i in range(first, first + count):
        record = [export.value(v) for v in (f"10.0.{i // 250}.{i % 250}", "10.1.0.1", 1000 + i % 7,
                  443, 6, 1500 * (i + 1), 3, 1, 2, "02:00:00:00:00:01", "02:00:00:00:00:02",
                  100, 4, 0, 0)]  # fmt: skip
        sets = [export.ipfix_data_set(export.FLOW_V4, [record] * RECORDS)]
        if with_templates and i == first:
            sets.insert(0, export.ipfix_template_set([export.FLOW_V4]))
        out.append(export.ipfix_message(sets, sequence=i * RECORDS, domain=5))
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_restart_mid_stream_loses_nothing_and_keeps_templates(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_udp_port()
    args = ("--bind", "127.0.0.1", "--only", "ipfix", "--ipfix-port", str(port))
    first_part, second_part = _messages(0, 400, True), _messages(400, 300, False)

    first = CollectorProcess(tmp_path, *args)
    try:
        send(first_part, port)
        before = first.stop(sig)  # at once: what is still in the socket is read on the way out
    finally:
        first.kill()
    assert (before["received"], before["kernel_drops"]) == (400, 0)
    assert before["rows_written"] == 400 * RECORDS
    assert (tmp_path / "collector" / "templates.json").exists()

    second = CollectorProcess(tmp_path, *args)
    try:
        send(second_part, port)
        after = second.stop()
    finally:
        second.kill()
    assert after["totals"]["no_template"] == 0
    assert after["totals"]["sequence_gaps"] == 0
    assert after["rows_written"] == 300 * RECORDS

    flows, _ = read_spool(tmp_path / "flow-spool")
    assert len(flows) == 700 * RECORDS
    assert sorted(set(int(b) // 1500 for b in flows["bytes"])) == list(range(1, 701))
    assert flows.estimated_bytes() == RECORDS * sum(1500 * (i + 1) for i in range(700))
