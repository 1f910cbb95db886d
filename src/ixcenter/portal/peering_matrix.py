"""The peering matrix of the operator views: which member's routes reach which, and the traffic.

Reachability is read from the looking glass's snapshot of the route servers. Member A's routes
reach member B through a route server when B has an established session on it (of an address
family A has accepted paths in) and at least one of A's accepted paths there may be exported to
B under the exchange's announcement-control communities (``routing.policy.model``; ``RS`` is
the route server's ASN, ``P`` B's):

* ``0:P`` or ``RS:0:P``: never to B;
* ``0:RS`` or ``RS:0:0``: to nobody, unless ``RS:P`` or ``RS:1:P`` names B.

These are the rules of ``routing.policy.evaluate.Policy.export_route``, which decides what the
route servers are configured to export; blackhole routes (``65535:666``) are left out, since
they go only to members that asked for them and say nothing of reachability. A pair is
*blocked* when A has paths B could get but A's communities keep every one of them from B.

Traffic is the flow store's member-to-member matrix over the last day or week, shown per
direction as the average bit rate over the window: the cell in row A, column B is what A sent
to B.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ixcenter.config import Settings
from ixcenter.core.errors import IxcError
from ixcenter.registry.models import Organisation
from ixcenter.routing.control.model import Route
from ixcenter.routing.lg_snapshot import Snapshot
from ixcenter.routing.policy.evaluate import announced_to
from ixcenter.routing.policy.model import ANNOUNCE, BLACKHOLE, DO_NOT_ANNOUNCE
from ixcenter.telemetry.analytics.window import Window

logger = logging.getLogger(__name__)

PERIODS = {"day": "24h", "week": "7d"}


class Reach(enum.StrEnum):
    YES = "yes"  # A's routes reach B through at least one route server
    BLOCKED = "blocked"  # they would, but A's communities keep them all from B
    NO = "no"  # no route server carries A's routes to B
    SELF = "self"  # a member and itself


@dataclass(frozen=True, slots=True)
class Control:
    """A path's announcement-control communities on one route server, for one address family
    (only those communities, so paths that control alike compare equal)."""

    version: int
    rs_asn: int = 0
    communities: frozenset[tuple[int, int]] = frozenset()
    large_communities: frozenset[tuple[int, int, int]] = frozenset()

    def exports_to(self, asn: int) -> bool:
        return announced_to(self.communities, self.large_communities, self.rs_asn, asn)


def control_of(route: Route, rs_asn: int) -> Control:
    """The announcement control of ``route`` on a route server of AS ``rs_asn``."""
    std = frozenset(c for c in route.communities if c[0] == 0 or c[0] == rs_asn)
    large = frozenset(
        c for c in route.large_communities if c[0] == rs_asn and c[1] in (DO_NOT_ANNOUNCE, ANNOUNCE)
    )
    return Control(route.prefix.version, rs_asn, std, large)


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    asns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """Row member to column member: reachability (and through which servers) and traffic."""

    reach: Reach
    servers: tuple[str, ...]  # the route servers that carry the row's routes to the column
    bps: float | None  # average bit rate sent in the window (None: no flow data)


@dataclass(frozen=True, slots=True)
class PeeringMatrix:
    members: tuple[Member, ...]
    rows: tuple[tuple[Cell, ...], ...]  # rows[i][j]: members[i] to members[j]
    sent_bps: tuple[float, ...]  # per member, to all other members
    received_bps: tuple[float, ...]
    total_bps: float
    window: Window
    traffic: bool  # False: no flow store
    servers: tuple[str, ...]  # route servers in the snapshot

    @property
    def reaching(self) -> int:
        """Ordered pairs whose routes reach."""
        return sum(1 for row in self.rows for cell in row if cell.reach is Reach.YES)

    @property
    def pairs(self) -> int:
        return len(self.members) * (len(self.members) - 1)

    @property
    def peak_bps(self) -> float:
        return max((c.bps or 0.0 for row in self.rows for c in row), default=0.0)

    def shade(self, cell: Cell) -> float:
        """How dark to draw ``cell`` (0 to 0.6): its traffic's square root against the peak's,
        so small flows still show beside a large one."""
        peak = self.peak_bps
        if not peak or not cell.bps:
            return 0.0
        return round(0.6 * math.sqrt(cell.bps / peak), 3)


def members(session: Session) -> list[Member]:
    """Every organisation with its ASNs, by name."""
    query = select(Organisation).options(selectinload(Organisation.asns))
    return [
        Member(org.id, org.name, tuple(sorted(a.asn for a in org.asns)))
        for org in session.scalars(query.order_by(Organisation.name))
    ]


def reachability(
    snapshot: Snapshot, of: Sequence[Member]
) -> dict[tuple[int, int], tuple[Reach, tuple[str, ...]]]:
    """For every ordered pair of members (ids) that is not ``Reach.NO``: how and where."""
    org_of = {asn: m.id for m in of for asn in m.asns}
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    blocked: set[tuple[int, int]] = set()
    for label, state in sorted(snapshot.servers.items()):
        receivers: dict[int, set[tuple[int, int | None]]] = defaultdict(set)
        for s in state.sessions:
            if s.established and s.peer_asn in org_of:
                version = s.address.version if s.address is not None else None
                receivers[org_of[s.peer_asn]].add((s.peer_asn, version))
        for sender in of:
            controls = {
                control_of(p.route, state.rs_asn)
                for p in snapshot.index.member(label, sender.asns)
                if p.accepted and BLACKHOLE not in p.route.communities
            }
            if not controls:
                continue
            for receiver, sessions in receivers.items():
                if receiver == sender.id:
                    continue
                pair = (sender.id, receiver)
                usable = [
                    (c, asn)
                    for c in controls
                    for asn, version in sessions
                    if version is None or version == c.version
                ]
                if any(c.exports_to(asn) for c, asn in usable):
                    found[pair].add(label)
                elif usable:
                    blocked.add(pair)
    out = {pair: (Reach.YES, tuple(sorted(servers))) for pair, servers in found.items()}
    for pair in blocked - found.keys():
        out[pair] = (Reach.BLOCKED, ())
    return out


def pair_bytes(settings: Settings, window: Window) -> dict[tuple[int, int], int] | None:
    """Bytes each member sent each other in ``window``; None: no flow store."""
    from ixcenter.telemetry.analytics.traffic import traffic_matrix
    from ixcenter.telemetry.store import open_reader

    if not (settings.flow_store_path / "manifest.json").exists():
        return None
    try:
        with open_reader(settings) as reader:
            matrix = traffic_matrix(reader, window)
    except IxcError as exc:
        logger.info("peering matrix: no traffic: %s", exc)
        return None
    return {(c.src_org, c.dst_org): c.bytes for c in matrix.cells}


def peering_matrix(
    of: Sequence[Member],
    snapshot: Snapshot,
    settings: Settings | None,
    period: str,
    now: dt.datetime,
) -> PeeringMatrix:
    """The matrix of ``of`` from the route servers of ``snapshot`` and the traffic of
    ``settings``' flow store over the last ``period`` ("day" or "week")."""
    window = Window.last(PERIODS[period], now)
    reach = reachability(snapshot, of)
    carried = pair_bytes(settings, window) if settings is not None else None
    seconds = window.length

    def rate(src: int, dst: int) -> float | None:
        return None if carried is None else carried.get((src, dst), 0) * 8 / seconds

    rows = []
    for a in of:
        cells = []
        for b in of:
            if a.id == b.id:
                cells.append(Cell(Reach.SELF, (), None))
                continue
            how, servers = reach.get((a.id, b.id), (Reach.NO, ()))
            cells.append(Cell(how, servers, rate(a.id, b.id)))
        rows.append(tuple(cells))
    sent = tuple(_sum(c.bps for c in row) for row in rows)
    received = tuple(_sum(row[j].bps for row in rows) for j in range(len(of)))
    return PeeringMatrix(
        tuple(of),
        tuple(rows),
        sent,
        received,
        sum(sent),
        window,
        carried is not None,
        tuple(sorted(snapshot.servers)),
    )


def _sum(values: Iterable[float | None]) -> float:
    return float(sum(v for v in values if v is not None))
