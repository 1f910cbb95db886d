"""Flow-collector metrics: samples, datagrams and losses by protocol, from the collector's status.

The collector runs in a process of its own and publishes its counts in its status file
(``telemetry.collector.status``); a scrape reads that small file, nothing else. Counts are summed
over exporters per protocol: exporter addresses are not labels (an exporter is any address a
datagram came from, so labelling by it would let a flood of spoofed sources grow the series
without bound). Counters restart at zero when the collector restarts (``rate()`` handles that;
``ixc_collector_start_time_seconds`` says when).

``ixc_collector_lost_total`` counts loss by where it happened, each in its own unit:

=============  ==========================================================================
cause          what one count is
=============  ==========================================================================
sequence_gap   a datagram (sFlow), packet (NetFlow v9) or record (IPFIX) the exporter sent
               that never arrived, by the exporters' sequence numbers
agent_drop     a sample an sFlow agent could not export (its own ``drops`` counter)
kernel_drop    a datagram this machine's kernel dropped before the collector read it
malformed      a datagram that arrived but could not be decoded
no_template    an IPFIX or NetFlow v9 data set whose template was not known (yet)
=============  ==========================================================================
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import FormatError
from ixcenter.telemetry.collector.status import CollectorStatus, read_status

logger = logging.getLogger(__name__)

#: (cause, the exporter counter it comes from); kernel drops come from the sockets
LOSS_CAUSES = (
    ("sequence_gap", "sequence_gaps"),
    ("agent_drop", "agent_drops"),
    ("malformed", "malformed"),
    ("no_template", "no_template"),
)


class CollectorMetrics(Collector):
    """The ``ixc_collector_*`` families from the status file at ``path``."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self._clock = clock or SystemClock()

    def _status(self) -> CollectorStatus | None:
        try:
            return read_status(self.path)
        except (FormatError, OSError) as exc:
            logger.warning("metrics: collector status unreadable: %s", exc)
            return None

    def collect(self) -> Iterator[Metric]:
        status = self._status()
        now = self._clock.now()
        yield GaugeMetricFamily(
            "ixc_collector_up",
            "1 when the flow collector runs (its status file is fresh), else 0.",
            value=1.0 if status is not None and status.fresh(now) else 0.0,
        )
        if status is None:
            return
        yield GaugeMetricFamily(
            "ixc_collector_status_age_seconds",
            "Seconds since the collector last wrote its status.",
            value=status.age_s(now),
        )
        yield GaugeMetricFamily(
            "ixc_collector_start_time_seconds",
            "When the collector that wrote the status started (Unix time).",
            value=status.started.timestamp(),
        )
        yield from _counts(status)


#: (family name, counter or gauge, help, the per-protocol total it shows)
PER_PROTOCOL: tuple[tuple[str, bool, str, str], ...] = (
    ("ixc_collector_received_datagrams", True, "Datagrams read from the collector's sockets.",
     "received"),
    ("ixc_collector_datagrams", True, "Datagrams decoded without error.", "datagrams"),
    ("ixc_collector_samples", True,
     "Flow samples (sFlow) and data records (IPFIX, NetFlow v9) decoded.", "samples"),
    ("ixc_collector_counter_records", True, "Interface counter records decoded.", "counters"),
    ("ixc_collector_sequence_resets", True,
     "Times an exporter's sequence number went backwards (restart or reordering).",
     "sequence_resets"),
    ("ixc_collector_exporters", False, "Exporters seen since the collector started.",
     "exporters"),
    ("ixc_collector_socket_queued_bytes", False,
     "Bytes waiting in the collector's sockets when last counted.", "queued_bytes"),
)  # fmt: skip


def totals_by_protocol(status: CollectorStatus) -> dict[str, dict[str, int]]:
    """Every count of the status summed per protocol, under the names metrics use."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for exporter in status.snapshot.exporters:
        totals = found[exporter.protocol]
        totals["exporters"] += 1
        for name in ("datagrams", "samples", "counters", "sequence_resets"):
            totals[name] += int(getattr(exporter, name))
        for cause, name in LOSS_CAUSES:
            totals[cause] += int(getattr(exporter, name))
    for sock in status.snapshot.sockets:
        totals = found[sock.protocol]
        totals["kernel_drop"] += sock.kernel_drops
        totals["received"] += sock.received
        totals["queued_bytes"] += sock.queued_bytes
    return found


def _counts(status: CollectorStatus) -> Iterator[Metric]:
    totals = totals_by_protocol(status)
    protocols = sorted(totals)
    for name, counter, text, key in PER_PROTOCOL:
        kind = CounterMetricFamily if counter else GaugeMetricFamily
        family = kind(name, text, labels=["protocol"])
        for protocol in protocols:
            family.add_metric([protocol], float(totals[protocol][key]))
        yield family
    lost = CounterMetricFamily(
        "ixc_collector_lost",
        "Loss by cause (the module doc of ixcenter.api.metrics_collector gives each unit).",
        labels=["protocol", "cause"],
    )
    for protocol in protocols:
        for cause in (*(c for c, _ in LOSS_CAUSES), "kernel_drop"):
            lost.add_metric([protocol, cause], float(totals[protocol][cause]))
    yield lost
    snapshot = status.snapshot
    rows = CounterMetricFamily(
        "ixc_collector_rows_written", "Rows handed to the flow store.", labels=["kind"]
    )
    rows.add_metric(["flow"], float(snapshot.rows_written))
    rows.add_metric(["counter"], float(snapshot.counter_rows_written))
    yield rows
    yield GaugeMetricFamily(
        "ixc_collector_rows_pending",
        "Rows decoded, not yet handed to the flow store.",
        value=float(snapshot.rows_pending),
    )
