"""A batch of datagrams in one buffer: what the bulk decoders read, without a Python object each.

``Datagrams`` is the decoders' common input: one buffer holding every datagram of a batch, each
starting at a multiple of 4 bytes (``starts``, ``lengths``), the exporter of each datagram as an
index into ``names``, and ``names`` in the order the exporters first appear in the batch. The
collector receives straight into such a buffer (``collector.slots``: fixed-size slots, whatever
lies between two datagrams is never read as data); ``Datagrams.join`` builds one from
``(payload, exporter address)`` pairs, as the decoders' list API (``decode_many``) is given.

The buffer must hold ``PAD`` readable bytes after the end of every datagram (the decoders read
headers in fixed-size windows and check the lengths afterwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.frames import PAD

Ints = NDArray[np.int64]
_ZEROS = (b"", b"\0", b"\0\0", b"\0\0\0")


@dataclass(frozen=True, slots=True)
class Datagrams:
    """Datagram ``i`` is ``buffer[starts[i] : starts[i] + lengths[i]]``, from
    ``names[exporter[i]]``."""

    buffer: Any  # bytes or a uint8 numpy array: anything with the buffer protocol
    starts: Ints  # multiples of 4
    lengths: Ints
    exporter: Ints
    names: list[str]  # in order of first appearance

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def join(cls, datagrams: Sequence[tuple[bytes, str]]) -> Datagrams:
        """One buffer from ``(payload, exporter address)`` pairs (payloads padded to 4 bytes)."""
        payloads = [d for d, _ in datagrams]
        sources = [s for _, s in datagrams]
        names = list(dict.fromkeys(sources))
        if len(names) == 1:
            exporter = np.zeros(len(sources), np.int64)
        else:
            index = {name: i for i, name in enumerate(names)}
            exporter = np.fromiter(map(index.__getitem__, sources), np.int64, len(sources))
        data, starts, lengths = join_payloads(payloads)
        return cls(data, starts, lengths, exporter, names)

    def payload(self, i: int) -> bytes:
        """Datagram ``i`` as ``bytes`` (a copy: for the per-datagram paths only)."""
        start = int(self.starts[i])
        return bytes(memoryview(self.buffer)[start : start + int(self.lengths[i])])

    def octets(self) -> NDArray[np.uint8]:
        return np.frombuffer(self.buffer, np.uint8)


def join_payloads(payloads: list[bytes]) -> tuple[bytes, Ints, Ints]:
    """The payloads back to back, each padded to 4 bytes, then ``PAD`` zero bytes; with the
    start and length of each."""
    lengths = np.fromiter(map(len, payloads), np.int64, len(payloads))
    pads = -lengths & 3
    if pads.any():
        parts: list[bytes] = []
        for data, pad in zip(payloads, pads.tolist(), strict=True):
            parts += (data, _ZEROS[pad])
        parts.append(bytes(PAD))
    else:
        parts = [*payloads, bytes(PAD)]
    starts = np.zeros(len(payloads), np.int64)
    np.cumsum((lengths + pads)[:-1], out=starts[1:])
    return b"".join(parts), starts, lengths
