"""The batch loop shared by the template-based decoders (IPFIX, NetFlow v9).

Most messages of a running exporter hold one data set, of a template already known, with
fixed-length fields only. Those take the fast path: ``scan`` reads the headers of all datagrams
of a batch at once (numpy), and such a message costs a dictionary look-up and a slice of its
records handed to ``PendingSets`` (which reads the records of one template in a batch with one
numpy read; the context rows come from a table built once per batch). Every other datagram
(template or options sets, several sets, variable-length fields, options data, an unknown
template, no whole record, malformed) goes through ``decode_one``. Datagrams are taken in
arrival order and what the fast path knows of templates and options is dropped after each
``decode_one``, so a template learnt in datagram i applies to the data of the datagrams after
it. Sequence numbers are accounted once per batch, per stream in arrival order. Rows, counts,
sequence accounting and templates are the same as decoding every datagram with ``decode_one``.
A batch is read where it lies (``decode_datagrams``: the collector's receive buffer) or joined
first (``decode_many``: a list of payloads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import elements
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.decode.datagrams import Datagrams
from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats
from ixcenter.telemetry.decode.template_pending import PendingSets, PendingTemplate
from ixcenter.telemetry.decode.template_sequences import streams
from ixcenter.telemetry.decode.templates import ExporterOptions, Template, TemplateCache

_MALFORMED = -2
_LEARNT_SETS = 256  # template sets remembered as parsed (forgotten all at once when full)

#: What one template set says, in order: (template id, template), or (template id, None) to
#: withdraw that template (an id below 256: every template of the domain).
Learnt = list[tuple[int, Template | None]]


@dataclass(frozen=True, slots=True)
class Headers:
    """The header fields of each datagram of a batch, and whether it takes the fast path.

    ``fast`` marks datagrams whose header is valid and whose only set is a data set (id >=
    256) that ends where the message does; their template is checked later. ``body`` is the
    length of that set after its 4-byte header.
    """

    fast: NDArray[np.bool_]
    domain: NDArray[np.uint64]  # observation domain (IPFIX) or source id (NetFlow v9)
    set_id: NDArray[np.uint64]
    body: NDArray[np.int64]
    export_ms: NDArray[np.int64]
    uptime_ms: NDArray[np.int64]  # NetFlow v9 sysUpTime; -1 in IPFIX
    sequence: NDArray[np.int64]
    count: NDArray[np.int64]  # NetFlow v9 header count; -1 in IPFIX


def read_headers(joined: Any, starts: NDArray[np.int64], dtype: np.dtype[Any]) -> NDArray[Any]:
    """The first ``dtype.itemsize`` bytes of each datagram, read as ``dtype`` (one per datagram).

    ``joined`` holds the datagrams with ``datagrams.PAD`` readable bytes past each; bytes past
    the end of a short datagram are whatever follows it, so callers check lengths before
    trusting a field.
    """
    buf = np.frombuffer(joined, np.uint8)
    raw = buf[starts[:, None] + np.arange(dtype.itemsize)]
    heads: NDArray[Any] = raw.view(dtype)[:, 0]
    return heads


class TemplateDecoder:
    """Decodes batches of datagrams whose data sets follow templates kept in ``self.templates``.

    Subclasses decode one datagram in ``decode_one``, read a batch's headers in ``scan``, parse
    template sets in ``parse_templates`` and account a stream's sequence numbers in ``account``;
    this class counts what fails, drops the rows of a datagram that failed half-way, takes the
    fast path where it can, and reads the data sets in bulk.
    """

    data_start: int  # where the records of a one-set message start (header + set header)

    def __init__(self, templates: TemplateCache | None = None) -> None:
        self.templates = templates if templates is not None else TemplateCache()
        self._learnt: dict[tuple[bool, bytes], Learnt] = {}

    def decode_one(
        self,
        data: bytes,
        exporter: str,
        index: int,
        chunks: list[NDArray[Any]],
        counts: ExporterStats,
        pending: PendingSets | None = None,
    ) -> int | None:
        """Decode one datagram; returns its record count (None if unknown: a data set whose
        template is not known), for sequence numbers. Raises ``DecodeError`` with the offset."""
        raise NotImplementedError

    def scan(self, joined: bytes, starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> Headers:
        raise NotImplementedError

    def account(
        self, key: tuple[str, int], sequences: NDArray[np.int64], records: NDArray[np.int64],
        stats: ExporterStats,
    ) -> None:  # fmt: skip
        """Sequence numbers of one stream's datagrams in a batch, in order (records: -1 if
        unknown)."""
        raise NotImplementedError

    def parse_templates(
        self, data: bytes, off: int, end: int, options: bool, found: Learnt
    ) -> None:
        """Append what the template records in ``data[off:end]`` say to ``found``; raises
        ``DecodeError`` with the offset (after appending what came before)."""
        raise NotImplementedError

    def learn(
        self, data: bytes, off: int, end: int, options: bool, exporter: str, domain: int
    ) -> int:
        """Apply the template set ``data[off:end]``; returns how many template records it has.

        Exporters send the same template sets again and again: a set already parsed is not
        parsed again. What a malformed set says before the error still applies.
        """
        key = (options, data[off:end])
        found = self._learnt.get(key)
        if found is None:
            found = []
            try:
                self.parse_templates(data, off, end, options, found)
            finally:
                self._apply(found, exporter, domain)
            if len(self._learnt) >= _LEARNT_SETS:
                self._learnt.clear()
            self._learnt[key] = found
        else:
            self._apply(found, exporter, domain)
        return len(found)

    def _apply(self, found: Learnt, exporter: str, domain: int) -> None:
        for template_id, template in found:
            if template is not None:
                self.templates.add(exporter, domain, template)
            else:
                self.templates.withdraw(
                    exporter, domain, None if template_id < 256 else template_id
                )

    def init_ms(self, options: ExporterOptions) -> int:
        """The exporter's boot time for data records (IPFIX's systemInitTimeMilliseconds)."""
        return 0

    def decode_many(
        self, datagrams: Sequence[tuple[bytes, str]], received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        """Decode ``(payload, exporter address)`` pairs; bad datagrams are counted, not raised.

        These protocols carry their own times, so ``received_ms`` is unused; it keeps the API
        uniform with sFlow's.
        """
        return self.decode_datagrams(Datagrams.join(datagrams), received_ms)

    def decode_datagrams(
        self, batch: Datagrams, received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        """Decode a batch that lies in one buffer, read in place; as ``decode_many``."""
        stats = DecodeStats()
        names = batch.names
        counts = [stats.exporter(name) for name in names]
        index = batch.exporter.tolist()
        joined, starts, lengths = batch.buffer, batch.starts, batch.lengths
        heads = self.scan(joined, starts, lengths)
        keys = np.array(index, np.uint64) << np.uint64(48) | heads.domain << np.uint64(16)
        keys |= heads.set_id
        key_list, fast = keys.tolist(), heads.fast.tolist()
        bodies, first = heads.body.tolist(), (starts + self.data_start).tolist()
        view = memoryview(joined)
        chunks: list[NDArray[Any]] = []
        pending = PendingSets()
        records = [_MALFORMED] * len(batch)  # per datagram; -1: not known
        fast_at: list[int] = []  # the datagrams that took the fast path
        choices = [0] * len(batch)  # of each of those, its entry in ``options``
        options: list[tuple[int, int]] = []  # (boot time, sampling) as the fast path read them
        known: dict[int, tuple[int, PendingTemplate, int]] = {}  # key: record size, sets, choice
        for i, key in enumerate(key_list):
            if fast[i]:
                target = known.get(key)
                if target is None:
                    target = self._fast_target(names, key, bodies[i], pending, options)
                    if target is not None:
                        known[key] = target
                if target is not None and (n := bodies[i] // target[0]):
                    size, entry, choices[i] = target
                    at = first[i]
                    entry.parts.append(view[at : at + n * size])
                    entry.fast.append(i)
                    records[i] = n
                    fast_at.append(i)
                    continue
            datagram = (batch.payload(i), names[index[i]])
            records[i] = self._one(datagram, index[i], chunks, counts, pending)
            known.clear()  # templates and options may have changed
        n_of = np.array(records, np.int64)
        self._count(heads, keys, counts, fast_at, n_of)
        self._sequences(heads, keys, names, counts, n_of)
        table = np.empty((len(batch), 6), np.int64)
        table[:, 0] = n_of
        table[:, 1] = keys >> np.uint64(48)
        table[:, 2] = heads.export_ms
        table[:, 3] = heads.uptime_ms
        if options:
            table[:, 4:] = np.array(options, np.int64)[choices]
        rows = pending.finish(chunks, table)
        return FlowBatch(rows, names), CounterBatch(np.zeros(0, CounterBatch.dtype), names), stats

    def _one(
        self,
        datagram: tuple[bytes, str],
        index: int,
        chunks: list[NDArray[Any]],
        counts: list[ExporterStats],
        pending: PendingSets,
    ) -> int:
        """One datagram through ``decode_one``: its record count (-1: unknown), or
        ``_MALFORMED``."""
        stats = counts[index]
        mark = len(chunks)
        try:
            found = self.decode_one(datagram[0], datagram[1], index, chunks, stats, pending)
        except DecodeError as exc:
            del chunks[mark:]
            stats.malformed += 1
            stats.last_error = exc.message
            return _MALFORMED
        stats.datagrams += 1
        return -1 if found is None else found

    def _fast_target(
        self,
        names: list[str],
        key: int,
        body: int,
        pending: PendingSets,
        options: list[tuple[int, int]],
    ) -> tuple[int, PendingTemplate, int] | None:
        """For data sets of one (exporter, domain, template id): the record size, the pending
        sets of the template and the entry of ``options`` (boot time, sampling) that applies;
        None if they cannot take the fast path, or if this set (``body`` bytes) has no record.
        """
        exporter, domain = key >> 48, (key >> 16) & 0xFFFFFFFF
        found = (names[exporter], domain, key & 0xFFFF)
        if found not in self.templates.templates:
            return None
        compiled = elements.compiled_for(self.templates, found)
        dtype = compiled.dtype
        if dtype is None or compiled.template.is_options or not 0 < dtype.itemsize <= body:
            return None
        given = self.templates.options_for(names[exporter], domain)
        options.append((self.init_ms(given), given.sampling_interval))
        return dtype.itemsize, pending.entry(compiled), len(options) - 1

    @staticmethod
    def _count(
        heads: Headers,
        keys: NDArray[np.uint64],
        counts: list[ExporterStats],
        fast_at: list[int],
        records: NDArray[np.int64],
    ) -> None:
        """Datagrams, records and header count mismatches of the fast-path datagrams."""
        if not fast_at:
            return
        at = np.array(fast_at)
        n = records[at]
        exporter = (keys[at] >> np.uint64(48)).astype(np.int64)
        wrong = (heads.count[at] >= 0) & (heads.count[at] != n)
        for name, add in (("datagrams", np.ones_like(n)), ("samples", n),
                          ("count_mismatches", wrong.astype(np.int64))):  # fmt: skip
            total = np.bincount(exporter, weights=add, minlength=len(counts)).astype(np.int64)
            for e in np.flatnonzero(total).tolist():
                setattr(counts[e], name, getattr(counts[e], name) + int(total[e]))

    def _sequences(
        self,
        heads: Headers,
        keys: NDArray[np.uint64],
        names: list[str],
        counts: list[ExporterStats],
        records: NDArray[np.int64],
    ) -> None:
        """Sequence numbers of the datagrams decoded without error, per stream in order."""
        at = np.flatnonzero(records != _MALFORMED)
        if not len(at):
            return
        for stream, members in streams(keys[at] >> np.uint64(16)):
            exporter, domain = stream >> 32, stream & 0xFFFFFFFF
            where = at[members]
            self.account((names[exporter], domain), heads.sequence[where], records[where],
                         counts[exporter])  # fmt: skip
