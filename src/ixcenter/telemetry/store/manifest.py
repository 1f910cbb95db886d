"""The manifest: which files make up the store right now, swapped atomically.

Parquet parts are written once and never changed (raw segments only grow, and a manifest says
how many of their bytes it covers). A writer adds files, and replaces merged or
expired ones, by writing a new ``manifest.json`` next to the old one and renaming it over it
(``os.replace`` is atomic on POSIX). A reader reads one manifest and queries exactly its files,
so it sees every flush whole or not at all, however the writer merges in the meantime. Files a
manifest no longer lists are deleted only after ``GRACE_SECONDS``, so a query that began on an
older manifest can still read them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ixcenter.core.errors import ConfigurationError

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
GRACE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class DataFile:
    """One file of a tier: its partition and the time range of its rows.

    Parquet parts are written once and never changed. A raw segment (``store.raw_log``) grows
    while its writer appends to it; ``size`` is how many of its bytes this manifest covers.
    """

    tier: str
    path: str  # relative to the store directory
    partition: int  # start of the partition span, unix seconds
    ts_min: int  # seconds (raw: milliseconds, as its time column)
    ts_max: int
    rows: int
    size: int = 0  # bytes readers may read (raw segments; 0 for Parquet parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "path": self.path,
            "partition": self.partition,
            "ts_min": self.ts_min,
            "ts_max": self.ts_max,
            "rows": self.rows,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    """One consistent state of the store."""

    generation: int = 0
    files: tuple[DataFile, ...] = ()
    complete_until: dict[str, int] = field(default_factory=dict)  # rollup tier -> watermark
    unknown_macs: str | None = None  # relative path of the current unknown-MAC table
    state: dict[str, Any] = field(default_factory=dict)  # the writer's state (counters, ...)
    retired: tuple[tuple[str, float], ...] = ()  # (path, unix time it left the manifest)
    next_part: int = 1

    def tier_files(self, tier: str) -> tuple[DataFile, ...]:
        return tuple(f for f in self.files if f.tier == tier)

    def overlapping(self, tier: str, start: int, end: int) -> list[DataFile]:
        """Files of ``tier`` that may hold rows with start <= ts < end."""
        return [f for f in self.files if f.tier == tier and f.ts_max >= start and f.ts_min < end]

    def first_ts(self, tier: str) -> int | None:
        return min((f.ts_min for f in self.files if f.tier == tier), default=None)

    def last_ts(self, tier: str) -> int | None:
        return max((f.ts_max for f in self.files if f.tier == tier), default=None)

    def changed(
        self,
        *,
        add: Iterable[DataFile] = (),
        remove: Iterable[DataFile] = (),
        grown: Iterable[DataFile] = (),
        now: float,
        **changes: Any,
    ) -> Manifest:
        """The next generation: files added and removed (removed ones wait out the grace).

        ``grown`` are new versions of listed files (a raw segment appended to); one this
        manifest no longer lists (expired meanwhile) stays out.
        """
        gone = {f.path for f in remove}
        newer = {f.path: f for f in grown}
        files = tuple(newer.get(f.path, f) for f in self.files if f.path not in gone)
        files += tuple(add)
        retired = self.retired + tuple((path, now) for path in sorted(gone))
        return replace(
            self, generation=self.generation + 1, files=files, retired=retired, **changes
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "generation": self.generation,
            "next_part": self.next_part,
            "files": [f.as_json() for f in self.files],
            "complete_until": self.complete_until,
            "unknown_macs": self.unknown_macs,
            "state": self.state,
            "retired": [list(r) for r in self.retired],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise ConfigurationError(f"flow store manifest format {data.get('format')!r} unknown")
        return cls(
            generation=int(data["generation"]),
            next_part=int(data.get("next_part", 1)),
            files=tuple(DataFile(**f) for f in data["files"]),
            complete_until={k: int(v) for k, v in data["complete_until"].items()},
            unknown_macs=data.get("unknown_macs"),
            state=dict(data.get("state", {})),
            retired=tuple((str(p), float(t)) for p, t in data.get("retired", [])),
        )


def read(directory: Path) -> Manifest:
    """The current manifest of the store in ``directory`` (an empty one if there is none)."""
    try:
        text = (directory / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Manifest()
    return Manifest.from_json(json.loads(text))


def write(directory: Path, manifest: Manifest) -> None:
    """Make ``manifest`` the store's current one, durably and atomically."""
    target = directory / MANIFEST
    temporary = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    text = json.dumps(manifest.as_json(), separators=(",", ":"))  # the C encoder: fast
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def with_next_part(manifest: Manifest, next_part: int) -> Manifest:
    """``manifest`` with the writer's next part number (unchanged if it has it already)."""
    if manifest.next_part == next_part:
        return manifest
    return replace(manifest, next_part=next_part)


def collect_retired(directory: Path, manifest: Manifest, now: float) -> Manifest:
    """Delete files that left the manifest more than the grace period ago."""
    keep: list[tuple[str, float]] = []
    deleted = 0
    for path, since in manifest.retired:
        if now - since < GRACE_SECONDS:
            keep.append((path, since))
            continue
        (directory / path).unlink(missing_ok=True)
        deleted += 1
    if not deleted:
        return manifest
    logger.info("flow store %s deleted %d retired files", directory, deleted)
    return replace(manifest, generation=manifest.generation + 1, retired=tuple(keep))
