"""The batch loop shared by the template-based decoders (IPFIX, NetFlow v9)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import elements
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, CounterBatch, FlowBatch
from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats
from ixcenter.telemetry.decode.templates import TemplateCache


class TemplateDecoder:
    """Decodes batches of datagrams whose data sets follow templates kept in ``self.templates``.

    Subclasses decode one datagram in ``decode_one``; this class counts what fails, drops the
    rows of a datagram that failed half-way, and reads the pending fixed-length sets in bulk.
    """

    templates: TemplateCache

    def decode_one(
        self,
        data: bytes,
        exporter: str,
        index: int,
        chunks: list[NDArray[Any]],
        counts: ExporterStats,
        pending: elements.PendingSets | None = None,
    ) -> None:
        raise NotImplementedError

    def decode_many(
        self, datagrams: Sequence[tuple[bytes, str]], received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        """Decode ``(payload, exporter address)`` pairs; bad datagrams are counted, not raised.

        These protocols carry their own times, so ``received_ms`` is unused; it keeps the API
        uniform with sFlow's.
        """
        stats = DecodeStats()
        exporters: dict[str, int] = {}
        chunks: list[NDArray[Any]] = []
        pending = elements.PendingSets()
        for data, source in datagrams:
            index = exporters.setdefault(source, len(exporters))
            counts = stats.exporter(source)
            mark = len(chunks)
            try:
                self.decode_one(data, source, index, chunks, counts, pending)
            except DecodeError as exc:
                del chunks[mark:]
                counts.malformed += 1
                counts.last_error = exc.message
            else:
                counts.datagrams += 1
        chunks.extend(pending.finish())
        rows = np.concatenate(chunks) if chunks else np.zeros(0, FLOW_DTYPE)
        names = list(exporters)
        return FlowBatch(rows, names), CounterBatch(np.zeros(0, CounterBatch.dtype), names), stats
