"""The SQL that builds each tier from the one below it (DuckDB dialect, plain enough to port).

Every statement reads a relation (a registered Arrow table or ``read_parquet([...])``) and
returns rows in the target tier's schema, sorted by time and member pair so that Parquet's
row-group statistics let a query skip what it does not need.
"""

from __future__ import annotations

from ixcenter.telemetry.store.schema import (
    COUNTERS_SCHEMA,
    FLOW_KEYS,
    PROTOCOL_CLASSES,
    Family,
    Tier,
)

_KEYS = ", ".join(FLOW_KEYS)
_CLASSES = ", ".join(str(p) for p in PROTOCOL_CLASSES)
_FLOW_SELECT = ", ".join(
    (
        *(k for k in FLOW_KEYS if k != "protocol"),
        "protocol",
    )
)


def minutes_from_raw(relation: str) -> str:
    """Raw rows -> 1-minute rows: bytes and packets scaled by each row's sampling rate."""
    keys = ", ".join(k for k in FLOW_KEYS if k != "protocol")
    return (
        f"SELECT ts_ms // 60000 * 60 AS ts, {keys}, "  # noqa: S608
        f"CASE WHEN protocol IN ({_CLASSES}) THEN protocol ELSE 0 END::UTINYINT AS protocol, "
        "SUM(bytes * greatest(sampling_rate, 1))::BIGINT AS bytes, "
        "SUM(packets * greatest(sampling_rate, 1))::BIGINT AS packets, "
        "COUNT(*)::BIGINT AS samples "
        f"FROM {relation} GROUP BY ALL ORDER BY ts, src_org, dst_org"
    )


def flows_rollup(relation: str, grain: int, where: str = "TRUE") -> str:
    """Flow rows of any tier -> rows at ``grain`` seconds (also merges duplicate keys)."""
    return (
        f"SELECT ts // {grain} * {grain} AS ts, {_FLOW_SELECT}, "  # noqa: S608
        "SUM(bytes)::BIGINT AS bytes, SUM(packets)::BIGINT AS packets, "
        "SUM(samples)::BIGINT AS samples "
        f"FROM {relation} WHERE {where} GROUP BY ALL ORDER BY ts, src_org, dst_org"
    )


_COUNTER_KEYS = "ts, exporter, if_index, port, org, node, center"
_COUNTER_SUMS = ", ".join(
    f"SUM({f.name})::BIGINT AS {f.name}"
    for f in COUNTERS_SCHEMA
    if f.name not in {"ts", "exporter", "if_index", "port", "org", "node", "center", "speed_bps"}
)


def merge(tier: Tier, relation: str) -> str:
    """Several parts of one aggregate tier -> one, with equal keys summed."""
    if tier.family is Family.FLOWS:
        return flows_rollup(relation, tier.grain)
    return (
        f"SELECT {_COUNTER_KEYS}, MAX(speed_bps)::BIGINT AS speed_bps, {_COUNTER_SUMS} "  # noqa: S608
        f"FROM {relation} GROUP BY ALL ORDER BY ts, port"
    )


def parquet(paths: list[str]) -> str:
    """A relation over Parquet files (paths must not contain quotes: the store names them)."""
    listed = ", ".join(f"'{p}'" for p in paths)
    return f"read_parquet([{listed}])"
