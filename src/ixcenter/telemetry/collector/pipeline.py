"""Datagrams in, batches out: the decoders, the accounting and the hand-over to the sink.

The socket loop (``service.Collector``) and the capture import (``capture.import_capture``)
both feed a ``Pipeline`` lists of ``(payload, exporter address)`` pairs per protocol. Each list is
decoded in one ``decode_many`` call (no per-sample Python objects), its counts are added to the
``Accounting``, and its rows go to the ``Batcher``, which writes them to the sink every
``batch_rows`` rows and flushes it once the oldest unflushed row is ``batch_seconds`` old.
Templates live in the ``TemplateStore``'s caches, which the IPFIX and NetFlow v9 decoders share
with it.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Sequence

from ixcenter.telemetry.collector.accounting import Accounting
from ixcenter.telemetry.collector.batcher import Batcher
from ixcenter.telemetry.collector.template_store import TemplateStore
from ixcenter.telemetry.decode import IpfixDecoder, Netflow9Decoder, SflowDecoder
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.decode.stats import DecodeStats
from ixcenter.telemetry.sink import TelemetrySink


class Decoder(typing.Protocol):
    def decode_many(
        self, datagrams: Sequence[tuple[bytes, str]], received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]: ...


class Protocol(enum.StrEnum):
    SFLOW = "sflow"
    IPFIX = "ipfix"
    NETFLOW9 = "netflow9"

    @property
    def default_port(self) -> int:
        return _DEFAULT_PORTS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_DEFAULT_PORTS = {Protocol.SFLOW: 6343, Protocol.IPFIX: 4739, Protocol.NETFLOW9: 2055}
_LABELS = {Protocol.SFLOW: "sFlow v5", Protocol.IPFIX: "IPFIX", Protocol.NETFLOW9: "NetFlow v9"}


class Pipeline:
    """Stateful decoding of the three protocols into one sink."""

    def __init__(
        self,
        sink: TelemetrySink,
        templates: TemplateStore | None = None,
        *,
        batch_rows: int = 65536,
        batch_seconds: float = 1.0,
        max_exporters: int = 10_000,
        flush_each: bool = False,
    ) -> None:
        """``flush_each``: flush the sink at every hand-over, not only once ``batch_seconds``
        have passed since the oldest row it has not flushed (see ``collector.batcher``)."""
        self.templates = templates if templates is not None else TemplateStore(None)
        self.decoders: dict[Protocol, Decoder] = {
            Protocol.SFLOW: SflowDecoder(),
            Protocol.IPFIX: IpfixDecoder(self.templates.ipfix),
            Protocol.NETFLOW9: Netflow9Decoder(self.templates.netflow9),
        }
        self.accounting = Accounting(max_exporters)
        self.batcher = Batcher(sink, batch_rows, batch_seconds, flush_each=flush_each)
        self._template_check = 0.0

    def feed(
        self,
        protocol: Protocol,
        datagrams: Sequence[tuple[bytes, str]],
        received_ms: int,
        now: float,
    ) -> DecodeStats:
        """Decode one list of datagrams of one protocol; malformed ones are counted, never raised.

        ``received_ms`` (unix milliseconds) stamps sFlow rows, which carry no time of their own;
        ``now`` is a monotonic reading for the hand-over policy.
        """
        flows, counters, stats = self.decoders[protocol].decode_many(datagrams, received_ms)
        self.accounting.add(protocol, stats)
        self.batcher.add(flows, counters, now)
        return stats

    def tick(self, now: float) -> None:
        """Hand over what is due; save the templates if they changed (checked once a period)."""
        self.batcher.hand_over_if_due(now)
        if now >= self._template_check:
            self._template_check = now + self.batcher.max_delay
            self.templates.save_if_changed()

    def finish(self) -> None:
        """Hand over everything waiting and save the templates (at shutdown, end of file)."""
        self.batcher.hand_over()
        self.templates.save_if_changed()
