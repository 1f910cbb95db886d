"""sFlow v5 datagrams decoded in bulk into a ``FlowBatch`` and a ``CounterBatch``.

A batch is walked with numpy across all its datagrams at once (``sflow_vector``); datagrams that
walk does not take on (malformed ones above all) go through the per-datagram reference walk
(``sflow_walk``), so what is counted as malformed, and the error kept, is the reference's. The
sampled headers of the whole batch are then parsed at once (``frames.parse_headers``). Reads:
flow samples (format 1, expanded 3) with raw packet header (record 1) and extended switch (1001)
records; counter samples (2, expanded 4) with generic interface counters (record 1). Every
other sample or record format is skipped by its length.

VLAN: the 802.1Q tag of the sampled header when there is one, else the extended switch record's
incoming VLAN. Time: sFlow carries none, so rows get the caller's receive time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode import frames
from ixcenter.telemetry.decode.batch import COUNTER_DTYPE, FLOW_DTYPE, CounterBatch, FlowBatch
from ixcenter.telemetry.decode.datagrams import Datagrams
from ixcenter.telemetry.decode.sflow_vector import Buffer, Walk, walk
from ixcenter.telemetry.decode.sflow_walk import (
    COUNTER_ROW,
    ROW_DTYPE,
    counter_sample,
    walk_datagram,
)
from ixcenter.telemetry.decode.stats import DecodeStats, ExporterStats, SequenceTracker

Ints = NDArray[np.int64]
_HALF, _MOD = 1 << 31, 1 << 32


class SflowDecoder:
    """Decodes sFlow v5 datagrams in batches; keeps sequence numbers between batches.

    ``reference``: walk every datagram with the per-datagram reference walk (for tests and the
    benchmark; the results are the same, only slower).
    """

    def __init__(self, *, reference: bool = False) -> None:
        self.sequences = SequenceTracker()
        self.reference = reference

    def decode_many(
        self, datagrams: Sequence[tuple[bytes, str]], received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        """Decode ``(payload, exporter address)`` pairs; bad datagrams are counted, not raised."""
        if self.reference:
            return self._decode_each(datagrams, received_ms)
        return self.decode_datagrams(Datagrams.join(datagrams), received_ms)

    def decode_datagrams(
        self, batch: Datagrams, received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        """Decode a batch that lies in one buffer, read in place; as ``decode_many``."""
        stats = DecodeStats()
        names, exporter = batch.names, batch.exporter
        per = [stats.exporter(name) for name in names]
        buffer = Buffer(batch.buffer, batch.starts, batch.lengths)
        found = walk(buffer)
        counters = bytearray()
        counter_of = _counter_samples(found, batch, counters, received_ms)
        vector = ~found.fallback
        order = found.flow_order()
        flow_of = exporter[found.flow_datagram[order]]
        _add(per, "datagrams", np.bincount(exporter[vector], minlength=len(names)))
        _add(per, "samples", np.bincount(flow_of, minlength=len(names)))
        _add(per, "counters", np.bincount(exporter[counter_of], minlength=len(names)))
        drops = np.zeros(len(names), np.int64)
        np.add.at(drops, flow_of, found.flow_drops[order])
        _add(per, "agent_drops", drops)
        rows = bytearray()
        fallback = _Fallback(batch, per, received_ms)
        for i in np.flatnonzero(found.fallback).tolist():
            fallback.walk(i, rows, counters)
        self._sequences(found, vector, fallback, batch, per)
        columns = [flow_of, found.flow_rate[order], found.flow_input[order],
                   found.flow_output[order], found.flow_frame[order], found.flow_header[order],
                   found.flow_header_length[order], found.flow_header_protocol[order],
                   found.flow_switch_vlan[order]]  # fmt: skip
        counter_rows = np.frombuffer(bytes(counters), COUNTER_DTYPE)
        if fallback.row_of:
            raw = np.frombuffer(bytes(rows), ROW_DTYPE)
            datagram = np.concatenate([found.flow_datagram[order], fallback.row_of])
            order = np.argsort(datagram, kind="stable")
            columns = [
                np.concatenate([c, raw[n]])[order] for c, n in zip(columns, ROW_NAMES, strict=True)
            ]
        if fallback.counter_of:
            order = np.argsort(np.concatenate([counter_of, fallback.counter_of]), kind="stable")
            counter_rows = counter_rows[order]
        return (
            _flows(buffer.octets(), columns, received_ms, names),
            CounterBatch(counter_rows.copy(), names),
            stats,
        )

    def _sequences(
        self,
        found: Walk,
        vector: NDArray[np.bool_],
        fallback: _Fallback,
        batch: Datagrams,
        per: list[ExporterStats],
    ) -> None:
        """Sequence numbers of the decoded datagrams, stream by stream, in datagram order.

        A stream is (exporter, agent, sub-agent) as for ``SequenceTracker.step``; the tracker
        sees each stream's first and last datagram, the gaps between them are counted here.
        """
        ok = vector.copy()
        ok[fallback.walked] = True
        at = np.flatnonzero(ok)
        if not len(at):
            return
        exporter = batch.exporter
        keys = np.empty((len(at), 7), np.int64)
        keys[:, 0], keys[:, 1], keys[:, 6] = exporter[at], found.kind[at], found.sub_agent[at]
        keys[:, 2:6] = found.agent[at]
        new = np.zeros(len(at), np.bool_)
        new[0] = True
        if not (keys == keys[0]).all():  # more than one stream: group them, keeping the order
            order = np.lexsort((at, *keys.T))
            at, keys = at[order], keys[order]
            new[1:] = (keys[1:] != keys[:-1]).any(axis=1)
        seq = found.sequence[at]
        gap = (seq[1:] - seq[:-1] - 1) % _MOD
        gap = np.where(gap >= _HALF, gap - _MOD, gap)
        gap = np.concatenate([[0], np.where(new[1:], 0, gap)])
        starts = np.flatnonzero(new)
        lasts = np.append(starts[1:], len(at)) - 1
        ahead = np.add.reduceat(np.maximum(gap, 0), starts)
        back = np.add.reduceat((gap < 0).astype(np.int64), starts)
        scratch = ExporterStats()
        step = self.sequences.step
        view = memoryview(batch.buffer)
        for s, last, n_ahead, n_back in zip(starts.tolist(), lasts.tolist(), ahead.tolist(),
                                            back.tolist(), strict=True):  # fmt: skip
            i = int(at[s])
            head = int(batch.starts[i]) + 8
            agent = bytes(view[head : head + (4 if found.kind[i] == 1 else 16)])
            counts = per[exporter[i]]
            key = (batch.names[exporter[i]], agent, int(found.sub_agent[i]))
            step(key, int(seq[s]), counts)
            if last != s:
                step(key, int(seq[last]), scratch)
                counts.sequence_gaps += n_ahead
                counts.sequence_resets += n_back

    def _decode_each(
        self, datagrams: Sequence[tuple[bytes, str]], received_ms: int
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
        stats = DecodeStats()
        exporters: dict[str, int] = {}
        rows = bytearray()
        counters = bytearray()
        base = 0
        track = self.sequences.step
        for data, source in datagrams:
            index = exporters.setdefault(source, len(exporters))
            counts = stats.exporter(source)
            mark, cmark = len(rows), len(counters)
            try:
                agent, sub, seq, samples, drops = walk_datagram(
                    data, base, index, rows, counters, received_ms
                )
            except DecodeError as exc:
                del rows[mark:], counters[cmark:]
                counts.malformed += 1
                counts.last_error = exc.message
            else:
                counts.datagrams += 1
                counts.samples += samples
                counts.agent_drops += drops
                counts.counters += (len(counters) - cmark) // COUNTER_ROW.size
                track((source, agent, sub), seq, counts)
            base += len(data)
        joined = b"".join(d for d, _ in datagrams)
        names = list(exporters)
        counter_rows = np.frombuffer(bytes(counters), COUNTER_DTYPE).copy()
        raw = np.frombuffer(bytes(rows), ROW_DTYPE)
        buf = np.frombuffer(joined + bytes(frames.PAD), np.uint8)
        columns = [raw[name] for name in ROW_NAMES]
        return (
            _flows(buf, columns, received_ms, names),
            CounterBatch(counter_rows, names),
            stats,
        )


class _Fallback:
    """Datagrams the bulk walk left over, walked one at a time with the reference walk."""

    def __init__(self, batch: Datagrams, per: list[ExporterStats], time_ms: int) -> None:
        self.batch, self.per = batch, per
        self.time_ms = time_ms
        self.walked: list[int] = []  # decoded without error
        self.row_of: list[int] = []  # the datagram of each flow row appended
        self.counter_of: list[int] = []  # the datagram of each counter row appended

    def walk(self, i: int, rows: bytearray, counters: bytearray) -> None:
        batch = self.batch
        exporter = int(batch.exporter[i])
        counts = self.per[exporter]
        mark, cmark = len(rows), len(counters)
        try:
            _, _, _, samples, drops = walk_datagram(
                batch.payload(i), int(batch.starts[i]), exporter, rows, counters, self.time_ms
            )
        except DecodeError as exc:
            del rows[mark:], counters[cmark:]
            counts.malformed += 1
            counts.last_error = exc.message
            return
        added = (len(counters) - cmark) // COUNTER_ROW.size
        counts.datagrams += 1
        counts.samples += samples
        counts.agent_drops += drops
        counts.counters += added
        self.walked.append(i)
        self.row_of += [i] * samples
        self.counter_of += [i] * added


def _counter_samples(found: Walk, batch: Datagrams, counters: bytearray, time_ms: int) -> Ints:
    """Read the counter samples the bulk walk located, in place; returns the datagram of each
    row. A datagram whose counter sample is malformed joins ``found.fallback`` (rows taken back).
    """
    if not len(found.counter_datagram):
        return np.zeros(0, np.int64)
    view = cast(bytes, memoryview(batch.buffer))  # struct reads any buffer, in place
    base = batch.starts[found.counter_datagram]
    owner: list[int] = []
    current, mark, owned = -1, 0, 0
    for i, start, end, expanded in zip(found.counter_datagram.tolist(),
                                       (found.counter_start + base).tolist(),
                                       (found.counter_end + base).tolist(),
                                       found.counter_expanded.tolist(), strict=True):  # fmt: skip
        if i != current:
            current, mark, owned = i, len(counters), len(owner)
        elif found.fallback[i]:  # an earlier counter sample of this datagram was malformed
            continue
        before = len(counters)
        try:
            counter_sample(view, start, end, expanded, int(batch.exporter[i]), counters, time_ms)
        except DecodeError:
            del counters[mark:], owner[owned:]
            found.fallback[i] = True
            continue
        owner += [i] * ((len(counters) - before) // COUNTER_ROW.size)
    return np.array(owner, np.int64)


def _add(per: list[ExporterStats], name: str, values: NDArray[np.int64]) -> None:
    for i in np.flatnonzero(values).tolist():
        setattr(per[i], name, getattr(per[i], name) + int(values[i]))


ROW_NAMES = ROW_DTYPE.names or ()


def _flows(
    buf: NDArray[np.uint8], columns: list[NDArray[Any]], time_ms: int, names: list[str]
) -> FlowBatch:
    """Flow rows from the ``ROW_DTYPE`` columns: the sampled headers parsed, the rest copied."""
    exporter, rate, inp, outp, frame, hdr_off, hdr_len, hdr_proto, sw_vlan = columns
    out = np.zeros(len(exporter), FLOW_DTYPE)
    if not len(out):
        return FlowBatch(out, names)
    frames.parse_headers(buf, hdr_off, hdr_len, hdr_proto, out)
    vlan = out["vlan"]
    np.copyto(vlan, sw_vlan, where=vlan == 0, casting="unsafe")
    out["time_ms"] = time_ms
    out["exporter"] = exporter
    out["bytes"] = frame
    out["packets"] = 1
    out["sampling_rate"] = rate
    out["in_if"] = inp
    out["out_if"] = outp
    return FlowBatch(out, names)


def decode_many(
    datagrams: Sequence[tuple[bytes, str]], received_ms: int = 0
) -> tuple[FlowBatch, CounterBatch, DecodeStats]:
    """Decode with a fresh ``SflowDecoder`` (no sequence state from earlier batches)."""
    return SflowDecoder().decode_many(datagrams, received_ms)


def decode_datagram(
    data: bytes, exporter: str = "", received_ms: int = 0
) -> tuple[FlowBatch, CounterBatch]:
    """Decode one datagram; raises ``DecodeError`` (with the offset) if it is malformed."""
    rows, counters = bytearray(), bytearray()
    walk_datagram(data, 0, 0, rows, counters, received_ms)
    counter_rows = np.frombuffer(bytes(counters), COUNTER_DTYPE).copy()
    raw = np.frombuffer(bytes(rows), ROW_DTYPE)
    buf = np.frombuffer(data + bytes(frames.PAD), np.uint8)
    names = [exporter]
    return _flows(buf, [raw[n] for n in ROW_NAMES], received_ms, names), CounterBatch(
        counter_rows, names
    )
