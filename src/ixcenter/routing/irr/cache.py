"""A cache of resolved IRR data (AS-SET expansions, prefixes per origin) with expiry.

Entries live in one JSON file, ``irr-cache.json`` under the cache directory, written atomically
by ``save()``. Each entry remembers when it was stored, by the injected ``Clock``; an entry
older than ``ttl`` is a miss (and ``expire()`` drops it). A cache file that cannot be read is
logged and ignored: the cache only saves time, it is never the source of truth.

Keys include the IRR sources in their preference order, so an expansion made with
``RIPE,RADB`` is not answered for ``RADB`` alone.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ixcenter.core.clock import Clock
from ixcenter.core.prefixes import Network

logger = logging.getLogger(__name__)

FILE_NAME = "irr-cache.json"
FORMAT = 1


class IrrCache:
    def __init__(
        self, directory: str | Path, clock: Clock, *, ttl: dt.timedelta = dt.timedelta(hours=6)
    ) -> None:
        self.path = Path(directory) / FILE_NAME
        self.clock = clock
        self.ttl = ttl
        self._entries: dict[str, dict[str, Any]] = self._read()
        # prefix lists already parsed, with the stored list they came from (to notice changes)
        self._parsed: dict[str, tuple[Any, tuple[Network, ...]]] = {}

    def _read(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            entries = document["entries"] if document.get("format") == FORMAT else {}
            if not isinstance(entries, dict):
                raise TypeError("entries is not an object")
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("IRR cache %s unreadable, starting empty: %s", self.path, exc)
            return {}
        return entries

    def __len__(self) -> int:
        return len(self._entries)

    # --- generic entries ---------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            stored = dt.datetime.fromisoformat(entry["stored"])
        except (KeyError, TypeError, ValueError):
            del self._entries[key]
            return None
        if self.clock.now() - stored >= self.ttl:
            return None
        return entry.get("value")

    def _put(self, key: str, value: Any) -> None:
        self._entries[key] = {"stored": self.clock.now().isoformat(), "value": value}

    def expire(self) -> int:
        """Drop every expired entry; returns how many."""
        now = self.clock.now()
        stale = [
            key
            for key, entry in self._entries.items()
            if now - dt.datetime.fromisoformat(entry["stored"]) >= self.ttl
        ]
        for key in stale:
            del self._entries[key]
        return len(stale)

    def save(self) -> None:
        """Write the cache atomically (a crash leaves the previous file whole)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "entries": self._entries}
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{FILE_NAME}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, separators=(",", ":"), sort_keys=True)
            Path(temporary).replace(self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        logger.debug("IRR cache %s: %d entries saved", self.path, len(self._entries))

    # --- typed accessors ---------------------------------------------------------------------

    @staticmethod
    def _sources(sources: Sequence[str]) -> str:
        return ",".join(s.upper() for s in sources)

    def get_asns(self, set_name: str, sources: Sequence[str] = ()) -> frozenset[int] | None:
        value = self._get(f"asns:{self._sources(sources)}:{set_name.upper()}")
        return None if value is None else frozenset(int(asn) for asn in value)

    def put_asns(self, set_name: str, asns: Iterable[int], sources: Sequence[str] = ()) -> None:
        self._put(f"asns:{self._sources(sources)}:{set_name.upper()}", sorted(asns))

    def get_prefixes(
        self, asn: int, version: int, sources: Sequence[str] = ()
    ) -> tuple[Network, ...] | None:
        key = f"routes{version}:{self._sources(sources)}:{asn}"
        value = self._get(key)
        if value is None:
            return None
        parsed = self._parsed.get(key)
        if parsed is None or parsed[0] is not value:  # parse each stored list once
            parsed = (value, tuple(ipaddress.ip_network(p) for p in value))
            self._parsed[key] = parsed
        return parsed[1]

    def put_prefixes(
        self, asn: int, version: int, prefixes: Iterable[Network], sources: Sequence[str] = ()
    ) -> None:
        self._put(f"routes{version}:{self._sources(sources)}:{asn}", [str(p) for p in prefixes])
