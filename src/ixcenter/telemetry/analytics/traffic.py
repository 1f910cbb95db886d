"""Who exchanges how much with whom: the member matrix, top peers, IP versions, inter-center.

Every function reads the ``flows`` family through a ``FlowQueries`` (the store's reader) with a
plain SQL template, so the same code runs on any backend that can stand in for ``{rows}``.
Rows with an unknown MAC at either end are left out of the member figures (they have member 0)
and reported as ``unknown_bytes`` or in the unknown-MAC report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.telemetry.analytics.results import (
    CenterTraffic,
    IpShare,
    Matrix,
    PairTraffic,
    PeerTraffic,
    UnknownMac,
)
from ixcenter.telemetry.analytics.window import Window, utc
from ixcenter.telemetry.decode.batch import mac_text
from ixcenter.telemetry.store.schema import Family


class FlowQueries(Protocol):
    """The read side of a flow store (``store.FlowStoreReader``)."""

    def query(
        self,
        family: Family,
        start: int,
        end: int,
        template: str,
        params: dict[str, Any] | None = None,
        step: int | None = None,
    ) -> list[tuple[Any, ...]]: ...

    def unknown_macs(self) -> pa.Table: ...


def _ip_filter(ip_version: int | None) -> str:
    if ip_version is None:
        return "TRUE"
    if ip_version not in (4, 6):
        raise ValidationFailed([Problem("ip_version", "4 or 6")])
    return f"ip_version = {ip_version}"


def traffic_matrix(reader: FlowQueries, window: Window, ip_version: int | None = None) -> Matrix:
    """Bytes and packets from every member to every other in ``window``, largest first."""
    start, end = window.seconds
    rows = reader.query(
        Family.FLOWS,
        start,
        end,
        "SELECT src_org, dst_org, SUM(bytes)::BIGINT, SUM(packets)::BIGINT FROM {rows} "  # noqa: S608
        f"WHERE {_ip_filter(ip_version)} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
    )
    cells = tuple(PairTraffic(s, d, b, p) for s, d, b, p in rows if s and d)
    unknown = sum(b for s, d, b, _ in rows if not (s and d))
    return Matrix(
        window,
        cells,
        total_bytes=sum(c.bytes for c in cells),
        total_packets=sum(c.packets for c in cells),
        unknown_bytes=unknown,
    )


def top_peers(reader: FlowQueries, org: int, window: Window, limit: int = 10) -> list[PeerTraffic]:
    """The members ``org`` exchanged most bytes with (sent plus received), largest first."""
    start, end = window.seconds
    rows = reader.query(
        Family.FLOWS,
        start,
        end,
        "SELECT CASE WHEN src_org = $m THEN dst_org ELSE src_org END AS peer, "
        "SUM(CASE WHEN src_org = $m THEN bytes ELSE 0 END)::BIGINT AS sent, "
        "SUM(CASE WHEN dst_org = $m THEN bytes ELSE 0 END)::BIGINT AS received, "
        "SUM(CASE WHEN src_org = $m THEN packets ELSE 0 END)::BIGINT, "
        "SUM(CASE WHEN dst_org = $m THEN packets ELSE 0 END)::BIGINT "
        "FROM {rows} WHERE (src_org = $m OR dst_org = $m) AND src_org <> dst_org "
        "AND src_org <> 0 AND dst_org <> 0 "
        "GROUP BY peer ORDER BY sent + received DESC, peer LIMIT $limit",
        {"m": org, "limit": limit},
    )
    return [PeerTraffic(*row) for row in rows]


def ip_share(reader: FlowQueries, window: Window, org: int | None = None) -> IpShare:
    """IPv4, IPv6 and non-IP bytes in ``window``, of the whole exchange or of one member."""
    start, end = window.seconds
    where = "TRUE" if org is None else "(src_org = $m OR dst_org = $m)"
    rows = reader.query(
        Family.FLOWS,
        start,
        end,
        "SELECT SUM(CASE WHEN ip_version = 4 THEN bytes ELSE 0 END)::BIGINT, "  # noqa: S608
        "SUM(CASE WHEN ip_version = 6 THEN bytes ELSE 0 END)::BIGINT, "
        "SUM(CASE WHEN ip_version NOT IN (4, 6) THEN bytes ELSE 0 END)::BIGINT "
        f"FROM {{rows}} WHERE {where}",
        None if org is None else {"m": org},
    )
    v4, v6, other = rows[0] if rows else (0, 0, 0)
    return IpShare(v4 or 0, v6 or 0, other or 0)


def center_traffic(
    reader: FlowQueries,
    window: Window,
    links: Mapping[frozenset[int], tuple[str, ...]] | None = None,
) -> list[CenterTraffic]:
    """Traffic between members at different exchange centers: what the long-distance links carry.

    ``links`` names the links between each pair of centers (``Directory.links_between``).
    """
    start, end = window.seconds
    rows = reader.query(
        Family.FLOWS,
        start,
        end,
        "SELECT src_center, dst_center, SUM(bytes)::BIGINT, SUM(packets)::BIGINT FROM {rows} "
        "WHERE src_center <> dst_center AND src_center <> 0 AND dst_center <> 0 "
        "GROUP BY ALL ORDER BY 3 DESC, 1, 2",
    )
    named = links or {}
    return [CenterTraffic(s, d, b, p, named.get(frozenset((s, d)), ())) for s, d, b, p in rows]


def unknown_macs(reader: FlowQueries) -> list[UnknownMac]:
    """Every unknown MAC, most recently seen first."""
    table = reader.unknown_macs()
    out = [
        UnknownMac(
            vlan=row["vlan"],
            mac=mac_text(row["mac"]),
            first_seen=utc(row["first_seen_ms"] // 1000),
            last_seen=utc(row["last_seen_ms"] // 1000),
            samples=row["samples"],
            bytes=row["bytes"],
            exporter=row["exporter"],
            in_if=row["in_if"],
        )
        for row in table.to_pylist()
    ]
    return sorted(out, key=lambda u: (-u.last_seen.timestamp(), u.vlan, u.mac))
