"""What the analytics answer: plain frozen values, for the API, the portal, reports and the CLI.

Bytes and packets are estimates of the real traffic (samples scaled by their sampling rate).
Members are organisation ids; ``analytics.names.Directory`` turns ids into names.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ixcenter.telemetry.analytics.window import Window


class SubjectKind(enum.StrEnum):
    PORT = "port"
    MEMBER = "member"
    NODE = "node"
    CENTER = "center"

    @property
    def column(self) -> str:
        """The side column that names this kind of subject in the flow tables."""
        return "org" if self is SubjectKind.MEMBER else self.value


@dataclass(frozen=True, slots=True)
class PairTraffic:
    """Traffic one member sent to another."""

    src_org: int
    dst_org: int
    bytes: int
    packets: int


@dataclass(frozen=True, slots=True)
class Matrix:
    """Member-to-member traffic in a window; ``unknown_bytes`` had an unknown MAC at one end."""

    window: Window
    cells: tuple[PairTraffic, ...]  # largest first
    total_bytes: int
    total_packets: int
    unknown_bytes: int

    def get(self, src_org: int, dst_org: int) -> int:
        for cell in self.cells:
            if cell.src_org == src_org and cell.dst_org == dst_org:
                return cell.bytes
        return 0


@dataclass(frozen=True, slots=True)
class PeerTraffic:
    """What a member exchanged with one peer: ``sent`` to it and ``received`` from it."""

    peer_org: int
    sent_bytes: int
    received_bytes: int
    sent_packets: int
    received_packets: int

    @property
    def total_bytes(self) -> int:
        return self.sent_bytes + self.received_bytes


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One bucket: bytes the subject sent and received, and the average rates."""

    ts: dt.datetime
    sent_bytes: int
    received_bytes: int
    sent_bps: float
    received_bps: float


@dataclass(frozen=True, slots=True)
class Series:
    kind: SubjectKind
    subject: int
    step: int  # seconds per point
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True, slots=True)
class IpShare:
    v4_bytes: int
    v6_bytes: int
    other_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.v4_bytes + self.v6_bytes + self.other_bytes

    @property
    def v6_share(self) -> float:
        """IPv6 bytes over IPv4 + IPv6 bytes (0 when there is no IP traffic)."""
        ip = self.v4_bytes + self.v6_bytes
        return self.v6_bytes / ip if ip else 0.0

    @property
    def v4_share(self) -> float:
        ip = self.v4_bytes + self.v6_bytes
        return self.v4_bytes / ip if ip else 0.0


@dataclass(frozen=True, slots=True)
class CenterTraffic:
    """Traffic from members at one exchange center to members at another, and the links between."""

    src_center: int
    dst_center: int
    bytes: int
    packets: int
    links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnknownMac:
    vlan: int
    mac: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    samples: int
    bytes: int
    exporter: str
    in_if: int


@dataclass(frozen=True, slots=True)
class Percentile:
    """The 95th percentile of one port or member over a month of 5-minute samples."""

    kind: SubjectKind
    subject: int
    month: str  # YYYY-MM
    samples: int
    in_bps: float  # as the switch port counts it: in = from the member into the exchange
    out_bps: float  # out = from the exchange to the member
    max_bps: float  # max(in, out): the billable figure
