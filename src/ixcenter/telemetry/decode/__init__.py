"""Decoders of sFlow v5, IPFIX and NetFlow v9 into columnar batches.

Each protocol has a stateful decoder (``SflowDecoder``, ``IpfixDecoder``, ``Netflow9Decoder``)
whose ``decode_many(datagrams, received_ms)`` takes ``(payload, exporter address)`` pairs and
returns ``(FlowBatch, CounterBatch, DecodeStats)``; a malformed datagram is counted, never
raised. ``decode_datagram`` in each module decodes one datagram and raises ``DecodeError``
(with the byte offset) instead.
"""

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode.batch import (
    COUNTER_DTYPE,
    FLOW_DTYPE,
    CounterBatch,
    FlowBatch,
    Kind,
    ip_text,
    mac_text,
)
from ixcenter.telemetry.decode.ipfix import IpfixDecoder
from ixcenter.telemetry.decode.netflow9 import Netflow9Decoder
from ixcenter.telemetry.decode.sflow import SflowDecoder
from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats, SequenceMode
from ixcenter.telemetry.decode.templates import FieldSpec, Template, TemplateCache

__all__ = [
    "COUNTER_DTYPE",
    "FLOW_DTYPE",
    "CounterBatch",
    "DecodeError",
    "DecodeStats",
    "ExporterStats",
    "FieldSpec",
    "FlowBatch",
    "IpfixDecoder",
    "Kind",
    "Netflow9Decoder",
    "SequenceMode",
    "SflowDecoder",
    "Template",
    "TemplateCache",
    "ip_text",
    "mac_text",
]
