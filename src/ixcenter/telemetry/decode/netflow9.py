"""NetFlow v9 (RFC 3954) export packets decoded in bulk into a ``FlowBatch``.

The 20-byte header, then flowsets: templates (0), options templates (1), data (>= 256). Field
types share IPFIX's element numbers for everything read here (``elements.ELEMENTS``). Times:
LAST_SWITCHED is an uptime, turned into a time with the header's sysUpTime and UNIX seconds.

softflowd 1.1.0 sometimes writes a header ``count`` smaller than the records its flowsets hold
(RFC 3954 says count is the number of records, templates included). So ``count`` is not used to
stop: every flowset is decoded, and a packet whose count differs from the records found is
counted in ``count_mismatches``. The sequence number counts packets per (exporter, source id).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import elements
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, CounterBatch, FlowBatch
from ixcenter.telemetry.decode.ipfix import commit, stage_set
from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats, SequenceTracker
from ixcenter.telemetry.decode.template_decoder import (
    Headers,
    Learnt,
    TemplateDecoder,
    read_headers,
)
from ixcenter.telemetry.decode.template_pending import PendingSets
from ixcenter.telemetry.decode.template_sequences import account_steps
from ixcenter.telemetry.decode.templates import FieldSpec, Template, TemplateCache

_HEADER = struct.Struct(">HHIIII")
#: the packet header and the header of its first flowset, as ``scan`` reads them
_HEADERS = np.dtype([("version", ">u2"), ("count", ">u2"), ("uptime", ">u4"), ("unix", ">u4"),
                     ("sequence", ">u4"), ("source_id", ">u4"), ("set_id", ">u2"),
                     ("set_length", ">u2")])  # fmt: skip
_HH = struct.Struct(">HH").unpack_from
_HHH = struct.Struct(">HHH").unpack_from
VERSION = 9


class Netflow9Decoder(TemplateDecoder):
    """Decodes NetFlow v9 packets; keeps templates (``self.templates``) and sequence numbers."""

    data_start = 24

    def __init__(self, templates: TemplateCache | None = None) -> None:
        super().__init__(templates)
        self.sequences = SequenceTracker()

    def decode_one(
        self,
        data: bytes,
        exporter: str,
        index: int,
        chunks: list[NDArray[Any]],
        counts: ExporterStats,
        pending: PendingSets | None = None,
    ) -> int | None:
        """Decode one packet; returns its records, templates included (None if a flowset's
        template is not known). Raises ``DecodeError`` with the offset (rows as in IPFIX's)."""
        if len(data) < 20:
            raise DecodeError("NetFlow v9 header truncated", len(data))
        version, count, uptime, unix_secs, _, source_id = _HEADER.unpack_from(data, 0)
        if version != VERSION:
            raise DecodeError(f"NetFlow version {version}, not {VERSION}", 0)
        options = self.templates.options_for(exporter, source_id)
        records: int | None = 0
        staged: list[tuple[elements.Compiled, bytes, tuple[int, ...]]] = []
        off = 20
        end_of_data = len(data)
        while end_of_data - off >= 4:
            set_id, set_length = _HH(data, off)
            end = off + set_length
            if set_length < 4 or end > end_of_data:
                raise DecodeError(f"NetFlow v9 flowset length {set_length}", off + 2)
            if set_id in (0, 1):
                n = self.learn(data, off + 4, end, set_id == 1, exporter, source_id)
                if records is not None:
                    records += n
            elif set_id >= 256:
                key = (exporter, source_id, set_id)
                if key not in self.templates.templates:
                    counts.no_template += 1
                    records = None
                else:
                    compiled = elements.compiled_for(self.templates, key)
                    context = (index, unix_secs * 1000, uptime, 0, options.sampling_interval)
                    n = stage_set(data, off + 4, end, compiled, context, staged, options)
                    if records is not None:
                        records += n
            off = end
        commit(staged, chunks, pending, counts)
        if records is not None and records != count:
            counts.count_mismatches += 1
        return records

    def scan(self, joined: bytes, starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> Headers:
        """Headers of a batch; fast: version 9 and one data flowset, then fewer than 4 bytes."""
        heads = read_headers(joined, starts, _HEADERS)
        body = heads["set_length"].astype(np.int64) - 4
        set_id = heads["set_id"].astype(np.uint64)
        rest = lengths - 24 - body
        fast = (heads["version"] == VERSION) & (set_id >= 256) & (body >= 0)
        fast &= (rest >= 0) & (rest < 4)
        return Headers(
            fast,
            heads["source_id"].astype(np.uint64),
            set_id,
            body,
            heads["unix"].astype(np.int64) * 1000,
            heads["uptime"].astype(np.int64),
            heads["sequence"].astype(np.int64),
            heads["count"].astype(np.int64),
        )

    def account(
        self,
        key: tuple[str, int],
        sequences: NDArray[np.int64],
        records: NDArray[np.int64],
        stats: ExporterStats,
    ) -> None:
        account_steps(self.sequences, key, sequences, stats)

    def parse_templates(
        self, data: bytes, off: int, end: int, options: bool, found: Learnt
    ) -> None:
        while end - off >= 4:
            template_id, size = _HH(data, off)
            if template_id == 0 and size == 0:
                break  # padding
            if template_id < 256:
                raise DecodeError(f"NetFlow v9 template id {template_id} below 256", off)
            if options:
                if off + 6 > end:
                    raise DecodeError("NetFlow v9 options template header truncated", off)
                _, scope_length, option_length = _HHH(data, off)
                if scope_length % 4 or option_length % 4 or scope_length == 0:
                    raise DecodeError("NetFlow v9 options template lengths", off + 2)
                scope, count = scope_length // 4, (scope_length + option_length) // 4
                off += 6
            else:
                scope, count = 0, size
                off += 4
            if off + 4 * count > end:
                raise DecodeError("NetFlow v9 template longer than its flowset", off)
            specs = tuple(FieldSpec(*_HH(data, off + 4 * i)) for i in range(count))
            off += 4 * count
            found.append((template_id, Template(template_id, specs, scope)))


def decode_many(
    datagrams: Sequence[tuple[bytes, str]],
    templates: TemplateCache | None = None,
) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
    """Decode with a fresh ``Netflow9Decoder`` (optionally over a cache of known templates)."""
    return Netflow9Decoder(templates).decode_many(datagrams)


def decode_datagram(
    data: bytes, exporter: str = "", templates: TemplateCache | None = None
) -> FlowBatch:
    """Decode one packet; raises ``DecodeError`` (with the offset) if it is malformed."""
    chunks: list[NDArray[Any]] = []
    Netflow9Decoder(templates).decode_one(data, exporter, 0, chunks, ExporterStats())
    rows = np.concatenate(chunks) if chunks else np.zeros(0, FLOW_DTYPE)
    return FlowBatch(rows, [exporter])
