"""Which switch interface (exporter, ifIndex) is which registry port, learned from traffic.

The registry knows ports by switch and name, and members' routers by MAC; sFlow counters name
interfaces by ifIndex. A flow sample taken on a member's port carries both: its input ifIndex and
the member router's source MAC (and, leaving, the output ifIndex and the destination MAC). So the
enricher counts, per interface, which port the MACs on it belong to; an interface maps to the port
with the most votes. Mappings given explicitly (``fixed``) win. Learning looks at up to
``sample`` rows per batch, which is plenty to converge and keeps it cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from ixcenter.telemetry.store.counters import PortSide
from ixcenter.telemetry.store.records import EnrichedFlows

_SPECIAL_IF = 0x3FFFFFFF  # sFlow puts format bits above this (discarded, multiple ports)
_DECAY_AT = 1 << 20


class PortTable(Protocol):
    @property
    def ports(self) -> Mapping[int, PortSide]: ...


class InterfaceMap:
    def __init__(self, fixed: Mapping[tuple[str, int], int] | None = None, sample: int = 4096):
        self.fixed = dict(fixed or {})
        self.sample = sample
        self._votes: dict[tuple[str, int], dict[int, int]] = {}

    def learn(self, enriched: EnrichedFlows) -> None:
        rows = enriched.flows.rows
        if not len(rows) or not enriched.flows.exporters:
            return
        step = max(1, len(rows) // self.sample)
        exporters = enriched.flows.exporters
        for side, column in (("src", "in_if"), ("dst", "out_if")):
            entries = enriched.src if side == "src" else enriched.dst
            port = enriched.table["port"][entries[::step]].astype(np.int64)
            ifx = rows[column][::step].astype(np.int64)
            exp = rows["exporter"][::step].astype(np.int64)
            ok = (port > 0) & (ifx > 0) & (ifx < _SPECIAL_IF)
            if not ok.any():
                continue
            exp, ifx, port = exp[ok], ifx[ok], port[ok]
            order = np.lexsort((port, ifx, exp))
            exp, ifx, port = exp[order], ifx[order], port[order]
            new = np.ones(len(order), bool)
            new[1:] = (exp[1:] != exp[:-1]) | (ifx[1:] != ifx[:-1]) | (port[1:] != port[:-1])
            starts = np.flatnonzero(new)
            counts = np.diff(np.append(starts, len(order)))
            groups = zip(exp[starts].tolist(), ifx[starts].tolist(), port[starts].tolist(),
                         counts.tolist(), strict=True)  # fmt: skip
            for e, i, p, c in groups:
                votes = self._votes.setdefault((exporters[e], i), {})
                votes[p] = votes.get(p, 0) + c
                if votes[p] > _DECAY_AT:
                    for q in list(votes):
                        votes[q] //= 2

    def port_of(self, exporter: str, if_index: int) -> int:
        if (exporter, if_index) in self.fixed:
            return self.fixed[(exporter, if_index)]
        votes = self._votes.get((exporter, if_index))
        if not votes:
            return 0
        return max(votes.items(), key=lambda item: (item[1], -item[0]))[0]

    def resolve(self, exporter: str, if_index: int, tables: PortTable) -> PortSide:
        port = self.port_of(exporter, if_index)
        return tables.ports.get(port, PortSide(port)) if port else PortSide()

    def state(self) -> list[list[Any]]:
        return [
            [e, i, p, c] for (e, i), votes in sorted(self._votes.items()) for p, c in votes.items()
        ]

    def load_state(self, rows: list[list[Any]]) -> None:
        for e, i, p, c in rows:
            self._votes.setdefault((str(e), int(i)), {})[int(p)] = int(c)
