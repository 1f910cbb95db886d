"""The health page's data: each route server as the looking glass last read it, and the collector.

Route servers come from the looking glass's snapshot (``routing.lg_snapshot``), never from a
daemon's socket during the request: when it was read and how long ago, the error of the last
read if it failed, sessions established out of all, the sessions that are not established (with
their state and since when), and the accepted and filtered paths it holds.

The collector is read from the status file it rewrites every few seconds
(``telemetry.collector.status``), as ``/metrics`` reads it (``api.metrics_collector``): a
missing file means no collector ever ran in this data directory, an old or "stopped" one that
it is not running. Its counts are totals since it started; rates are those totals over the time
it has run.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

from ixcenter.api.metrics_collector import LOSS_CAUSES, totals_by_protocol
from ixcenter.config import Settings
from ixcenter.core.errors import FormatError
from ixcenter.portal.i18n import N_
from ixcenter.routing.lg_snapshot import Snapshot
from ixcenter.telemetry.collector.status import CollectorStatus, read_status, status_path

logger = logging.getLogger(__name__)

# The causes of loss as the page names them (the units: ``api.metrics_collector``).
LOSS_WORDS: dict[str, str] = {
    "sequence_gap": N_("lost on the way (sequence gaps)"),
    "agent_drop": N_("dropped by the exporting agent"),
    "kernel_drop": N_("dropped by this machine's kernel"),
    "malformed": N_("malformed datagrams"),
    "no_template": N_("records with an unknown template"),
}
LOSS_ORDER = (*(cause for cause, _ in LOSS_CAUSES), "kernel_drop")


@dataclass(frozen=True, slots=True)
class DownSession:
    name: str
    peer_asn: int | None
    address: str
    state: str
    since: dt.datetime | None
    info: str


@dataclass(frozen=True, slots=True)
class ServerHealth:
    label: str
    daemon: str
    rs_asn: int
    read_at: dt.datetime | None
    age_s: float | None  # since it was read
    error: str | None
    established: int
    sessions: int
    down: tuple[DownSession, ...]
    accepted: int
    filtered: int


def route_servers(snapshot: Snapshot, now: dt.datetime) -> tuple[ServerHealth, ...]:
    """Every route server of ``snapshot``, by label."""
    found = []
    for label, state in sorted(snapshot.servers.items()):
        paths = snapshot.by_server.get(label, ())
        accepted = sum(1 for p in paths if p.accepted)
        down = tuple(
            DownSession(
                s.name,
                s.peer_asn,
                str(s.address) if s.address is not None else "",
                s.state.value,
                s.since,
                s.info,
            )
            for s in state.sessions
            if not s.established
        )
        age = None if state.read_at is None else max(0.0, (now - state.read_at).total_seconds())
        found.append(
            ServerHealth(
                label,
                state.daemon,
                state.rs_asn,
                state.read_at,
                age,
                state.error,
                len(state.sessions) - len(down),
                len(state.sessions),
                down,
                accepted,
                len(paths) - accepted,
            )
        )
    return tuple(found)


class CollectorState(enum.StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"  # it said so when it stopped, or its status is too old
    MISSING = "missing"  # no status file: no collector ever ran here
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class LossRow:
    protocol: str
    cause: str  # a key of LOSS_WORDS
    count: int


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    protocol: str
    exporters: int
    received: int  # datagrams read from the sockets
    datagrams: int  # decoded
    samples: int
    datagrams_per_s: float
    samples_per_s: float


@dataclass(frozen=True, slots=True)
class CollectorHealth:
    state: CollectorState
    status: CollectorStatus | None = None
    age_s: float | None = None
    protocols: tuple[ProtocolRow, ...] = ()
    loss: tuple[LossRow, ...] = ()  # only causes with a count
    problem: str = ""

    @property
    def lost(self) -> int:
        return sum(row.count for row in self.loss)


def collector(settings: Settings, now: dt.datetime) -> CollectorHealth:
    """The collector of ``settings``' data directory as its status file tells."""
    path = status_path(settings)
    try:
        status = read_status(path)
    except (FormatError, OSError) as exc:
        logger.warning("health: collector status unreadable: %s", exc)
        return CollectorHealth(CollectorState.UNREADABLE, problem=str(exc))
    if status is None:
        return CollectorHealth(CollectorState.MISSING)
    ran_s = max((status.written - status.started).total_seconds(), 0.0)
    totals = totals_by_protocol(status)
    protocols = tuple(
        ProtocolRow(
            protocol,
            counts["exporters"],
            counts["received"],
            counts["datagrams"],
            counts["samples"],
            counts["datagrams"] / ran_s if ran_s else 0.0,
            counts["samples"] / ran_s if ran_s else 0.0,
        )
        for protocol, counts in sorted(totals.items())
    )
    loss = tuple(
        LossRow(protocol, cause, counts[cause])
        for protocol, counts in sorted(totals.items())
        for cause in LOSS_ORDER
        if counts[cause]
    )
    state = CollectorState.RUNNING if status.fresh(now) else CollectorState.STOPPED
    return CollectorHealth(state, status, status.age_s(now), protocols, loss)
