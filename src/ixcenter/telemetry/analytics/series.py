"""Traffic over time of one port, member, node or exchange center, from the flow tiers."""

from __future__ import annotations

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.telemetry.analytics.results import Series, SeriesPoint, SubjectKind
from ixcenter.telemetry.analytics.traffic import FlowQueries
from ixcenter.telemetry.analytics.window import Window, utc
from ixcenter.telemetry.store.schema import Family

MAX_POINTS = 10_000


def buckets(window: Window, step: int) -> tuple[int, int]:
    """``(first bucket start, window end)`` in seconds for ``step``-second buckets; the step
    must be whole minutes and give at most ``MAX_POINTS`` buckets (else ``ValidationFailed``)."""
    problems = []
    if step <= 0 or step % 60:
        problems.append(Problem("step", "a whole number of minutes"))
    start, end = window.seconds
    first = start // step * step if step > 0 else start
    if step > 0 and (end - first) // step > MAX_POINTS:
        problems.append(Problem("step", f"more than {MAX_POINTS} points; take a larger step"))
    if problems:
        raise ValidationFailed(problems)
    return first, end


def series(
    reader: FlowQueries, kind: SubjectKind, subject: int, window: Window, step: int
) -> Series:
    """Bytes the subject sent and received per ``step`` seconds, every bucket of the window.

    ``step`` must be a multiple of 60 s. Traffic between two members of the same node or center
    counts as sent and as received by that node or center.
    """
    first, end = buckets(window, step)
    column = kind.column
    rows = reader.query(
        Family.FLOWS,
        first,
        end,
        f"SELECT ts // {step} * {step} AS t, "  # noqa: S608
        f"SUM(CASE WHEN src_{column} = $s THEN bytes ELSE 0 END)::BIGINT, "
        f"SUM(CASE WHEN dst_{column} = $s THEN bytes ELSE 0 END)::BIGINT "
        f"FROM {{rows}} WHERE src_{column} = $s OR dst_{column} = $s GROUP BY t ORDER BY t",
        {"s": subject},
        step=step,
    )
    found = {t: (sent, received) for t, sent, received in rows}
    points = []
    for t in range(first, end, step):
        sent, received = found.get(t, (0, 0))
        points.append(SeriesPoint(utc(t), sent, received, sent * 8 / step, received * 8 / step))
    return Series(kind, subject, step, tuple(points))
