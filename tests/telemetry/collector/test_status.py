"""The collector's status file: written whole, read back exactly, and kept up by a real collector."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

import pytest

from ixcenter.config import Settings
from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import FormatError
from ixcenter.telemetry.collector import CollectorSnapshot, ExporterCounts, Protocol, SocketCounts
from ixcenter.telemetry.collector.status import (
    CollectorStatus,
    StatusFile,
    read_status,
    status_path,
)
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector.conftest import MakeCollector, port_of, send

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
SNAPSHOT = CollectorSnapshot(
    exporters=(
        ExporterCounts("sflow", "192.0.2.10", datagrams=32, samples=187, sequence_gaps=2,
                       agent_drops=1, last_error="cut short at offset 12"),
        ExporterCounts("ipfix", "2001:db8::10", datagrams=4, samples=65, no_template=1),
    ),
    sockets=(SocketCounts("sflow", "::", 6343, received=33, kernel_drops=5, queued_bytes=64),),
    rows_written=200,
    counter_rows_written=7,
    batches_written=3,
    rows_pending=52,
)  # fmt: skip


class Clock(FixedClock):
    def move(self, seconds: float) -> None:
        self._at += dt.timedelta(seconds=seconds)


def test_a_status_reads_back_as_written(tmp_path: Path) -> None:
    clock = Clock(T0)
    path = tmp_path / "collector" / "status.json"
    writer = StatusFile(path, every=5.0, clock=clock, pid=4242)
    clock.move(12)
    writer.write(SNAPSHOT)
    status = read_status(path)
    assert status == CollectorStatus(SNAPSHOT, 4242, T0, T0 + dt.timedelta(seconds=12), True, 5.0)
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]  # no temporary left
    writer.write(CollectorSnapshot(), running=False)
    stopped = read_status(path)
    assert stopped is not None and not stopped.running and stopped.snapshot == CollectorSnapshot()
    assert stopped.started == T0  # the same run


def test_fresh_while_written_every_turn() -> None:
    status = CollectorStatus(SNAPSHOT, 1, T0, T0, True, 5.0)
    assert status.fresh(T0 + dt.timedelta(seconds=15))
    assert not status.fresh(T0 + dt.timedelta(seconds=15.5))
    assert status.age_s(T0 + dt.timedelta(seconds=4)) == 4
    assert status.age_s(T0 - dt.timedelta(seconds=4)) == 0  # a clock that stepped back
    assert not CollectorStatus(SNAPSHOT, 1, T0, T0, False, 5.0).fresh(T0)


def test_keys_of_a_later_version_are_skipped(tmp_path: Path) -> None:
    data = json.loads(CollectorStatus(SNAPSHOT, 1, T0, T0, True, 5.0).to_json())
    data["snapshot"]["exporters"][0]["future_counter"] = 9
    data["later"] = {"anything": True}
    status = CollectorStatus.from_json(json.dumps(data))
    assert status.snapshot == SNAPSHOT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a collector status"),
        ('{"format": 2}', "format 2, expected 1"),
        ("[]", "not a collector status"),
        ('{"format": 1, "pid": 1}', "'snapshot'"),
    ],
)
def test_a_malformed_status_is_a_format_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "status.json"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as caught:
        read_status(path)
    assert str(path) in str(caught.value)


def test_a_naive_time_is_refused() -> None:
    data = json.loads(CollectorStatus(SNAPSHOT, 1, T0, T0, True, 5.0).to_json())
    data["written"] = "2026-06-01T09:00:00"
    with pytest.raises(FormatError, match="no timezone"):
        CollectorStatus.from_json(json.dumps(data))


def test_no_file_no_status(tmp_path: Path) -> None:
    assert read_status(tmp_path / "status.json") is None
    assert status_path(Settings(data_dir=tmp_path)) == tmp_path / "collector" / "status.json"


def test_a_failed_write_is_logged_once_and_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    writer = StatusFile(blocked / "status.json")
    with caplog.at_level(logging.WARNING):
        writer.write(SNAPSHOT)
        writer.write(SNAPSHOT)
    logged = [r.getMessage() for r in caplog.records if "status file" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith(f"collector: status file {blocked / 'status.json'} not written: ")
    blocked.unlink()
    writer.write(SNAPSHOT)  # the way is clear again: written
    assert read_status(blocked / "status.json") is not None


def test_a_running_collector_keeps_its_status(
    make_collector: MakeCollector, tmp_path: Path
) -> None:
    collector = make_collector(protocols=(Protocol.SFLOW,))
    path = tmp_path / "collector" / "status.json"
    writer = StatusFile(path, every=0.05)
    datagrams = read_datagrams(HERE / "sfprobe-sflow.bin")
    seen: list[CollectorStatus] = []
    stop = threading.Event()

    def watch() -> None:
        """Reads the file as another process would, until it shows every sample."""
        while not stop.wait(0.02):
            status = read_status(path)
            if status is not None:
                seen.append(status)
                if status.snapshot.total("samples") == 187:
                    collector.stop()
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    send(datagrams, port_of(collector, Protocol.SFLOW))
    try:
        final = collector.run(duration=60, status_file=writer)
    finally:
        stop.set()
        watcher.join()
    running = [s for s in seen if s.running]
    assert running and running[-1].snapshot.total("samples") == 187
    assert running[-1].snapshot.received == len(datagrams) == 32
    assert all(s.started == running[0].started for s in seen)  # one run, one start
    last = read_status(path)
    assert last is not None and not last.running  # it said goodbye
    assert last.snapshot.total("samples") == final.total("samples") == 187
    assert last.snapshot.rows_written == final.rows_written == 187
