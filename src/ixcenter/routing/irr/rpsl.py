"""RPSL objects from IRR dump files (RFC 2622; ``route6`` from RFC 4012), streamed.

The syntax read here is what IRRd, RIPE and RADB publish:

* objects are separated by blank lines (a line of only whitespace counts as blank);
* an attribute line is ``name: value``; names are case-insensitive;
* a line starting with a space, a tab or ``+`` continues the previous attribute (``+`` stands for
  an empty line inside the value);
* ``#`` starts a comment that runs to the end of the line, in values and continuation lines;
  lines starting with ``%`` or ``#`` are comments as a whole (dump headers);
* ``members`` (and ``mbrs-by-ref``) may repeat and each value is a comma-separated list.

Only ``route``, ``route6``, ``as-set`` and ``aut-num`` are kept; every other class is skipped
without parsing its attributes. ``mbrs-by-ref`` is kept on ``AsSet`` but the resolver does not
use it: members added by reference (``member-of`` on aut-num objects, guarded by maintainers)
need the mntner graph, which dumps do not carry reliably; route servers use explicit ``members``,
as bgpq4 and IRRd's ``!i`` do.

A malformed object is skipped and reported as a ``Problem`` whose field is ``<where>:<line>``;
the rest of the dump still loads.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import Problems, ValidationFailed
from ixcenter.core.prefixes import Network

logger = logging.getLogger(__name__)

_ATTRIBUTE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*):(.*)$")
_ASN = re.compile(r"^AS(\d+(?:\.\d+)?)$")
_SET_COMPONENT = re.compile(r"^(AS|RS|FLTR|RTRS|PRNG)-[A-Z0-9_-]+$")
_WANTED = frozenset({"route", "route6", "as-set", "aut-num"})


@dataclass(frozen=True, slots=True)
class Route:
    """A ``route`` (IPv4) or ``route6`` (IPv6) object: ``prefix`` originated by ``origin``."""

    prefix: Network
    origin: int
    source: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class AsSet:
    """An ``as-set``: upper-case ``name`` and normalised ``members`` (``AS64500`` or set names)."""

    name: str
    members: tuple[str, ...]
    source: str
    mbrs_by_ref: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class AutNum:
    asn: int
    source: str
    line: int = 0


RpslObject: TypeAlias = Route | AsSet | AutNum


def set_kind(name: str) -> str | None:
    """``"as-set"``, ``"route-set"`` (or another set class) for a set name, ``None`` otherwise.

    Hierarchical names (``AS64500:AS-CUSTOMERS``) are split on ``:``; every component is an ASN or
    a set name, and the last set component gives the class (RFC 2622 5).
    """
    kind: str | None = None
    for component in name.upper().split(":"):
        if _ASN.match(component):
            continue
        match = _SET_COMPONENT.match(component)
        if not match:
            return None
        kind = {
            "AS": "as-set",
            "RS": "route-set",
            "FLTR": "filter-set",
            "RTRS": "rtr-set",
            "PRNG": "peering-set",
        }[match.group(1)]
    return kind


def normalise_member(text: str) -> str | None:
    """``AS64500`` for an ASN (asplain or asdot), the upper-case name for a set; else ``None``."""
    upper = text.strip().upper()
    if _ASN.match(upper):
        try:
            return f"AS{parse_asn(upper)}"
        except ValidationFailed:
            return None
    if upper == "AS-ANY" or set_kind(upper) is not None:
        return upper
    return None


class RpslReader:
    """Parses RPSL text into objects, collecting problems; one reader per dump file."""

    def __init__(
        self,
        *,
        where: str = "<input>",
        default_source: str | None = None,
        max_problems: int = 10_000,
    ) -> None:
        self.where = where
        self.default_source = default_source.upper() if default_source else None
        self.max_problems = max_problems
        self.problems = Problems()
        self.counts: Counter[str] = Counter()
        self._dropped = 0

    @property
    def dropped_problems(self) -> int:
        """Problems found past ``max_problems``: counted, not kept."""
        return self._dropped

    def read(self, path: str | Path) -> Iterator[RpslObject]:
        """Objects of a dump file, plain or gzip-compressed (detected by its magic bytes)."""
        path = Path(path)
        with path.open("rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        with (
            opener(path, "rb") as binary,
            io.TextIOWrapper(binary, encoding="utf-8", errors="replace") as text,
        ):
            yield from self.parse(text)

    def parse(self, lines: Iterable[str]) -> Iterator[RpslObject]:
        """Objects of RPSL text given as lines (a file object is read lazily)."""
        names: list[str] = []
        values: list[str] = []
        skipping = False
        start = 0
        lineno = 0
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if names:
                    found = self._build(names, values, start)
                    if found is not None:
                        yield found
                    names, values = [], []
                elif skipping:
                    self.counts["skipped"] += 1
                skipping = False
                continue
            first = line[0]
            if first in "%#" or skipping:
                continue
            if first in " \t+":
                if not names:
                    self._bad(lineno, "continuation line outside an attribute", "rpsl-syntax")
                    skipping = True
                    continue
                values[-1] = f"{values[-1]} {_strip_comment(line[1:])}"
                continue
            match = _ATTRIBUTE.match(line)
            if match is None:
                where = f"object at line {start}: " if names else ""
                self._bad(lineno, f"{where}not an attribute line: {line[:60]!r}", "rpsl-syntax")
                names, values, skipping = [], [], True
                continue
            name = match.group(1).lower()
            if not names:
                start = lineno
                if name not in _WANTED:
                    skipping = True
                    continue
            names.append(name)
            values.append(_strip_comment(match.group(2)))
        if names:
            found = self._build(names, values, start)
            if found is not None:
                yield found
        logger.info(
            "rpsl %s: %d lines, %s, %d problems",
            self.where,
            lineno,
            dict(self.counts),
            len(self.problems) + self._dropped,
        )

    def _problem(self, line: int, message: str, code: str = "rpsl-syntax") -> None:
        if len(self.problems) < self.max_problems:
            self.problems.add(f"{self.where}:{line}", message, code)
        else:
            self._dropped += 1

    def _build(self, names: list[str], raw: list[str], start: int) -> RpslObject | None:
        values: dict[str, list[str]] = {}
        for name, value in zip(names, raw, strict=True):
            values.setdefault(name, []).append(value.strip())
        kind = names[0]
        key = values[kind][0]
        sources = values.get("source", [])
        source = sources[0].upper() if sources else self.default_source
        if not source:
            self._bad(start, f"{kind} {key}: no source attribute", "rpsl-missing-attribute")
            return None
        if kind in ("route", "route6"):
            return self._route(kind, key, values, source, start)
        if kind == "as-set":
            return self._as_set(key, values, source, start)
        try:
            asn = parse_asn(key)
        except ValidationFailed:
            self._bad(start, f"aut-num {key!r}: not an AS number", "rpsl-invalid-value")
            return None
        self.counts[kind] += 1
        return AutNum(asn, source, start)

    def _bad(self, line: int, message: str, code: str) -> None:
        self._problem(line, message, code)
        self.counts["malformed"] += 1

    def _route(
        self, kind: str, key: str, values: dict[str, list[str]], source: str, start: int
    ) -> Route | None:
        try:
            prefix = ipaddress.ip_network(key, strict=True)
        except ValueError:
            self._bad(start, f"{kind} {key!r}: not a prefix", "rpsl-invalid-value")
            return None
        if (kind == "route") != (prefix.version == 4):
            self._bad(start, f"{kind} {key}: wrong address family", "rpsl-invalid-value")
            return None
        origins = values.get("origin", [])
        if len(origins) != 1:
            message = f"{kind} {key}: needs exactly one origin, has {len(origins)}"
            self._bad(start, message, "rpsl-missing-attribute")
            return None
        try:
            origin = parse_asn(origins[0])
        except ValidationFailed:
            message = f"{kind} {key}: origin {origins[0]!r} is not an AS number"
            self._bad(start, message, "rpsl-invalid-value")
            return None
        self.counts[kind] += 1
        return Route(prefix, origin, source, start)

    def _as_set(self, key: str, values: dict[str, list[str]], source: str, start: int) -> AsSet:
        name = key.upper()
        if set_kind(name) != "as-set":
            self._problem(start, f"as-set {key!r}: not an as-set name", "rpsl-invalid-value")
        members: list[str] = []
        for value in values.get("members", []):
            for item in value.split(","):
                if not item.strip():
                    continue
                member = normalise_member(item)
                if member is None:
                    message = f"as-set {name}: member {item.strip()!r} is not an ASN or a set"
                    self._problem(start, message, "rpsl-invalid-member")
                else:
                    members.append(member)
        by_ref = tuple(
            item.strip().upper()
            for value in values.get("mbrs-by-ref", [])
            for item in value.split(",")
            if item.strip()
        )
        self.counts["as-set"] += 1
        return AsSet(name, tuple(dict.fromkeys(members)), source, by_ref, start)


def _strip_comment(value: str) -> str:
    cut = value.find("#")
    return value if cut < 0 else value[:cut]


def parse_rpsl(
    text: str | Iterable[str], *, where: str = "<input>", default_source: str | None = None
) -> tuple[list[RpslObject], Problems]:
    """All objects of a small RPSL text and the problems found; for dumps use ``RpslReader``."""
    reader = RpslReader(where=where, default_source=default_source)
    lines = io.StringIO(text) if isinstance(text, str) else text
    objects = list(reader.parse(lines))
    return objects, reader.problems
