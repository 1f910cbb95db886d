"""95th percentile per port and per member for a calendar month, from the counter tier.

The rule, exactly:

1. Samples are the 5-minute buckets of the month (UTC) in which the port's counters cover any
   time. A bucket's rate is its octets * 8 / covered seconds, per interface; a port's rate is the
   sum over its interfaces (the links of a LAG), a member's the sum over its ports, per bucket.
   Buckets without counter data are not samples (they are not zeros).
2. Sort the n sample rates ascending and take the one at 1-based rank ceil(0.95 * n), computed in
   integers as (95 * n + 99) // 100. The top 5 % (n - rank samples) are dropped: 432 of a 30-day
   month's 8,640.
3. Inbound and outbound (as the switch port counts them) are ranked separately; the billable
   figure is the larger of the two.
"""

from __future__ import annotations

from collections.abc import Sequence

from ixcenter.telemetry.analytics.results import Percentile, SubjectKind
from ixcenter.telemetry.analytics.traffic import FlowQueries
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.store.schema import Family


def rank_95(n: int) -> int:
    """1-based rank of the 95th percentile among n samples sorted ascending (0 if none)."""
    return (95 * n + 99) // 100


def percentile_95(values: Sequence[float]) -> float:
    """The rule above on plain numbers (reference for the SQL; 0.0 for no samples)."""
    if not values:
        return 0.0
    return sorted(values)[rank_95(len(values)) - 1]


_PER_INTERFACE = (
    "SELECT ts, port, org, "
    "SUM(in_octets) * 8000.0 / SUM(covered_ms) AS in_bps, "
    "SUM(out_octets) * 8000.0 / SUM(covered_ms) AS out_bps "
    "FROM {rows} WHERE port <> 0 GROUP BY ts, exporter, if_index, port, org "
    "HAVING SUM(covered_ms) > 0"
)


def _query(subject: str, where: str) -> str:
    return f"""
WITH per_if AS ({_PER_INTERFACE}),
rates AS (
  SELECT {subject} AS subject, ts, SUM(in_bps) AS in_bps, SUM(out_bps) AS out_bps
  FROM per_if WHERE {where} GROUP BY {subject}, ts
),
ranked AS (
  SELECT subject, in_bps, out_bps,
    row_number() OVER (PARTITION BY subject ORDER BY in_bps) AS in_rank,
    row_number() OVER (PARTITION BY subject ORDER BY out_bps) AS out_rank,
    count(*) OVER (PARTITION BY subject) AS n
  FROM rates
)
SELECT subject, MAX(n),
  MAX(CASE WHEN in_rank = (95 * n + 99) // 100 THEN in_bps END),
  MAX(CASE WHEN out_rank = (95 * n + 99) // 100 THEN out_bps END)
FROM ranked GROUP BY subject ORDER BY subject
"""  # noqa: S608 - column names and integers only


def p95(
    reader: FlowQueries, month: Window, kind: SubjectKind, subject: int | None = None
) -> list[Percentile]:
    """The 95th percentile of every port or member (or of one) in the calendar month ``month``."""
    if kind not in (SubjectKind.PORT, SubjectKind.MEMBER):
        raise ValueError("95th percentiles are per port or per member")
    column = "port" if kind is SubjectKind.PORT else "org"
    where = "TRUE" if subject is None else f"{column} = $s"
    start, end = month.seconds
    rows = reader.query(
        Family.COUNTERS,
        start,
        end,
        _query(column, where),
        None if subject is None else {"s": subject},
    )
    label = month.start.strftime("%Y-%m")
    return [
        Percentile(kind, s, label, n, float(i), float(o), max(float(i), float(o)))
        for s, n, i, o in rows
    ]
