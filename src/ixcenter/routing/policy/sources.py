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

    def prefixes_of_asns(
        self, asns: Iterable[int], version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        selected = self._wanted(sources)
        found: dict[tuple[int, int], Network] = {}
        for asn in asns:
            prefixes = None
            if self.cache is not None:
                prefixes = self.cache.get_prefixes(asn, version, selected)
            if prefixes is None:
                self._select(selected)
                prefixes = self.client.routes(asn, version)
                if self.cache is not None:
                    self.cache.put_prefixes(asn, version, prefixes, selected)
            for prefix in prefixes:
                found.setdefault((int(prefix.network_address), prefix.prefixlen), prefix)
        return tuple(found[key] for key in sorted(found))
