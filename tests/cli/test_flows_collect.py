"""``ixc flows import`` and ``ixc flows collect`` through the CLI runner, with exact output."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ixcenter.cli.main import cli
from ixcenter.telemetry.collector import pcap, read_spool
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector.capture_files import ip_udp, link_frame, write_pcap, write_pcapng
from tests.telemetry.collector.collector_process import free_udp_port, wait_bound
from tests.telemetry.collector.conftest import send


@pytest.fixture(autouse=True)
def _raw_rows_to_the_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read back exactly what was decoded: the spool, not the enriched store."""
    monkeypatch.setenv("IXC_COLLECTOR_SINK", "spool")


T0 = 1_700_000_000_000
CAPTURES = (("sfprobe-sflow.bin", 6343), ("softflowd-ipfix.bin", 4739), ("softflowd-nf9.bin", 2055))


def _ixc(data_dir: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"})
    return runner.invoke(cli, ["--data-dir", str(data_dir), *args])


def _plain(text: str) -> str:
    """Output without the spaces rich pads a table's title with."""
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _capture(path: Path, ng: bool = False) -> Path:
    """The committed real exporters' datagrams as a capture, sent from 192.0.2.10/2001:db8::10,
    plus a datagram to an unrelated port and a frame that is not UDP."""
    frames = []
    for name, port in CAPTURES:
        source = "2001:db8::10" if port == 2055 else "192.0.2.10"
        destination = "2001:db8::1" if port == 2055 else "192.0.2.1"
        for data in read_datagrams(HERE / name):
            frames.append(link_frame(ip_udp(source, destination, 50000, port, data), pcap.ETHERNET))
    frames.append(link_frame(ip_udp("192.0.2.10", "192.0.2.1", 50000, 53, b"dns?"), pcap.ETHERNET))
    frames.append(bytes(12) + b"\x08\x06" + bytes(28))
    stamped = [(T0 + 10 * i, f) for i, f in enumerate(frames)]
    (write_pcapng if ng else write_pcap)(path, stamped)
    return path


IMPORT_TABLE = """\
exporters
┏━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━┓
┃ protocol ┃ exporter     ┃ datagrams ┃ samples ┃ malformed ┃ no template ┃ gaps ┃ agent drops ┃
┡━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━┩
│ ipfix    │ 192.0.2.10   │ 4         │ 65      │ 0         │ 0           │ 0    │ 0           │
│ netflow9 │ 2001:db8::10 │ 4         │ 65      │ 0         │ 0           │ 0    │ 0           │
│ sflow    │ 192.0.2.10   │ 32        │ 187     │ 0         │ 0           │ 0    │ 0           │
└──────────┴──────────────┴───────────┴─────────┴───────────┴─────────────┴──────┴─────────────┘
"""


@pytest.mark.parametrize("ng", [False, True])
def test_import_decodes_a_capture_and_stores_every_row(tmp_path: Path, ng: bool) -> None:
    capture = _capture(tmp_path / ("flows.pcapng" if ng else "flows.pcap"), ng)
    result = _ixc(tmp_path / "data", "flows", "import", str(capture))
    assert result.exit_code == 0, result.output
    assert _plain(result.stdout) == IMPORT_TABLE + (
        "frames 42 · UDP 41 · other ports 1 · not UDP 1 · fragments 0 · truncated 0\n"
        "datagrams 40 (malformed 0) · rows 317 · counter rows 0\n"
    )
    assert f"importing {capture.name}" in result.stderr  # the progress bar
    flows, _ = read_spool(tmp_path / "data" / "flow-spool")
    assert len(flows) == 317
    assert set(flows.exporters) == {"192.0.2.10", "2001:db8::10"}
    sflow_rows = flows["sampling_rate"] == 10
    assert int(sflow_rows.sum()) == 187
    assert set(flows["time_ms"][sflow_rows] // 1000) == {T0 // 1000}  # the capture's time


def test_import_json_and_dry_run(tmp_path: Path) -> None:
    capture = _capture(tmp_path / "flows.pcap")
    result = _ixc(tmp_path / "data", "flows", "import", str(capture), "--json", "--dry-run",
                  "--netflow9-port", "9995")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["capture"] == {"frames": 42, "udp": 41, "other_ports": 5, "not_udp": 1,
                               "fragments": 0, "truncated": 0, "unsupported_link": 0,
                               "cut_short": False}  # fmt: skip
    totals = data["collected"]["totals"]
    assert (totals["datagrams"], totals["samples"]) == (36, 252)
    assert data["collected"]["rows_written"] == 252
    assert not (tmp_path / "data").exists()  # no rows, no templates written


def test_import_of_a_file_that_is_no_capture(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a capture\n")
    result = _ixc(tmp_path / "data", "flows", "import", str(bad))
    assert result.exit_code == 6
    assert result.stderr.endswith("error: capture: not a pcap or pcapng file\n")


def test_collect_until_the_time_is_up(tmp_path: Path) -> None:
    port = free_udp_port()
    datagrams = read_datagrams(HERE / "sfprobe-sflow.bin")

    def exporter() -> None:
        wait_bound(port)
        send(datagrams, port)

    sender = threading.Thread(target=exporter)
    sender.start()
    result = _ixc(tmp_path, "flows", "collect", "--bind", "127.0.0.1", "--only", "sflow",
                  "--sflow-port", str(port), "--status-every", "0", "--for", "1.5")  # fmt: skip
    sender.join()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"listening: sflow [127.0.0.1]:{port}",
        f"writing to the spool {tmp_path / 'flow-spool'} (raw rows, no tiers); Ctrl-C stops",
    ]
    assert lines[-1] == "datagrams 32 (malformed 0) · rows 187 · counter rows 0 · kernel drops 0"
    assert "│ sflow    │ 127.0.0.1 │ 32        │ 187     │" in result.stdout
    assert len(read_spool(tmp_path / "flow-spool")[0]) == 187


def test_collect_on_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = _ixc(tmp_path, "flows", "collect", "--bind", "127.0.0.1", "--only", "ipfix",
                      "--ipfix-port", str(port), "--for", "0")  # fmt: skip
    assert result.exit_code == 7
    assert result.stderr == (
        f"error: UDP port {port} on 127.0.0.1 is in use (another collector running?)\n"
    )
