"""Daemons known by PID and start time, stopped with SIGTERM then SIGKILL."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.control import process


def test_spawn_stop_and_pidfile(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "sleep.log"
    started = process.spawn(["sh", "-c", "echo hello; exec sleep 300"], log=log)
    assert process.alive(started)
    assert process.identify(started.pid) == started
    assert os.getsid(started.pid) == started.pid  # its own session: outlives us
    process.write_pidfile(tmp_path / "x.pid", started)
    assert process.read_pidfile(tmp_path / "x.pid") == started
    deadline = time.monotonic() + 30
    while not log.read_text() and time.monotonic() < deadline:  # let sh run its echo first
        time.sleep(0.01)
    assert process.stop(started, name="sleep")
    assert not process.alive(started)
    assert not process.stop(started)  # gone: nothing to do
    assert log.read_text() == "hello\n"


def test_sigkill_after_sigterm_is_ignored(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = process.spawn(
        ["sh", "-c", f"trap '' TERM; touch {ready}; while :; do sleep 1; done"],
        log=tmp_path / "stubborn.log",
    )
    while not ready.exists():  # the trap is set once the file exists
        assert process.alive(stubborn)
        time.sleep(0.01)
    assert process.stop(stubborn, timeout=0.3, name="stubborn")
    assert not process.alive(stubborn)


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    real = process.spawn(["sleep", "300"], log=tmp_path / "sleep.log")
    try:
        impostor = process.ProcessId(real.pid, real.started + 1)  # same PID, other program
        assert not process.alive(impostor)
        assert not process.stop(impostor)
        assert process.alive(real)
    finally:
        process.stop(real)


def test_unreadable_records_and_missing_programs(tmp_path: Path) -> None:
    assert process.read_pidfile(tmp_path / "none.pid") is None
    (tmp_path / "bad.pid").write_text("12345\n")  # a bare PID, as daemons write them
    assert process.read_pidfile(tmp_path / "bad.pid") is None
    with pytest.raises(ConfigurationError, match="not a process record"):
        process.ProcessId.from_json({"pid": "1"})
    with pytest.raises(ConfigurationError, match="cannot start"):
        process.spawn(["/nonexistent/daemon"], log=tmp_path / "x.log")
    assert process.identify(2**22 + 1) is None  # above pid_max
