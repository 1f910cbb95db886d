"""Where the compiler gets IRR data: one small interface, two implementations.

``IrrSource`` is what ``compile_route_server`` asks: the ASNs of an AS-SET (with the problems
found expanding it) and the route/route6 prefixes of a group of origins. ``IrrStore`` satisfies
it directly (dump files, our own loop-safe resolver). ``WhoisSource`` satisfies it over an
IRRd-style whois server (``!i<set>,1``, ``!g``, ``!6``) with an optional ``IrrCache`` in front:
the server expands sets itself, so loops and limits it met are not reported from that path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import Problem
from ixcenter.core.prefixes import Network
from ixcenter.routing.irr import prefix_keys
from ixcenter.routing.irr.asset import Expansion
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.rpsl import normalise_member, set_kind
from ixcenter.routing.irr.whois import WhoisClient

logger = logging.getLogger(__name__)


class IrrSource(Protocol):
    """IRR queries the policy compiler needs; ``sources`` in preference order, None = all."""

    def origins_of_set(self, name: str, *, sources: Sequence[str] | None = None) -> Expansion:
        """The ASNs of AS-SET (or ASN) ``name``, recursively, with the problems met."""
        ...

    def prefixes_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        """Prefixes of route (4) or route6 (6) objects whose origin is one of ``asns``."""
        ...

    def prefix_keys_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> Sequence[int]:
        """``prefixes_of_asns`` as sorted ``prefix_keys`` (no ``ipaddress`` objects)."""
        ...


class WhoisSource:
    """``IrrSource`` over a ``WhoisClient``, answering from ``cache`` when it can.

    ``default_sources`` are the sources searched for a member that names none (default: what
    the server searches before this source changes anything, asked on first need). The client
    is only used on cache misses, so a warm cache with ``default_sources`` needs no server.
    """

    def __init__(
        self,
        client: WhoisClient,
        cache: IrrCache | None = None,
        *,
        default_sources: Sequence[str] | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self._default = tuple(s.upper() for s in default_sources) if default_sources else None
        self._current: tuple[str, ...] | None = None

    def _server_sources(self) -> tuple[str, ...]:
        """The connection's sources; asked once, before this source ever changes them."""
        if self._current is None:
            self._current = self.client.sources()
            if self._default is None:
                self._default = self._current
        return self._current

    def selected(self, sources: Sequence[str] | None) -> tuple[str, ...]:
        """The sources a query for ``sources`` searches (None: the default sources)."""
        return self._wanted(sources)

    def _wanted(self, sources: Sequence[str] | None) -> tuple[str, ...]:
        if sources:
            return tuple(s.upper() for s in sources)
        if self._default is None:
            return self._server_sources()  # never changed yet: the server's own default
        return self._default

    def _select(self, wanted: tuple[str, ...]) -> None:
        if wanted != self._server_sources():
            self.client.set_sources(wanted)
            self._current = wanted

    def origins_of_set(self, name: str, *, sources: Sequence[str] | None = None) -> Expansion:
        key = name.strip().upper()
        member = normalise_member(key)
        if member is not None and set_kind(member) is None and member != "AS-ANY":
            return Expansion(key, frozenset({parse_asn(member)}))  # an ASN, not a set
        selected = self._wanted(sources)
        if self.cache is not None:
            cached = self.cache.get_asns(key, selected)
            if cached is not None:
                return Expansion(key, cached)
        self._select(selected)
        asns = self.client.origins_of_set(key)
        if asns is None:
            problem = Problem(key, f"{key} exists in no source", "as-set-not-found")
            return Expansion(key, frozenset(), (problem,), complete=False)
        if self.cache is not None:
            self.cache.put_asns(key, asns, selected)
        return Expansion(key, asns)

    def routes(
        self, asn: int, version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        """The route (4) or route6 (6) prefixes of origin ``asn``, asked of the server."""
        self._select(self._wanted(sources))
        return self.client.routes(asn, version)

    def prefix_keys_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> Sequence[int]:
        selected = self._wanted(sources)
        cache = self.cache
        asns = sorted(set(asns))
        if cache is not None:
            found = cache.union_keys(asns, version, selected)
            if found is not None:
                return found
        groups: list[Sequence[int]] = []
        for asn in asns:
            keys = None if cache is None else cache.get_prefix_keys(asn, version, selected)
            if keys is None:
                self._select(selected)
                keys = [prefix_keys.pack(p) for p in self.client.routes(asn, version)]
                if cache is not None:
                    cache.put_prefix_keys(asn, version, keys, selected)
            groups.append(keys)
        if cache is not None:  # every origin is in the cache now: keep their union too
            found = cache.union_keys(asns, version, selected)
            if found is not None:
                return found
        return prefix_keys.union(groups)

    def prefixes_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        keys = self.prefix_keys_of_asns(asns, version, sources)
        return tuple(prefix_keys.unpack(key, version) for key in keys)
