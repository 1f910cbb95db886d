"""Daemons ixcenter starts itself (BIRD, OpenBGPD, stayrtr), known and stopped by PID only.

A daemon runs in the foreground of its own session (``bird -f``, ``bgpd -d``, stayrtr), its
output appended to a log file, so its PID is the one we started and it outlives the command
that started it. A ``ProcessId`` pairs the PID with the process's start time (field 22 of
``/proc/PID/stat``, clock ticks since boot): a PID the kernel has since given to another
program is never signalled.

``command_prefix`` runs the daemon through another command first, e.g. ``ip netns exec NAME``,
which switches namespace and then execs the daemon, so the PID stays the daemon's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError, UpstreamError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProcessId:
    """One running program: its PID and the start time that tells it apart from a reused PID."""

    pid: int
    started: int

    def to_json(self) -> dict[str, int]:
        return {"pid": self.pid, "started": self.started}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ProcessId:
        pid, started = data.get("pid"), data.get("started")
        if not isinstance(pid, int) or not isinstance(started, int):
            raise ConfigurationError(f"not a process record: {dict(data)!r}")
        return cls(pid, started)


def _stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time of ``pid``, or None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces and ')'
    return fields[0], int(fields[19])


def identify(pid: int) -> ProcessId | None:
    """The ``ProcessId`` of a running ``pid``, or None if it is gone."""
    stat = _stat(pid)
    return None if stat is None else ProcessId(pid, stat[1])


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def alive(process: ProcessId) -> bool:
    """True while the very process we started runs (a zombie counts as gone)."""
    stat = _stat(process.pid)
    if stat is None or stat[1] != process.started:
        return False
    if stat[0] in {"Z", "X"}:
        _reap(process.pid)
        return False
    return True


def spawn(
    argv: Sequence[str],
    *,
    log: Path,
    command_prefix: Sequence[str] = (),
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcessId:
    """Start ``argv`` detached (own session, stdin from /dev/null, output appended to ``log``)."""
    command = [*command_prefix, *argv]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        try:
            child = subprocess.Popen(  # noqa: S603 - argv built by ixcenter, never a shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=None if env is None else dict(env),
                start_new_session=True,
            )
        except OSError as exc:
            raise ConfigurationError(f"cannot start {command[0]}: {exc}") from None
    # The Popen object is dropped on purpose: the daemon outlives us; alive() reaps it if it
    # exits while we still run.
    process = identify(child.pid)
    if process is None:  # exited (and was reaped) already
        child.wait()
        raise UpstreamError(f"{argv[0]} exited at once with status {child.returncode}; see {log}")
    logger.info("%s started, PID %d, log %s", argv[0], process.pid, log)
    return process


def stop(process: ProcessId, *, timeout: float = 5.0, name: str = "process") -> bool:
    """SIGTERM, then SIGKILL if still running after ``timeout`` seconds; True if it had to run.

    A process that is already gone, or whose PID now belongs to another program, is left alone.
    """
    if not alive(process):
        return False
    logger.info("%s PID %d: SIGTERM", name, process.pid)
    if not _signal(process, signal.SIGTERM):
        return False
    if _wait_gone(process, timeout):
        return True
    logger.warning("%s PID %d ignored SIGTERM for %.1fs: SIGKILL", name, process.pid, timeout)
    _signal(process, signal.SIGKILL)
    if not _wait_gone(process, timeout):
        raise UpstreamError(f"{name} PID {process.pid} survived SIGKILL")
    return True


def _signal(process: ProcessId, signum: signal.Signals) -> bool:
    if not alive(process):
        return False
    try:
        os.kill(process.pid, signum)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(process: ProcessId, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while alive(process):
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    return True


def write_pidfile(path: Path, process: ProcessId) -> None:
    """Record ``process`` in ``path`` (JSON, replaced atomically)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(process.to_json()) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_pidfile(path: Path) -> ProcessId | None:
    """The process recorded in ``path``, or None if there is no readable record."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return ProcessId.from_json(data)
    except ConfigurationError:
        return None
