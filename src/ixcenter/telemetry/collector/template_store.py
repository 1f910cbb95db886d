"""IPFIX and NetFlow v9 templates kept in a file, so a restarted collector decodes at once.

Exporters resend templates only every few minutes (softflowd: every 16 packets; routers: often
every 5-30 minutes). A collector that forgot them at a restart would drop every data set until
then. The file holds both protocols' ``TemplateCache`` (templates per exporter, observation
domain or source id, and template id; sampling options per exporter and domain)::

    {"version": 1, "ipfix": {...}, "netflow9": {...}}

It is rewritten atomically (a temporary file in the same directory, fsync, rename) when the
caches changed, and read once at start. A file that cannot be read is moved aside (``.bad``)
and the collector starts empty rather than not at all: templates come again with the next
refresh.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ixcenter.telemetry.collector.atomic_file import write_atomically
from ixcenter.telemetry.decode.templates import TemplateCache

logger = logging.getLogger(__name__)

VERSION = 1


class TemplateStore:
    """The template file of one collector and the two caches it fills."""

    def __init__(self, path: Path | None, *, writable: bool = True) -> None:
        self.path = path
        self.writable = writable  # False: read at start, never written (dry runs)
        self.ipfix = TemplateCache()
        self.netflow9 = TemplateCache()
        self._saved = self._state()
        self.saves = 0

    def load(self) -> None:
        """Read the file if there is one (a missing file is an empty start)."""
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") != VERSION:
                raise ValueError(f"template file version {data.get('version')!r}")
            ipfix = TemplateCache.from_json(json.dumps(data.get("ipfix", {})))
            netflow9 = TemplateCache.from_json(json.dumps(data.get("netflow9", {})))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(self.path.name + ".bad")
            logger.warning("templates %s unreadable (%s): moved to %s", self.path, exc, aside)
            os.replace(self.path, aside)
            return
        _replace(self.ipfix, ipfix)
        _replace(self.netflow9, netflow9)
        self._saved = self._state()
        logger.info("templates %s: %d IPFIX, %d NetFlow v9", self.path, len(ipfix), len(netflow9))

    def changed(self) -> bool:
        return self._state() != self._saved

    def save_if_changed(self) -> bool:
        """Write the file if the caches differ from what was last written or read."""
        state = self._state()
        if state == self._saved or self.path is None or not self.writable:
            return False
        document = {
            "version": VERSION,
            "ipfix": json.loads(self.ipfix.to_json()),
            "netflow9": json.loads(self.netflow9.to_json()),
        }
        write_atomically(self.path, (json.dumps(document, separators=(",", ":")) + "\n").encode())
        self._saved = state
        self.saves += 1
        logger.info("templates %s saved (%d IPFIX, %d NetFlow v9)", self.path,
                    len(self.ipfix), len(self.netflow9))  # fmt: skip
        return True

    def _state(self) -> tuple[object, ...]:
        """A value that changes whenever what the file would hold changes (cheap to compare)."""
        return tuple(
            (
                dict(cache.templates),
                {k: (o.sampling_interval, o.system_init_ms) for k, o in cache.options.items()},
            )
            for cache in (self.ipfix, self.netflow9)
        )


def _replace(target: TemplateCache, source: TemplateCache) -> None:
    """Fill ``target`` in place: the decoders hold it already."""
    target.templates.clear()
    target.compiled.clear()
    target.options.clear()
    target.templates.update(source.templates)
    target.options.update(source.options)
