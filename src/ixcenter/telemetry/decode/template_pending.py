"""Data sets of fixed-length templates, gathered over a batch and read once per template.

Reading a set costs a few numpy calls whatever its size; exporters send sets of 10-30 records,
so the records of all sets of one template in a batch are joined and read together. A set comes
either with its context row (``PendingSets.add``: count, exporter, export ms, uptime ms, init
ms, sampling) or, from the batch loop's fast path, with the index of its datagram, whose row
``finish`` takes from the batch's table of context rows (built once per batch, with numpy).
Rows come out grouped by template (in the order each template's first records came), in arrival
order within a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.batch import FLOW_DTYPE
from ixcenter.telemetry.decode.elements import Compiled, SetContext, assemble, read_data_set

_NO_ROWS = np.zeros((0, 6), np.int64)


@dataclass(slots=True)
class PendingTemplate:
    """The sets of one compiled template waiting in a batch (``parts``: their records)."""

    compiled: Compiled
    parts: list[bytes | memoryview] = field(default_factory=list)
    fast: list[int] = field(default_factory=list)  # datagram index of each fast-path set
    given: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (set, context row)

    def contexts(self, table: NDArray[np.int64]) -> NDArray[np.int64]:
        """One context row per set, in order (``table``: the batch's rows, by datagram)."""
        if not self.given:
            fast: NDArray[np.int64] = table[self.fast]
            return fast
        rows = np.empty((len(self.parts), 6), np.int64)
        at = [k for k, _ in self.given]
        rows[at] = [row for _, row in self.given]
        if self.fast:
            others = np.ones(len(self.parts), np.bool_)
            others[at] = False
            rows[others] = table[self.fast]
        return rows


class PendingSets:
    """The pending sets of a batch, per compiled template."""

    def __init__(self) -> None:
        self._sets: dict[int, PendingTemplate] = {}

    def entry(self, compiled: Compiled) -> PendingTemplate:
        found = self._sets.get(id(compiled))  # the entry keeps ``compiled`` alive: ids stay unique
        if found is None:
            found = self._sets[id(compiled)] = PendingTemplate(compiled)
        return found

    def add(self, compiled: Compiled, records: bytes, context: tuple[int, ...]) -> None:
        """Whole records of one set and its context row."""
        entry = self.entry(compiled)
        entry.given.append((len(entry.parts), context))
        entry.parts.append(records)

    def finish(
        self, before: list[NDArray[Any]], table: NDArray[np.int64] = _NO_ROWS
    ) -> NDArray[Any]:
        """All rows in one array: those of ``before`` (assembled already), then the sets'
        (``table``: context rows by datagram, for sets of the fast path)."""
        read = []
        for entry in self._sets.values():
            data = b"".join(entry.parts)
            read.append((*read_data_set(data, 0, len(data), entry.compiled), entry))
        self._sets.clear()
        head = sum(len(chunk) for chunk in before)
        out = np.zeros(head + sum(count for _, count, _ in read), FLOW_DTYPE)
        raw = out.view(np.uint8)  # whole rows copied as bytes: field by field is far slower
        at = 0
        for chunk in before:
            raw[at : at + chunk.nbytes] = chunk.view(np.uint8)
            at += chunk.nbytes
        at = head
        for ex, count, entry in read:
            context = SetContext.of_sets(entry.contexts(table))
            assemble(ex, count, context, out[at : at + count])
            at += count
        return out
