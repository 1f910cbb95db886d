"""Traffic analytics over the flow store: plain typed answers for the API, portal and reports.

- ``traffic_matrix``, ``top_peers``, ``ip_share``, ``center_traffic``, ``unknown_macs``
  (``analytics.traffic``)
- ``series`` per port, member, node or exchange center (``analytics.series``)
- ``p95`` per port or member per calendar month (``analytics.percentile``, the exact rule there)
- ``raw_samples``: single samples from the raw tier (``analytics.samples``)
"""

from __future__ import annotations

from ixcenter.telemetry.analytics.names import Directory
from ixcenter.telemetry.analytics.percentile import p95, percentile_95, rank_95
from ixcenter.telemetry.analytics.results import (
    CenterTraffic,
    IpShare,
    Matrix,
    PairTraffic,
    PeerTraffic,
    Percentile,
    Series,
    SeriesPoint,
    SubjectKind,
    UnknownMac,
)
from ixcenter.telemetry.analytics.samples import RawSample, raw_samples
from ixcenter.telemetry.analytics.series import series
from ixcenter.telemetry.analytics.traffic import (
    FlowQueries,
    center_traffic,
    ip_share,
    top_peers,
    traffic_matrix,
    unknown_macs,
)
from ixcenter.telemetry.analytics.window import Window, parse_duration

__all__ = [
    "CenterTraffic",
    "Directory",
    "FlowQueries",
    "IpShare",
    "Matrix",
    "PairTraffic",
    "PeerTraffic",
    "Percentile",
    "RawSample",
    "Series",
    "SeriesPoint",
    "SubjectKind",
    "UnknownMac",
    "Window",
    "center_traffic",
    "ip_share",
    "p95",
    "parse_duration",
    "percentile_95",
    "rank_95",
    "raw_samples",
    "series",
    "top_peers",
    "traffic_matrix",
    "unknown_macs",
]
