"""IPFIX (RFC 7011) messages decoded in bulk into a ``FlowBatch``.

One message per datagram: the 16-byte header, then sets. Template sets (2) and options template
sets (3) fill the ``TemplateCache`` (a template record with no fields withdraws); data sets
(>= 256) are read through their compiled template, in bulk per template and batch (see
``template_decoder`` for the fast path of one-data-set messages). Data sets whose
template is not known yet are counted (``no_template``) and skipped. Options data is read for
samplingInterval/samplerRandomInterval and systemInitTimeMilliseconds.
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
from ixcenter.telemetry.decode.stats import (
    DecodeStats,
    ExporterStats,
    SequenceMode,
    SequenceTracker,
)
from ixcenter.telemetry.decode.template_decoder import (
    Headers,
    Learnt,
    TemplateDecoder,
    read_headers,
)
from ixcenter.telemetry.decode.template_pending import PendingSets
from ixcenter.telemetry.decode.template_sequences import account_records
from ixcenter.telemetry.decode.templates import ExporterOptions, FieldSpec, Template, TemplateCache

_HEADER = struct.Struct(">HHIII")
#: the message header and the header of its first set, as ``scan`` reads them
_HEADERS = np.dtype([("version", ">u2"), ("length", ">u2"), ("export", ">u4"), ("sequence", ">u4"),
                     ("domain", ">u4"), ("set_id", ">u2"), ("set_length", ">u2")])  # fmt: skip
_HH = struct.Struct(">HH").unpack_from
_H = struct.Struct(">H").unpack_from
_I = struct.Struct(">I").unpack_from
VERSION = 10


class IpfixDecoder(TemplateDecoder):
    """Decodes IPFIX messages; keeps templates (``self.templates``) and sequence numbers."""

    data_start = 20

    def __init__(
        self,
        templates: TemplateCache | None = None,
        sequence_mode: SequenceMode = SequenceMode.TOLERANT,
    ) -> None:
        super().__init__(templates)
        self.sequences = SequenceTracker(sequence_mode)

    def decode_one(
        self,
        data: bytes,
        exporter: str,
        index: int,
        chunks: list[NDArray[Any]],
        counts: ExporterStats,
        pending: PendingSets | None = None,
    ) -> int | None:
        """Decode one message; returns its data records (None if a data set's template is not
        known), for sequence numbers. Raises ``DecodeError`` with the offset.

        Records of variable-length templates become rows in ``chunks`` at once; the others go
        to ``pending`` (read in bulk at the end of a batch), or to ``chunks`` if it is None.
        """
        if len(data) < 16:
            raise DecodeError("IPFIX message header truncated", len(data))
        version, length, export_time, _, domain = _HEADER.unpack_from(data, 0)
        if version != VERSION:
            raise DecodeError(f"IPFIX version {version}, not {VERSION}", 0)
        if length < 16 or length > len(data):
            raise DecodeError(f"IPFIX message length {length} of {len(data)} bytes", 2)
        options = self.templates.options_for(exporter, domain)
        records: int | None = 0
        staged: list[tuple[elements.Compiled, bytes, tuple[int, ...]]] = []
        off = 16
        while off < length:
            if off + 4 > length:
                raise DecodeError("IPFIX set header truncated", off)
            set_id, set_length = _HH(data, off)
            end = off + set_length
            if set_length < 4 or end > length:
                raise DecodeError(f"IPFIX set length {set_length}", off + 2)
            if set_id in (2, 3):
                self.learn(data, off + 4, end, set_id == 3, exporter, domain)
            elif set_id >= 256:
                key = (exporter, domain, set_id)
                if key not in self.templates.templates:
                    counts.no_template += 1
                    records = None
                else:
                    compiled = elements.compiled_for(self.templates, key)
                    context = (index, export_time * 1000, -1, options.system_init_ms,
                               options.sampling_interval)  # fmt: skip
                    n = stage_set(data, off + 4, end, compiled, context, staged, options)
                    if records is not None:
                        records += n
            off = end
        commit(staged, chunks, pending, counts)
        return records

    def scan(self, joined: bytes, starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> Headers:
        """Headers of a batch; fast: version 10 and one data set that fills the message."""
        heads = read_headers(joined, starts, _HEADERS)
        length = heads["length"].astype(np.int64)
        body = heads["set_length"].astype(np.int64) - 4
        set_id = heads["set_id"].astype(np.uint64)
        fast = (heads["version"] == VERSION) & (length <= lengths) & (length == 20 + body)
        fast &= (set_id >= 256) & (body >= 0)
        return Headers(
            fast,
            heads["domain"].astype(np.uint64),
            set_id,
            body,
            heads["export"].astype(np.int64) * 1000,
            np.full(len(starts), -1),
            heads["sequence"].astype(np.int64),
            np.full(len(starts), -1),
        )

    def account(
        self,
        key: tuple[str, int],
        sequences: NDArray[np.int64],
        records: NDArray[np.int64],
        stats: ExporterStats,
    ) -> None:
        account_records(self.sequences, key, sequences, records, stats)

    def init_ms(self, options: ExporterOptions) -> int:
        return options.system_init_ms

    def parse_templates(
        self, data: bytes, off: int, end: int, options: bool, found: Learnt
    ) -> None:
        head = 6 if options else 4
        while end - off >= 4:
            template_id, count = _HH(data, off)
            if template_id == 0 and count == 0:
                break  # padding
            if count == 0:  # withdrawal (RFC 7011 8.1); id 2 or 3 withdraws them all
                found.append((template_id, None))
                off += 4
                continue
            if template_id < 256:
                raise DecodeError(f"IPFIX template id {template_id} below 256", off)
            if off + head > end:
                raise DecodeError("IPFIX options template header truncated", off)
            scope = _H(data, off + 4)[0] if options else 0
            if options and not 0 < scope <= count:
                raise DecodeError(f"IPFIX options template scope count {scope}", off + 4)
            off += head
            specs: list[FieldSpec] = []
            for _ in range(count):
                if off + 4 > end:
                    raise DecodeError("IPFIX template field truncated", off)
                element, size = _HH(data, off)
                off += 4
                enterprise = 0
                if element & 0x8000:
                    if off + 4 > end:
                        raise DecodeError("IPFIX enterprise number truncated", off)
                    enterprise = _I(data, off)[0]
                    element &= 0x7FFF
                    off += 4
                specs.append(FieldSpec(element, size, enterprise))
            found.append((template_id, Template(template_id, tuple(specs), scope)))


def stage_set(
    data: bytes,
    start: int,
    end: int,
    compiled: elements.Compiled,
    context: tuple[int, ...],
    staged: list[tuple[elements.Compiled, bytes, tuple[int, ...]]],
    options: ExporterOptions,
) -> int:
    """Read or stage one data set; returns its record count. Options data is applied at once."""
    if compiled.template.is_options:
        values, n = elements.walk(data, start, end, compiled)
        sampling = elements.last_nonzero(values.get("sampling"))
        if sampling:
            options.sampling_interval = min(sampling, 0xFFFFFFFF)
        init = elements.last_nonzero(values.get("init_ms"))
        if init:
            options.system_init_ms = init
        return n
    size = compiled.dtype.itemsize if compiled.dtype is not None else 0
    if not size:
        ex, n = elements.read_data_set(data, start, end, compiled)
        if n:
            rows = elements.assemble(ex, n, elements.broadcast((n, *context)))
            staged.append((compiled, rows.tobytes(), (-1,)))
        return n
    n = (end - start) // size
    if n:
        staged.append((compiled, data[start : start + n * size], (n, *context)))
    return n


def commit(
    staged: list[tuple[elements.Compiled, bytes, tuple[int, ...]]],
    chunks: list[NDArray[Any]],
    pending: PendingSets | None,
    counts: ExporterStats,
) -> None:
    """Hand a decoded message's sets on (only once the whole message decoded without error)."""
    for compiled, records, context in staged:
        if context[0] < 0:  # rows already assembled (variable-length template)
            rows = np.frombuffer(records, FLOW_DTYPE)
            chunks.append(rows)
            counts.samples += len(rows)
            continue
        counts.samples += context[0]
        if pending is not None:
            pending.add(compiled, records, context)
        else:
            one = PendingSets()
            one.add(compiled, records, context)
            chunks.append(one.finish([]))


def decode_many(
    datagrams: Sequence[tuple[bytes, str]],
    templates: TemplateCache | None = None,
) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
    """Decode with a fresh ``IpfixDecoder`` (optionally over a cache of known templates)."""
    return IpfixDecoder(templates).decode_many(datagrams)


def decode_datagram(
    data: bytes, exporter: str = "", templates: TemplateCache | None = None
) -> FlowBatch:
    """Decode one message; raises ``DecodeError`` (with the offset) if it is malformed."""
    decoder = IpfixDecoder(templates)
    chunks: list[NDArray[Any]] = []
    decoder.decode_one(data, exporter, 0, chunks, ExporterStats())
    rows = np.concatenate(chunks) if chunks else np.zeros(0, FLOW_DTYPE)
    return FlowBatch(rows, [exporter])
