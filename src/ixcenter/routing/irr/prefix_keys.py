"""Prefixes as plain integers: the compact form IRR data takes between the cache and the renderers.

A prefix of one address family is the key ``address << 8 | length``. Keys of one family sort as
``(int(network_address), prefixlen)`` does, hash and compare at C speed, and need no
``ipaddress`` object: 313k route objects are 313k small ints, not 313k ``IPv4Network``\\s.
``pack``/``unpack`` convert at the edges; ``encode``/``decode`` give the bytes the cache
stores (IPv4 keys as little-endian 64-bit words, IPv6 keys as 17-byte big-endian records, so
both sort as bytes the way they sort as keys).
"""

from __future__ import annotations

import array
import hashlib
import ipaddress
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from ixcenter.core.prefixes import Network

BITS = {4: 32, 6: 128}
_V6_RECORD = 17


def pack(network: Network) -> int:
    """The key of ``network``."""
    return int(network.network_address) << 8 | network.prefixlen


def unpack(key: int, version: int) -> Network:
    """The network of ``key`` (``version`` 4 or 6)."""
    if version == 4:
        return ipaddress.IPv4Network((key >> 8, key & 0xFF))
    return ipaddress.IPv6Network((key >> 8, key & 0xFF))


def encode(keys: Iterable[int], version: int) -> bytes:
    """``keys`` as bytes, in the order given."""
    if version == 4:
        words = array.array("Q", keys)
        if sys.byteorder == "big":
            words.byteswap()
        return words.tobytes()
    return b"".join(key.to_bytes(_V6_RECORD, "big") for key in keys)


def decode(data: bytes | memoryview, version: int) -> list[int]:
    """The keys ``encode`` wrote into ``data``."""
    if version == 4:
        words = array.array("Q")
        words.frombytes(data)
        if sys.byteorder == "big":
            words.byteswap()
        return words.tolist()
    view = bytes(data)
    return [
        int.from_bytes(view[i : i + _V6_RECORD], "big") for i in range(0, len(view), _V6_RECORD)
    ]


def encoded(keys: Sequence[int], version: int) -> bytes | memoryview:
    """``encode(keys, version)``, without work when ``keys`` are ``Packed`` already."""
    if isinstance(keys, Packed) and keys.version == version:
        return keys.data
    return encode(keys, version)


class Packed(Sequence[int]):
    """Sorted keys of one family as ``encode`` wrote them (a cache file's bytes), decoded on
    first use: a warm build that finds every rendered text in its cache never decodes them."""

    __slots__ = ("_keys", "data", "version")

    def __init__(self, data: bytes | memoryview, version: int) -> None:
        self.data = data
        self.version = version
        self._keys: list[int] | None = None

    def _decoded(self) -> list[int]:
        if self._keys is None:
            self._keys = decode(self.data, self.version)
        return self._keys

    def __len__(self) -> int:
        return len(self.data) // (8 if self.version == 4 else _V6_RECORD)

    def __iter__(self) -> Iterator[int]:
        return iter(self._decoded())

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        return self._decoded()[index]


def union(groups: Iterable[Sequence[int]]) -> tuple[int, ...]:
    """The sorted keys found in any of ``groups``."""
    found: set[int] = set()
    for group in groups:
        found.update(group)
    return tuple(sorted(found))


def digest(*parts: bytes | memoryview | str | int) -> str:
    """A short stable hash of ``parts`` (for caches keyed by their inputs)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, int):
            part = str(part)
        if isinstance(part, str):
            part = part.encode()
        hasher.update(len(part).to_bytes(8, "little"))
        hasher.update(part)
    return hasher.hexdigest()
