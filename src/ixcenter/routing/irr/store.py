"""An in-memory IRR index: AS-SETs, route and route6 objects by origin, from several sources.

Sources have a preference order (most preferred first; sources not named come after, in the
order they were first loaded). An AS-SET defined in several sources is taken from the most
preferred one, as IRRd does with ``!s``; route objects are the union of all selected sources,
as IRRd's ``!g``/``!6`` answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from ixcenter.core.errors import Problems
from ixcenter.core.prefixes import Network
from ixcenter.routing.irr import prefix_keys
from ixcenter.routing.irr.asset import AsSetResolver, Expansion, Limits
from ixcenter.routing.irr.rpsl import AsSet, AutNum, Route, RpslObject, RpslReader

logger = logging.getLogger(__name__)


class IrrStore:
    """AS-SETs and routes of one or more IRR sources, indexed for the route-server policy."""

    def __init__(self, preference: Sequence[str] = ()) -> None:
        self._order: list[str] = [source.upper() for source in preference]
        self._sets: dict[str, dict[str, AsSet]] = {}
        # prefixes as ``prefix_keys`` (ints): hashing and sorting them is fast; each key maps
        # to one shared Network object in _networks
        self._routes: dict[int, dict[str, dict[int, set[int]]]] = {4: {}, 6: {}}
        self._networks: dict[int, dict[int, Network]] = {4: {}, 6: {}}
        self._aut_nums: dict[int, set[str]] = {}
        self._resolvers: dict[tuple[tuple[str, ...], Limits], AsSetResolver] = {}

    # --- loading ---------------------------------------------------------------------------

    def add(self, obj: RpslObject) -> None:
        source = obj.source.upper()
        if source not in self._order:
            self._order.append(source)
        if isinstance(obj, Route):
            version = obj.prefix.version
            key = prefix_keys.pack(obj.prefix)
            self._networks[version].setdefault(key, obj.prefix)
            by_source = self._routes[version].setdefault(source, {})
            by_source.setdefault(obj.origin, set()).add(key)
        elif isinstance(obj, AsSet):
            self._sets.setdefault(obj.name, {})[source] = obj
        elif isinstance(obj, AutNum):
            self._aut_nums.setdefault(obj.asn, set()).add(source)
        self._resolvers.clear()

    def load(self, objects: Iterable[RpslObject]) -> int:
        count = 0
        for obj in objects:
            self.add(obj)
            count += 1
        return count

    def load_dump(self, path: str | Path, *, source: str | None = None) -> Problems:
        """Load one dump file (plain or gzip); its problems are returned, not raised."""
        reader = RpslReader(where=str(path), default_source=source)
        count = self.load(reader.read(path))
        logger.info("IRR dump %s: %d objects, %d problems", path, count, len(reader.problems))
        return reader.problems

    # --- queries ---------------------------------------------------------------------------

    @property
    def sources(self) -> tuple[str, ...]:
        """Every known source, most preferred first."""
        return tuple(self._order)

    def selected(self, sources: Sequence[str] | None) -> tuple[str, ...]:
        """The sources a query for ``sources`` searches (None: all, in preference order)."""
        if sources is None:
            return tuple(self._order)
        return tuple(source.upper() for source in sources)

    def as_set(self, name: str, sources: Sequence[str] | None = None) -> AsSet | None:
        """The AS-SET ``name`` from the most preferred of ``sources`` (default: all) holding it."""
        found = self._sets.get(name.upper())
        if not found:
            return None
        for source in self.selected(sources):
            if source in found:
                return found[source]
        return None

    def routes(
        self, asn: int, version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        """Prefixes of route (``version`` 4) or route6 (6) objects with origin ``asn``, sorted."""
        return self.prefixes_of_asns((asn,), version, sources)

    def prefixes_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        """The union of ``routes`` over ``asns``: what members of an AS-SET may announce."""
        networks = self._networks[version]
        return tuple(networks[key] for key in self.prefix_keys_of_asns(asns, version, sources))

    def prefix_keys_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> tuple[int, ...]:
        """``prefixes_of_asns`` as sorted ``prefix_keys``."""
        found: set[int] = set()
        by_source = self._routes[version]
        selected = [by_source[s] for s in self.selected(sources) if s in by_source]
        for asn in asns:
            for by_origin in selected:
                prefixes = by_origin.get(asn)
                if prefixes:
                    found.update(prefixes)
        return tuple(sorted(found))

    def has_aut_num(self, asn: int) -> bool:
        return asn in self._aut_nums

    def resolver(
        self, sources: Sequence[str] | None = None, limits: Limits | None = None
    ) -> AsSetResolver:
        """A memoising AS-SET resolver over this store (dropped whenever the store changes)."""
        key = (self.selected(sources), limits or Limits())
        resolver = self._resolvers.get(key)
        if resolver is None:
            selected = key[0]
            resolver = AsSetResolver(lambda name: self.as_set(name, selected), key[1])
            self._resolvers[key] = resolver
        return resolver

    def origins_of_set(
        self, name: str, *, sources: Sequence[str] | None = None, limits: Limits | None = None
    ) -> Expansion:
        """The ASNs of AS-SET ``name`` (recursively), with the problems found on the way."""
        return self.resolver(sources, limits).expand(name)

    def counts(self) -> dict[str, int]:
        return {
            "as-set": len(self._sets),
            "route": sum(len(p) for s in self._routes[4].values() for p in s.values()),
            "route6": sum(len(p) for s in self._routes[6].values() for p in s.values()),
            "aut-num": len(self._aut_nums),
        }
