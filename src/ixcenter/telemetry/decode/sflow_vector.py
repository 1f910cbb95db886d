"""sFlow v5 datagrams walked all at once: samples and records of a whole batch as numpy arrays.

The datagrams lie in one buffer (joined, or as the collector received them into its slots),
each starting at a multiple of 4 bytes. Every sFlow field is a 4-byte XDR word at a 4-aligned
offset from its datagram's start, so one big-endian ``uint32`` view of the buffer reads any
field by word index. The walk keeps one cursor per datagram and steps all datagrams through
their first sample, then their second, and so on (a batch's datagrams hold a handful of
samples each); then it steps all flow samples through their records the same way. No Python
object is made per sample.

What this walk does not take on, it leaves to the per-datagram reference walk in ``sflow.py``
by marking the datagram in ``Walk.fallback``: anything malformed (so the reference raises the
same ``DecodeError`` with the same message), lengths that are not multiples of 4, and unusually
many samples or records. Counter samples are located here and read by ``sflow.py``, one Python
call per counter sample: they are rare next to flow samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.datagrams import join_payloads
from ixcenter.telemetry.decode.frames import windows

Ints = NDArray[np.int64]

MAX_SAMPLES = 64  # more samples than this in one datagram: the reference walk reads it
MAX_RECORDS = 32  # more records than this in one flow sample: likewise
_IFINDEX = 0x3FFFFFFF


@dataclass(frozen=True, slots=True)
class Buffer:
    """The batch's datagrams in one buffer: ``starts`` (bytes, 4-aligned) and ``lengths``."""

    data: Any  # bytes or a uint8 array: the datagrams, then ``PAD`` readable bytes past each
    starts: Ints
    lengths: Ints

    @classmethod
    def join(cls, datagrams: list[bytes]) -> Buffer:
        return cls(*join_payloads(datagrams))

    def words(self) -> NDArray[Any]:
        return np.frombuffer(self.data, ">u4")

    def octets(self) -> NDArray[np.uint8]:
        return np.frombuffer(self.data, np.uint8)


@dataclass(frozen=True, slots=True)
class Walk:
    """What the walk found. Per datagram: ``fallback`` and the header fields (valid where the
    datagram decodes at all). Per flow sample: the ``flow_*`` columns, in no particular order
    and also for datagrams in ``fallback`` (``flow_order`` picks and orders the rest). Per
    counter sample of a datagram not in ``fallback``, in datagram order: where its body lies."""

    fallback: NDArray[np.bool_]
    kind: Ints  # agent address type: 1 IPv4, 2 IPv6
    agent: Ints  # (datagrams, 4) words of the agent address (IPv4: the first)
    sub_agent: Ints
    sequence: Ints
    flow_datagram: Ints
    flow_rate: Ints
    flow_drops: Ints
    flow_input: Ints
    flow_output: Ints
    flow_frame: Ints
    flow_header: Ints  # byte offset of the sampled header in the buffer (0 if none)
    flow_header_length: Ints
    flow_header_protocol: Ints
    flow_switch_vlan: Ints
    counter_datagram: Ints
    counter_start: Ints  # byte offsets inside the datagram: the body after format and length
    counter_end: Ints
    counter_expanded: NDArray[np.bool_]

    def flow_order(self) -> Ints:
        """Indexes of the flow samples of datagrams not in ``fallback``, in datagram order."""
        dg = self.flow_datagram
        keep = np.flatnonzero(~self.fallback[dg])
        order: Ints = keep[np.argsort(dg[keep], kind="stable")]
        return order


def _block(words: NDArray[Any], at: Ints, width: int) -> Ints:
    """The ``width`` words from each of ``at``, as a (width, n) array of int64: row ``k``
    holds word ``k`` of every block (contiguous, for fast column arithmetic)."""
    out: Ints = np.array(windows(words, width)[at].T, np.int64, order="C")
    return out


def walk(buffer: Buffer) -> Walk:
    """Walk every datagram of ``buffer``; see the module docstring for what is left over."""
    w = buffer.words()
    first = buffer.starts >> 2
    end = first + (buffer.lengths >> 2)
    head = _block(w, first, 10)  # version, address type, agent, sub-agent, sequence, _, count
    version, kind = head[0], head[1]
    v4 = kind == 1
    sub = np.where(v4, head[3], head[6])
    seq = np.where(v4, head[4], head[7])
    count = np.where(v4, head[6], head[9])
    agent = head[2:6].T.copy()
    agent[v4, 1:] = 0
    cursor = first + np.where(v4, 7, 10)
    fallback = ~(
        (buffer.lengths & 3 == 0)
        & (version == 5)
        & (v4 | (kind == 2))
        & (cursor <= end)
        & (count <= MAX_SAMPLES)
        & (2 * count <= end - cursor)
    )
    flows, (cd, body, after, expanded) = _samples(w, cursor, end, count, fallback)
    dg, rate, drops, inp, out, frame, header, size, proto, vlan = _records(w, flows, fallback)
    held = ~fallback[cd]
    cd, base = cd[held], buffer.starts[cd[held]]
    return Walk(fallback, kind, agent, sub, seq, dg, rate, drops, inp, out, frame, header, size,
                proto, vlan, cd, body[held] * 4 - base, after[held] * 4 - base,
                expanded[held])  # fmt: skip


def _steps(
    w: NDArray[Any], cursor: Ints, stop: Ints, count: Ints, width: int
) -> tuple[Ints, Ints, NDArray[np.bool_], NDArray[np.bool_]]:
    """Follow chains of XDR items (format, length, body) from each cursor, up to ``count``
    items each, reading the first ``width`` words of every item.

    Returns, for the K steps over n chains, item by item in step order (index ``k * n + i``):
    the words (K * n, width), the item starts, ``present`` (the item exists: ``k < count``
    and every item before it ended by ``stop``) and ``fits`` (it ends by ``stop``). A cursor
    whose item does not fit stays where it is, so every read stays inside the buffer.
    """
    blocks, starts, fitting = [], [], []
    cur = cursor
    for _ in range(int(count.max(initial=0))):
        block = windows(w, width)[cur]
        after = cur + 2 + (block[:, 1].astype(np.int64) >> 2)
        fits = after <= stop
        blocks.append(block)
        starts.append(cur)
        fitting.append(fits)
        cur = np.where(fits, after, cur)
    if not blocks:
        none = np.zeros(0, np.bool_)
        return np.zeros((0, width), np.int64), np.zeros(0, np.int64), none, none
    words = np.concatenate(blocks).astype(np.int64)
    fits = np.concatenate(fitting)
    present = np.concatenate([count > k for k in range(len(blocks))])
    n = len(cursor)
    for k in range(1, len(blocks)):  # an item is there only if every item before it fit
        present[k * n : (k + 1) * n] &= present[(k - 1) * n : k * n] & fits[(k - 1) * n : k * n]
    return words, np.concatenate(starts), present, fits


def _samples(
    w: NDArray[Any], cursor: Ints, end: Ints, count: Ints, fallback: NDArray[np.bool_]
) -> tuple[list[Ints], tuple[Ints, Ints, Ints, NDArray[np.bool_]]]:
    """Step through the samples: the flow samples' header fields, where the counter samples lie.

    Marks in ``fallback`` the datagrams whose samples do not add up.
    """
    sample, at, taken, fits = _steps(w, cursor, end, np.where(fallback, 0, count), 13)
    owner = (np.arange(len(at)) % max(len(cursor), 1))[taken]
    sample, at = sample[taken], at[taken]
    fmt, length = sample[:, 0], sample[:, 1]
    body = at + 2
    after = body + (length >> 2)
    x = fmt == 3
    flow = (fmt == 1) | x
    fine = fits[taken] & (length & 3 == 0) & (~flow | (length >= np.where(x, 44, 32)))
    fallback[owner[~fine]] = True
    take = np.flatnonzero(flow & fine)
    columns = [
        owner,
        np.where(x, sample[:, 5], sample[:, 4]),  # sampling rate
        np.where(x, sample[:, 7], sample[:, 6]),  # drops
        np.where(x, sample[:, 9], sample[:, 7]) & _IFINDEX,  # input
        np.where(x, sample[:, 11], sample[:, 8]) & _IFINDEX,  # output
        np.where(x, sample[:, 12], sample[:, 9]),  # number of records
        body + np.where(x, 11, 8),  # first record
        after,
    ]
    flows = columns if len(take) == len(owner) else [c[take] for c in columns]
    cnt = np.flatnonzero(((fmt == 2) | (fmt == 4)) & fine)
    cnt = cnt[np.argsort(owner[cnt], kind="stable")]
    return flows, (owner[cnt], body[cnt], after[cnt], fmt[cnt] == 4)


def _records(w: NDArray[Any], flows: list[Ints], fallback: NDArray[np.bool_]) -> list[Ints]:
    """Step all flow samples through their records: the first raw packet header, the last
    extended switch record. Returns the flow columns (``Walk.flow_*`` order, unsorted)."""
    dg, rate, drops, inp, out, nrec, rec, stop = flows
    n = len(dg)
    room = (nrec <= MAX_RECORDS) & (2 * nrec <= stop - rec)
    record, at, present, fits = _steps(w, rec, stop, np.where(room, nrec, 0), 6)
    fmt, length = record[:, 0], record[:, 1]  # then the raw header's protocol, frame, _, size
    raw, switch = fmt == 1, fmt == 1001
    fine = (
        fits
        & (length & 3 == 0)
        & (~(raw | switch) | (length >= 16))
        & (~raw | (record[:, 5] <= length - 16))
    )
    steps = len(at) // n if n else 0
    bad = ~room
    if not steps:
        fallback[dg[bad]] = True
        frame = header = size = proto = vlan = np.zeros(n, np.int64)
        return [dg, rate, drops, inp, out, frame, header, size, proto, vlan]
    bad |= (present & ~fine).reshape(steps, n).any(axis=0)
    fallback[dg[bad]] = True
    valid = (present & fine).reshape(steps, n)
    first = valid & raw.reshape(steps, n)
    last = valid & switch.reshape(steps, n)
    raw_at = switch_at = np.full(n, -1)
    for k in range(steps):
        raw_at = np.where(first[steps - 1 - k], steps - 1 - k, raw_at)  # the first one counts
        switch_at = np.where(last[k], k, switch_at)  # the last one counts
    pick = np.maximum(raw_at, 0) * n + np.arange(n)
    has = raw_at >= 0
    header = np.where(has, (at[pick] + 6) * 4, 0)
    proto, frame, size = (np.where(has, record[pick, i], 0) for i in (2, 3, 5))
    pick = np.maximum(switch_at, 0) * n + np.arange(n)
    vlan = np.where(switch_at >= 0, record[pick, 2] & 0xFFF, 0)
    return [dg, rate, drops, inp, out, frame, header, size, proto, vlan]
