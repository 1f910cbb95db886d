"""Traffic over time of a member's ports, split by direction and IP version, from the flow tiers.

``series`` (``analytics.series``) gives one subject's bytes sent and received; a member's traffic
page wants more per port: what entered the exchange through the port ("in": sent by the member's
router) and what left through it ("out": delivered to the member), each as IPv4 and IPv6, in the
port's own terms as its switch counts them. One query answers every port asked for.

Non-IP frames (ARP, LLDP, ...; ``ip_version`` 0) are left out: they are a sliver of a peering
LAN's bytes and belong to neither family.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ixcenter.telemetry.analytics.series import buckets
from ixcenter.telemetry.analytics.traffic import FlowQueries
from ixcenter.telemetry.analytics.window import Window, utc
from ixcenter.telemetry.store.schema import Family


@dataclass(frozen=True, slots=True)
class PortPoint:
    """One bucket of one port, in bytes: in (member -> exchange) and out (exchange -> member)."""

    ts: dt.datetime
    in_v4: int
    in_v6: int
    out_v4: int
    out_v6: int


@dataclass(frozen=True, slots=True)
class PortSeries:
    """A port's traffic per ``step`` seconds, every bucket of the window (zeros included)."""

    port: int
    step: int
    points: tuple[PortPoint, ...]

    def rates(self, field: str) -> list[float]:
        """Average bit/s per bucket of one of ``in_v4``, ``in_v6``, ``out_v4``, ``out_v6``."""
        if field not in ("in_v4", "in_v6", "out_v4", "out_v6"):
            raise ValueError(f"no traffic field {field!r}")
        return [getattr(point, field) * 8 / self.step for point in self.points]

    @property
    def total_bytes(self) -> int:
        return sum(p.in_v4 + p.in_v6 + p.out_v4 + p.out_v6 for p in self.points)


def port_series(
    reader: FlowQueries, ports: Iterable[int], window: Window, step: int
) -> dict[int, PortSeries]:
    """Bytes in and out of each of ``ports``, IPv4 and IPv6, per ``step`` seconds of ``window``.

    ``step`` must be a multiple of 60 s; buckets start at multiples of ``step``. Every port asked
    for is in the answer, with zeros where nothing was seen.
    """
    wanted = sorted({int(p) for p in ports})
    first, end = buckets(window, step)
    if not wanted:
        return {}
    listed = ", ".join(str(p) for p in wanted)  # integers only: no text reaches the SQL
    rows = reader.query(
        Family.FLOWS,
        first,
        end,
        "WITH r AS (SELECT ts, src_port, dst_port, ip_version, bytes FROM {rows} "  # noqa: S608
        f"WHERE ip_version IN (4, 6) AND (src_port IN ({listed}) OR dst_port IN ({listed}))) "
        f"SELECT t, port, ip_version, SUM(ins)::BIGINT, SUM(outs)::BIGINT FROM ("
        f"SELECT ts // {step} * {step} AS t, src_port AS port, ip_version, bytes AS ins, "
        f"0 AS outs FROM r WHERE src_port IN ({listed}) "
        "UNION ALL "
        f"SELECT ts // {step} * {step} AS t, dst_port AS port, ip_version, 0 AS ins, "
        f"bytes AS outs FROM r WHERE dst_port IN ({listed})"
        ") GROUP BY t, port, ip_version ORDER BY t, port, ip_version",
        step=step,
    )
    found: dict[tuple[int, int], list[int]] = {}
    for t, port, version, ins, outs in rows:
        cell = found.setdefault((int(port), int(t)), [0, 0, 0, 0])
        offset = 0 if version == 4 else 1
        cell[offset] += int(ins)
        cell[2 + offset] += int(outs)
    answer = {}
    for port in wanted:
        points = []
        for t in range(first, end, step):
            in_v4, in_v6, out_v4, out_v6 = found.get((port, t), (0, 0, 0, 0))
            points.append(PortPoint(utc(t), in_v4, in_v6, out_v4, out_v6))
        answer[port] = PortSeries(port, step, tuple(points))
    return answer
