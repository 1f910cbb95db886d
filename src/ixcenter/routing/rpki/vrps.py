"""Validated ROA payloads (VRPs) from the JSON that rpki-client, Routinator and OctoRPKI write,
and the canonical JSON that stayrtr serves over RTR.

Input shape (all three validators)::

    {"metadata": {...}, "roas": [{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 64500,
                                  "ta": "ripe", "expires": 1717200000}, ...]}

``asn`` is a number (rpki-client) or a string ``"AS64500"`` (Routinator, OctoRPKI); ``ta`` and
``expires`` (rpki-client, seconds since the epoch) are optional. Every broken entry is reported
with its JSON path (``$.roas[12].maxLength``) and left out; the other entries still load.

Output (``dump_vrps``) follows stayrtr's ``prefixfile.RPKIList``: ``roas`` entries with
``prefix``, ``maxLength``, ``asn`` as ``"AS64500"`` and ``ta``/``expires`` when known, plus
``metadata.buildtime`` (RFC 3339) and ``metadata.generated`` (epoch seconds): stayrtr refuses a
file whose build time is more than 24 hours old unless started with ``-checktime=false``.
stayrtr also drops VRPs with a zero prefix length, so they are reported here as problems.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ixcenter.core.asns import parse_asn
from ixcenter.core.clock import Clock
from ixcenter.core.errors import FormatError, Problem, Problems, ValidationFailed
from ixcenter.core.prefixes import Network, parse_prefix

logger = logging.getLogger(__name__)

_BITS = {4: 32, 6: 128}


@dataclass(frozen=True, slots=True)
class Vrp:
    """One VRP: ``asn`` may originate ``prefix`` and its more specifics up to ``max_length``."""

    prefix: Network
    max_length: int
    asn: int
    ta: str | None = None
    expires: int | None = None

    def sort_key(self) -> tuple[int, int, int, int, int]:
        p = self.prefix
        return p.version, int(p.network_address), p.prefixlen, self.max_length, self.asn


@dataclass(frozen=True, slots=True)
class VrpFile:
    """The VRPs of one document, its metadata as written, and what was wrong with it."""

    vrps: tuple[Vrp, ...]
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)
    problems: tuple[Problem, ...] = ()
    expired: int = 0

    def raise_if_problems(self) -> None:
        if self.problems:
            raise FormatError(self.problems)


def parse_vrps(document: object, *, now: dt.datetime | None = None) -> VrpFile:
    """VRPs of a decoded JSON document; entries expired at ``now`` are dropped and counted."""
    if not isinstance(document, dict) or not isinstance(document.get("roas"), list):
        raise FormatError([Problem("$.roas", "a VRP document needs a 'roas' list", "vrp-shape")])
    metadata = document.get("metadata")
    problems = Problems()
    if metadata is not None and not isinstance(metadata, dict):
        problems.add("$.metadata", "metadata is not an object", "vrp-shape")
        metadata = None
    cutoff = int(now.timestamp()) if now is not None else None
    vrps: list[Vrp] = []
    expired = 0
    for index, entry in enumerate(document["roas"]):
        vrp = _entry(entry, f"$.roas[{index}]", problems)
        if vrp is None:
            continue
        if cutoff is not None and vrp.expires is not None and vrp.expires < cutoff:
            expired += 1
            continue
        vrps.append(vrp)
    if problems:
        logger.warning("VRPs: %d entries refused, first: %s", len(problems), problems.items[0])
    return VrpFile(tuple(vrps), dict(metadata or {}), problems.items, expired)


def _entry(entry: object, path: str, problems: Problems) -> Vrp | None:
    if not isinstance(entry, dict):
        problems.add(path, "not an object", "vrp-shape")
        return None
    before = len(problems)
    prefix: Network | None = None
    raw_prefix = entry.get("prefix")
    if not isinstance(raw_prefix, str):
        problems.add(f"{path}.prefix", "missing or not a string", "invalid-prefix")
    else:
        try:
            prefix = parse_prefix(raw_prefix)
        except ValidationFailed as exc:
            problems.add(f"{path}.prefix", exc.problems[0].message, "invalid-prefix")
        else:
            if prefix.prefixlen == 0:
                problems.add(f"{path}.prefix", f"{prefix} has length 0", "invalid-prefix")
    max_length = entry.get("maxLength")
    if not isinstance(max_length, int) or isinstance(max_length, bool):
        problems.add(f"{path}.maxLength", "missing or not an integer", "invalid-max-length")
        max_length = None
    elif prefix is not None and not prefix.prefixlen <= max_length <= _BITS[prefix.version]:
        message = f"{max_length} outside {prefix.prefixlen}-{_BITS[prefix.version]} for {prefix}"
        problems.add(f"{path}.maxLength", message, "invalid-max-length")
    asn = _asn(entry.get("asn"), f"{path}.asn", problems)
    ta = entry.get("ta")
    if ta is not None and not isinstance(ta, str):
        problems.add(f"{path}.ta", "not a string", "vrp-shape")
    expires = entry.get("expires")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        problems.add(f"{path}.expires", "not an integer", "vrp-shape")
    if len(problems) > before or prefix is None or max_length is None or asn is None:
        return None
    return Vrp(prefix, max_length, asn, ta, expires)


def _asn(raw: object, path: str, problems: Problems) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        problems.add(path, "missing, or neither a number nor a string", "invalid-asn")
        return None
    try:
        return parse_asn(raw)
    except ValidationFailed:
        problems.add(path, f"{raw!r} is not an AS number", "invalid-asn")
        return None


def load_vrps(path: str | Path, *, now: dt.datetime | None = None) -> VrpFile:
    """Read a VRP JSON file; malformed JSON raises ``FormatError``, bad entries are collected."""
    try:
        with Path(path).open("rb") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise FormatError([Problem(str(path), f"not readable JSON: {exc}", "vrp-json")]) from None
    found = parse_vrps(document, now=now)
    logger.info("VRPs %s: %d loaded, %d expired", path, len(found.vrps), found.expired)
    return found


def dump_vrps(vrps: Iterable[Vrp], *, generated: dt.datetime) -> dict[str, Any]:
    """The canonical document stayrtr reads: sorted, duplicates (prefix, maxLength, ASN) merged."""
    unique: dict[tuple[int, int, int, int, int], Vrp] = {}
    for vrp in vrps:
        unique.setdefault(vrp.sort_key(), vrp)
    roas: list[dict[str, Any]] = []
    for key in sorted(unique):
        vrp = unique[key]
        item: dict[str, Any] = {
            "prefix": str(vrp.prefix),
            "maxLength": vrp.max_length,
            "asn": f"AS{vrp.asn}",
        }
        if vrp.ta is not None:
            item["ta"] = vrp.ta
        if vrp.expires is not None:
            item["expires"] = vrp.expires
        roas.append(item)
    at = generated.astimezone(dt.UTC).replace(microsecond=0)
    metadata = {
        "buildtime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated": int(at.timestamp()),
        "vrps": len(roas),
    }
    return {"metadata": metadata, "roas": roas}


def write_vrps(path: str | Path, vrps: Iterable[Vrp], *, clock: Clock) -> int:
    """Write the canonical JSON atomically (stayrtr never reads half a file); returns the count."""
    target = Path(path)
    document = dump_vrps(vrps, generated=clock.now())
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
            handle.write("\n")
        Path(temporary).chmod(0o644)  # stayrtr usually runs as its own user
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    count = len(document["roas"])
    logger.info("VRPs %s: %d written", target, count)
    return count
