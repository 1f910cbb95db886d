"""Programs the lab runs inside its namespaces: started, recorded, stopped by PID.

A ``LabProcess`` is what the lab's state file remembers of a program it started (name, PID and
start time, the namespace, the log), so ``down()`` can stop it even after the Python side died.
Stopping is SIGTERM, then SIGKILL after a timeout, and only for the very process we started
(``ixcenter.routing.control.process``); nothing is ever killed by name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError
from ixcenter.lab import netns
from ixcenter.routing.control.namespaces import exec_prefix
from ixcenter.routing.control.process import ProcessId, alive, identify, spawn, stop

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LabProcess:
    """One program the lab started; ``namespace`` None means the host's own namespace."""

    name: str
    process: ProcessId
    argv: tuple[str, ...]
    namespace: str | None
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return alive(self.process)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            **self.process.to_json(),
            "argv": list(self.argv),
            "namespace": self.namespace,
            "log": str(self.log),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LabProcess:
        name, argv, namespace, log = (data.get(k) for k in ("name", "argv", "namespace", "log"))
        if (
            not isinstance(name, str)
            or not isinstance(argv, list)
            or not isinstance(log, str)
            or not (namespace is None or isinstance(namespace, str))
        ):
            raise ConfigurationError(f"not a lab process record: {dict(data)!r}")
        return cls(name, ProcessId.from_json(data), tuple(map(str, argv)), namespace, Path(log))


def start(
    name: str,
    argv: Sequence[str],
    *,
    log: Path,
    namespace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LabProcess:
    """Start ``argv`` inside ``namespace`` (or on the host), its output appended to ``log``."""
    prefix = exec_prefix(namespace)
    process = spawn(argv, log=log, command_prefix=prefix, env=env)
    logger.info("lab process %s: PID %d in %s", name, process.pid, namespace or "host")
    return LabProcess(name, process, tuple(argv), namespace, log)


def terminate(process: LabProcess, *, timeout: float = 5.0) -> bool:
    """Stop ``process`` (SIGTERM, then SIGKILL); True if it was still running."""
    return stop(process.process, timeout=timeout, name=process.name)


def sweep(namespace: str, *, timeout: float = 5.0) -> int:
    """Stop every process still running inside ``namespace`` (the lab's own); how many."""
    stopped = 0
    for pid in netns.pids(namespace):
        process = identify(pid)
        if process is not None and stop(process, timeout=timeout, name=f"{namespace} PID {pid}"):
            stopped += 1
    if stopped:
        logger.warning("namespace %s: %d leftover processes stopped", namespace, stopped)
    return stopped
