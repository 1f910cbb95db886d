"""What an import did: per kind of object, how many were created, updated and left unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ixcenter.core.errors import Problem


class Kind(StrEnum):
    EXCHANGES = "exchanges"
    LANS = "lans"
    MEMBERS = "members"
    ASNS = "asns"
    PORTS = "ports"
    ADDRESSES = "addresses"


@dataclass(frozen=True, slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of one import; ``warnings`` lists what was accepted but looked wrong."""

    source: str
    version: str
    exchanges: Counts = Counts()
    lans: Counts = Counts()
    members: Counts = Counts()
    asns: Counts = Counts()
    ports: Counts = Counts()
    addresses: Counts = Counts()
    warnings: tuple[Problem, ...] = ()

    COLUMNS = ("kind", "created", "updated", "unchanged")

    def counts(self, kind: Kind) -> Counts:
        value: Counts = getattr(self, kind.value)
        return value

    def rows(self) -> list[dict[str, str | int]]:
        """One row per kind, keyed by ``COLUMNS``, for a table."""
        return [
            dict(zip(self.COLUMNS, (kind.value, c.created, c.updated, c.unchanged), strict=True))
            for kind in Kind
            for c in (self.counts(kind),)
        ]

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for kind in Kind for c in (self.counts(kind),))


_CREATED, _UPDATED, _UNCHANGED = 2, 1, 0


class Tally:
    """Collects what happened to each object during an import (each object counted once)."""

    def __init__(self) -> None:
        self._seen: dict[Kind, dict[int, int]] = {kind: {} for kind in Kind}

    def created(self, kind: Kind, obj: object) -> None:
        self._mark(kind, obj, _CREATED)

    def touched(self, kind: Kind, obj: object, changed: bool) -> None:
        self._mark(kind, obj, _UPDATED if changed else _UNCHANGED)

    def _mark(self, kind: Kind, obj: object, state: int) -> None:
        seen = self._seen[kind]
        seen[id(obj)] = max(seen.get(id(obj), _UNCHANGED), state)

    def report(self, source: str, version: str, warnings: tuple[Problem, ...]) -> ImportReport:
        counts: dict[str, Counts] = {}
        for kind, seen in self._seen.items():
            states = list(seen.values())
            counts[kind.value] = Counts(
                created=states.count(_CREATED),
                updated=states.count(_UPDATED),
                unchanged=states.count(_UNCHANGED),
            )
        return ImportReport(source=source, version=version, warnings=warnings, **counts)
