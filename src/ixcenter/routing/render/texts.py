"""Rendered set bodies kept between builds: ``TextCache``.

Most of a large route-server config is the members' IRR prefix sets (313k entries for 1,000
members), and most of them do not change from one build to the next. The renderers ask
``TextCache.text(key, render)`` for each such body, with ``key`` made of what the text depends
on and nothing else: the renderer and its output format version, the family, and the digest of
the ``PrefixRules`` (their keys and longest length). A body is rendered only when its key is
new; a cache from another IRR state or other settings simply misses.

The renderers do no I/O: the caller ``read``\\s the cache before rendering and ``write``\\s it
after (``routing.route_servers.build``). A build that rendered nothing new writes nothing;
one that did keeps the bodies it used and drops those the last ``KEEP`` writes did not use (a
build of one exchange or one daemon does not throw the others' sets away), so the file holds
what recent builds needed and does not grow. Format (little-endian): the magic line
``IXC-TEXT-CACHE 2``; the counts of entries, bytes of keys and bytes of texts (64-bit); the keys
joined by newlines; one 64-bit end offset per entry; one byte per entry counting the writes in
a row that did not use it; the UTF-8 texts back to back.
"""

from __future__ import annotations

import array
import logging
import os
import struct
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

logger = logging.getLogger(__name__)

FILE_NAME = "render-cache.bin"
MAGIC = b"IXC-TEXT-CACHE 2\n"
KEEP = 3  # an unused text is dropped by the KEEP-th write in a row that did not use it
_COUNTS = struct.Struct("<QQQ")


class TextCache:
    def __init__(self) -> None:
        # texts in the file read: (start, end) there, read when asked for (never all at once)
        self._stored: dict[str, tuple[int, int]] = {}
        self._file: BinaryIO | None = None
        self._unused: dict[str, int] = {}  # writes each stored text went unused
        self._texts: dict[str, str] = {}  # used (or made) since read
        self._new = False

    def __len__(self) -> int:
        return len(self._stored.keys() | self._texts.keys())

    def _stored_text(self, key: str) -> str | None:
        where = self._stored.get(key)
        if where is None or self._file is None:
            return None
        return str(os.pread(self._file.fileno(), where[1] - where[0], where[0]), "utf-8")

    def text(self, key: str, render: Callable[[], str]) -> str:
        """The text stored under ``key``, rendered (and stored) on a miss."""
        found = self._texts.get(key)
        if found is not None:
            return found
        found = self._stored_text(key)
        if found is None:
            found = render()
            self._new = True
        self._texts[key] = found
        return found

    @classmethod
    def read(cls, path: Path) -> TextCache:
        """The cache in ``path`` (empty when missing or unreadable: it only saves time)."""
        cache = cls()
        if not path.exists():
            return cache
        handle = path.open("rb")  # kept open: a text is read when it is asked for
        try:
            head = handle.read(len(MAGIC) + _COUNTS.size)
            if head[: len(MAGIC)] != MAGIC:
                raise ValueError("not an ixcenter text cache of this format")
            count, key_bytes, text_bytes = _COUNTS.unpack_from(head, len(MAGIC))
            index = handle.read(key_bytes + 9 * count)
            keys = str(index[:key_bytes], "utf-8").split("\n") if count else []
            ends = array.array("Q")
            ends.frombytes(index[key_bytes : key_bytes + 8 * count])
            if sys.byteorder == "big":
                ends.byteswap()
            unused = index[key_bytes + 8 * count :]
            base = len(head) + len(index)
            if (
                len(keys) != count
                or len(unused) != count
                or os.fstat(handle.fileno()).st_size != base + text_bytes
                or (count and ends[-1] > text_bytes)
            ):
                raise ValueError("truncated")
        except (OSError, ValueError, struct.error) as exc:
            handle.close()
            logger.warning("text cache %s unreadable, starting empty: %s", path, exc)
            return cache
        cache._file = handle
        weakref.finalize(cache, handle.close)
        start = 0
        for key, end, idle in zip(keys, ends, unused, strict=True):
            cache._stored[key] = (base + start, base + end)
            cache._unused[key] = idle
            start = end
        return cache

    def write(self, path: Path) -> None:
        """Keep the texts used since ``read`` (and the recently used ones) in ``path``,
        atomically; nothing is written when no text had to be rendered."""
        if not self._new:
            return  # nothing rendered: the file holds every text used (and some more)
        kept = {
            key: self._unused[key] + 1
            for key in self._stored.keys() - self._texts.keys()
            if self._unused[key] + 1 < KEEP
        }
        kept.update(dict.fromkeys(self._texts, 0))
        keys = sorted(kept)
        blobs = [
            (self._texts[key] if key in self._texts else self._stored_text(key) or "").encode()
            for key in keys
        ]
        ends = array.array("Q")
        end = 0
        for blob in blobs:
            end += len(blob)
            ends.append(end)
        if sys.byteorder == "big":
            ends.byteswap()
        key_text = "\n".join(keys).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(MAGIC + _COUNTS.pack(len(keys), len(key_text), end))
                handle.write(key_text)
                handle.write(ends.tobytes())
                handle.write(bytes(kept[key] for key in keys))
                handle.writelines(blobs)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        logger.debug("text cache %s: %d texts saved", path, len(keys))


def write_text(handle: TextIO, text: str | Iterable[str], chunk: int = 1 << 20) -> None:
    """Write ``text`` (or its pieces, ``bird_chunks``) about a megabyte at a time: a 10 MB
    config is never copied whole (an encoded copy, or pieces joined)."""
    if isinstance(text, str):
        for start in range(0, len(text), chunk):
            handle.write(text[start : start + chunk])
        return
    pending: list[str] = []
    size = 0
    for piece in text:
        pending.append(piece)
        size += len(piece)
        if size >= chunk:
            handle.write("".join(pending))
            pending, size = [], 0
    handle.write("".join(pending))
