"""The flow collector: UDP listeners for sFlow v5, IPFIX and NetFlow v9, and capture import.

``service.Collector`` reads datagrams in batches from its ``listener.Listener`` sockets and
feeds a ``pipeline.Pipeline`` (the decoders, per-exporter ``accounting``, templates kept in a
``template_store.TemplateStore`` across restarts) that hands rows to a ``TelemetrySink`` every N
rows or T seconds (``batcher``). ``capture.import_capture`` feeds the same pipeline from a pcap or
pcapng file (``pcap``). ``sinks.open_sink`` is where both get their sink: for now a placeholder
spool of raw rows, until the flow store is connected there.
"""

from ixcenter.telemetry.collector.accounting import (
    CollectorSnapshot,
    ExporterCounts,
    SocketCounts,
)
from ixcenter.telemetry.collector.capture import ImportSummary, import_capture
from ixcenter.telemetry.collector.pipeline import Pipeline, Protocol
from ixcenter.telemetry.collector.service import Collector, Endpoint, endpoints_from
from ixcenter.telemetry.collector.sinks import CountingSink, SpoolSink, open_sink, read_spool
from ixcenter.telemetry.collector.template_store import TemplateStore

__all__ = [
    "Collector",
    "CollectorSnapshot",
    "CountingSink",
    "Endpoint",
    "ExporterCounts",
    "ImportSummary",
    "Pipeline",
    "Protocol",
    "SocketCounts",
    "SpoolSink",
    "TemplateStore",
    "endpoints_from",
    "import_capture",
    "open_sink",
    "read_spool",
]
