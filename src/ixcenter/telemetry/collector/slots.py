"""Datagrams received straight into fixed-size slots of one buffer, many per system call.

A ``DatagramSlots`` is where the collector gathers one protocol's datagrams until they are
decoded: ``capacity`` slots of ``slot_size`` bytes in one preallocated numpy buffer, the sender's
``sockaddr`` of each slot beside it. On Linux, ``receive`` fills the next free slots with one
``recvmmsg(2)`` (through ctypes) of up to ``limit`` datagrams; the kernel writes each datagram's
length, flags and address into an ``mmsghdr`` array that numpy reads as columns. Elsewhere it
falls back to one ``recvmsg_into`` per datagram, into the same slots. ``datagrams`` hands the
decoders the whole batch as ``decode.datagrams.Datagrams`` (the buffer read in place, slots start
at multiples of 4): no Python object per datagram, and one string per distinct exporter.

A datagram longer than a slot is cut by the kernel and flagged ``MSG_TRUNC``; it is never
decoded, and counted as malformed for its exporter (``rejected``). Exporters are told apart by
address (and IPv6 scope), not port, as the ``recvfrom`` loop did: IPv4 senders on a dual-stack
socket (``::ffff:a.b.c.d``) are reported as ``a.b.c.d``.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.telemetry.decode.datagrams import Datagrams
from ixcenter.telemetry.decode.frames import PAD
from ixcenter.telemetry.decode.stats import DecodeStats

logger = logging.getLogger(__name__)

Ints = NDArray[np.int64]
MSG_TRUNC = 0x20
_MSG_DONTWAIT = 0x40
_NAME = 28  # sizeof(struct sockaddr_in6), the larger of the two
_MAPPED = (0xFFFF << 32, 0xFFFFFFFF)
_NAMES_KEPT = 65536  # exporter names remembered (forgotten all at once when full)


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]  # fmt: skip


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", _Msghdr), ("len", ctypes.c_uint)]


RecvMmsg = Callable[[int, int, int, int, None], int]


def _libc_recvmmsg() -> RecvMmsg | None:
    """libc's ``recvmmsg``, or None where there is none (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).recvmmsg
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                         ctypes.c_void_p]  # fmt: skip
    function.restype = ctypes.c_int
    found: RecvMmsg = function
    return found


RECVMMSG = _libc_recvmmsg()


class DatagramSlots:
    """Up to ``capacity`` datagrams of up to ``slot_size`` bytes, received in place."""

    def __init__(self, capacity: int, slot_size: int = 9216, *, mmsg: bool = True) -> None:
        if capacity < 1 or slot_size < 4:
            raise ValueError("capacity must be positive and slots at least 4 bytes")
        self.capacity = capacity
        self.slot_size = slot_size = -(-slot_size // 4) * 4  # slots start 4-aligned
        self.count = 0  # slots filled
        self.buffer = np.zeros(capacity * slot_size + PAD, np.uint8)  # slot i at i * slot_size
        self.addresses = np.zeros((capacity, _NAME), np.uint8)  # each sender's sockaddr
        self._headers = np.zeros(capacity * ctypes.sizeof(_Mmsghdr), np.uint8)  # mmsghdr array
        self.lengths = self._column(_Mmsghdr.len.offset, np.uint32)  # bytes received
        self.flags = self._column(_Mmsghdr.hdr.offset + _Msghdr.flags.offset, np.int32)
        self._namelen = self._column(_Mmsghdr.hdr.offset + _Msghdr.namelen.offset, np.uint32)
        self._recvmmsg = RECVMMSG if mmsg else None
        if self._recvmmsg is not None:
            iovs = (_Iovec * capacity)()
            messages = (_Mmsghdr * capacity).from_buffer(self._headers.data)
            base, names = self.buffer.ctypes.data, self.addresses.ctypes.data
            for i in range(capacity):
                iovs[i].base, iovs[i].len = base + i * slot_size, slot_size
                hdr = messages[i].hdr
                hdr.name, hdr.iov, hdr.iovlen = names + i * _NAME, ctypes.addressof(iovs[i]), 1
            self._iovs = iovs  # the kernel reads through them: they live as long as we do
        self._hosts: dict[tuple[int, int, int], str] = {}

    def _column(self, offset: int, dtype: type[Any]) -> NDArray[Any]:
        """One field of every ``mmsghdr``, as a strided numpy view."""
        return np.ndarray((self.capacity,), dtype, self._headers, offset,
                          (ctypes.sizeof(_Mmsghdr),))  # fmt: skip

    def receive(self, sock: socket.socket, limit: int) -> int:
        """Receive up to ``limit`` datagrams (fewer if fewer wait or fit) into the free slots;
        returns how many. Raises ``OSError`` for errors other than "nothing waits"."""
        n = min(limit, self.capacity - self.count)
        if n <= 0:
            return 0
        if self._recvmmsg is None:
            return self._receive_each(sock, n)
        at = self.count
        self._namelen[at : at + n] = _NAME
        address = self._headers.ctypes.data + at * ctypes.sizeof(_Mmsghdr)
        got = self._recvmmsg(sock.fileno(), address, n, _MSG_DONTWAIT, None)
        if got < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return 0
            raise OSError(code, os.strerror(code))
        self.count += got
        return got

    def _receive_each(self, sock: socket.socket, n: int) -> int:
        """The portable way: one ``recvmsg_into`` per datagram, into the same slots."""
        size = self.slot_size
        view = self.buffer.data
        got = 0
        for i in range(self.count, self.count + n):
            try:
                length, _, flags, address = sock.recvmsg_into([view[i * size : (i + 1) * size]])
            except BlockingIOError:
                break
            self.lengths[i], self.flags[i] = length, flags
            self.addresses[i] = np.frombuffer(_sockaddr(address), np.uint8)
            got += 1
        self.count += got
        return got

    def clear(self) -> None:
        """Forget the datagrams (after they were decoded): every slot is free again."""
        self.count = 0

    def datagrams(self) -> tuple[Datagrams, DecodeStats]:
        """The datagrams received, and the counts of those rejected (truncated) per exporter.

        The batch reads this buffer in place: decode it before ``clear`` and ``receive``.
        """
        n = self.count
        hi, lo, scope = self._addresses(n)
        exporter, first = _first_seen([hi, lo, scope])
        hosts = [self._host(int(hi[i]), int(lo[i]), int(scope[i])) for i in first.tolist()]
        lengths = self.lengths[:n].astype(np.int64)
        starts = np.arange(n, dtype=np.int64) * self.slot_size
        rejected = DecodeStats()
        cut = (self.flags[:n] & MSG_TRUNC) != 0
        if cut.any():
            for i in np.flatnonzero(cut).tolist():
                counts = rejected.exporter(hosts[exporter[i]])
                counts.malformed += 1
                counts.last_error = f"datagram longer than {self.slot_size} bytes, cut short"
            keep = np.flatnonzero(~cut)
            kept = exporter[keep]
            exporter, first = _first_seen([kept])
            hosts = [hosts[i] for i in kept[first].tolist()]
            starts, lengths = starts[keep], lengths[keep]
        return Datagrams(self.buffer, starts, lengths, exporter, hosts), rejected

    def _addresses(self, n: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64], Ints]:
        """Each datagram's sender as (high, low) 64 bits of its IPv6 address (IPv4 mapped to
        ``::ffff:a.b.c.d``) and its scope id."""
        names = self.addresses[:n]
        family = np.ascontiguousarray(names[:, :2]).view(np.uint16)[:, 0]
        v6 = np.ascontiguousarray(names[:, 8:24]).view(">u8").astype(np.uint64)
        scope = np.ascontiguousarray(names[:, 24:28]).view(np.uint32)[:, 0].astype(np.int64)
        hi, lo = v6[:, 0].copy(), v6[:, 1].copy()
        v4 = family == socket.AF_INET
        if v4.any():
            addr4 = np.ascontiguousarray(names[v4, 4:8]).view(">u4")[:, 0].astype(np.uint64)
            hi[v4], lo[v4], scope[v4] = 0, np.uint64(_MAPPED[0]) | addr4, 0
        return hi, lo, scope

    def _host(self, hi: int, lo: int, scope: int) -> str:
        """The exporter address as the ``recvfrom`` loop reported it."""
        key = (hi, lo, scope)
        found = self._hosts.get(key)
        if found is None:
            if hi == 0 and lo & ~_MAPPED[1] == _MAPPED[0]:
                found = socket.inet_ntoa(struct.pack(">I", lo & _MAPPED[1]))
            else:
                text = socket.inet_ntop(socket.AF_INET6, struct.pack(">QQ", hi, lo))
                if scope:
                    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
                    text = socket.getnameinfo((text, 0, 0, scope), flags)[0]
                found = text
            if len(self._hosts) >= _NAMES_KEPT:
                self._hosts.clear()
            self._hosts[key] = found
        return found


def _first_seen(columns: list[Any]) -> tuple[Ints, Ints]:
    """Group rows by equal keys (``columns``: one array per key part): each row's group,
    numbered in order of first appearance, and the first row of each group."""
    n = len(columns[0])
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if all((c == c[0]).all() for c in columns):
        return np.zeros(n, np.int64), np.zeros(1, np.int64)
    order = np.lexsort((np.arange(n), *reversed(columns)))  # by key, then by row
    new = np.ones(n, np.bool_)
    new[1:] = np.any([c[order][1:] != c[order][:-1] for c in columns], axis=0)
    group = np.cumsum(new) - 1
    first = order[new]
    rank = np.empty(len(first), np.int64)
    by_appearance = np.argsort(first)
    rank[by_appearance] = np.arange(len(first))
    out = np.empty(n, np.int64)
    out[order] = rank[group]
    return out, first[by_appearance]


def _sockaddr(address: Any) -> bytes:
    """``recvmsg_into``'s address as the kernel's ``sockaddr_in`` / ``sockaddr_in6`` bytes."""
    if len(address) == 2:
        packed = socket.inet_pton(socket.AF_INET, address[0])
        return struct.pack("=HH4s", socket.AF_INET, 0, packed).ljust(_NAME, b"\0")
    host = str(address[0]).split("%", 1)[0]
    packed = socket.inet_pton(socket.AF_INET6, host)
    return struct.pack("=HHI16sI", socket.AF_INET6, 0, 0, packed, address[3])
