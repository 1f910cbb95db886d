"""The collector's counts in a file other processes can read: ``<data dir>/collector/status.json``.

The collector lives in a process of its own (``ixc flows collect``); the web server's
``/metrics`` and anyone else who wants its rates and losses read them from this file, which
``Collector.run`` replaces every ``StatusFile.every`` seconds from its periodic status code (never
from the receive path) and once more, marked stopped, when it stops. The file is replaced whole
(temporary file, then rename) so a reader sees one snapshot or the next, never half of one; it is
not fsynced, since losing the last status to a crash costs nothing and a sync could stall the
loop behind the flow store's writes.

A reader tells a running collector from one that crashed by the file's age: a running collector
rewrites it every ``every`` seconds, so ``CollectorStatus.fresh`` allows a few missed turns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from ixcenter.config import Settings
from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import FormatError, Problem
from ixcenter.telemetry.collector.accounting import CollectorSnapshot, ExporterCounts, SocketCounts

logger = logging.getLogger(__name__)

FORMAT = 1
EVERY_S = 5.0
MISSED_TURNS = 3  # a status older than this many periods comes from a collector that is gone

_Counts = TypeVar("_Counts", ExporterCounts, SocketCounts)


def status_path(settings: Settings) -> Path:
    """Where the collector of ``settings``' data dir keeps its status."""
    return settings.data_dir / "collector" / "status.json"


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    """What one status file says: the counts, when they were taken, and by which process."""

    snapshot: CollectorSnapshot
    pid: int
    started: dt.datetime
    written: dt.datetime
    running: bool
    every_s: float

    def age_s(self, now: dt.datetime) -> float:
        return max(0.0, (now - self.written).total_seconds())

    def fresh(self, now: dt.datetime) -> bool:
        """Written by a collector that is still running (it said so, and not long ago)."""
        return self.running and self.age_s(now) <= MISSED_TURNS * self.every_s

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "pid": self.pid,
            "started": self.started.isoformat(),
            "written": self.written.isoformat(),
            "running": self.running,
            "every_s": self.every_s,
            "snapshot": self.snapshot.as_dict(),
        }
        return json.dumps(document, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "collector status") -> CollectorStatus:
        """The status in ``text``; ``FormatError`` naming ``source`` if it is not one."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            snapshot = data["snapshot"]
            return cls(
                CollectorSnapshot(
                    exporters=tuple(_build(ExporterCounts, e) for e in snapshot["exporters"]),
                    sockets=tuple(_build(SocketCounts, s) for s in snapshot["sockets"]),
                    rows_written=int(snapshot["rows_written"]),
                    counter_rows_written=int(snapshot["counter_rows_written"]),
                    batches_written=int(snapshot["batches_written"]),
                    rows_pending=int(snapshot["rows_pending"]),
                ),
                pid=int(data["pid"]),
                started=_utc(data["started"]),
                written=_utc(data["written"]),
                running=bool(data["running"]),
                every_s=float(data["every_s"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = Problem(source, f"not a collector status: {exc}", "malformed")
            raise FormatError([problem]) from None


def _build(kind: type[_Counts], data: dict[str, Any]) -> _Counts:
    """A counts record from its JSON object; keys this version does not know are skipped."""
    known = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in known})


def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone")
    return value.astimezone(dt.UTC)


def read_status(path: Path) -> CollectorStatus | None:
    """The status at ``path``; None when there is none (no collector ever ran here)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return CollectorStatus.from_json(text, str(path))


class StatusFile:
    """Writes a collector's snapshots to ``path``; one per collector run.

    A write that fails (disk full, directory gone) is logged, once until writing works again,
    and otherwise ignored: the collector goes on collecting.
    """

    def __init__(
        self, path: Path, *, every: float = EVERY_S, clock: Clock | None = None, pid: int = 0
    ) -> None:
        self.path = path
        self.every = every
        self._clock = clock or SystemClock()
        self._pid = pid or os.getpid()
        self._started = self._clock.now()
        self._failing = False

    def write(self, snapshot: CollectorSnapshot, *, running: bool = True) -> None:
        status = CollectorStatus(
            snapshot, self._pid, self._started, self._clock.now(), running, self.every
        )
        try:
            replace(self.path, status.to_json().encode())
        except OSError as exc:
            if not self._failing:
                logger.warning("collector: status file %s not written: %s", self.path, exc)
            self._failing = True
        else:
            self._failing = False


def replace(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole (temporary file beside it, rename); no fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(name, 0o644)  # counts only: the web server may run as another user
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
