"""Refreshing the IRR cache for every member, and what changed per member.

``refresh(targets, source, cache)`` resolves each member's AS-SET (or its plain ASN) and the
route/route6 objects of every origin again, straight from the IRR source (dump files through
``IrrStore``, or a whois server through a ``WhoisSource`` without a cache), compares with what
the cache held (expired entries count: they are the last known state) and reports per member:

* the ASNs added to and removed from the expanded set (the member's own ASN always counts);
* per address family, how many prefixes were added and removed, with a few examples;
* errors: expansion problems (``as-set-not-found``, loops, depth or size limits) and a failed
  query; a member with an error is reported and the refresh goes on with the next one.

Nothing is written until every member has been resolved: the new entries then replace the old
ones and the cache is saved once, atomically, so an interrupted refresh leaves the previous
cache whole. A member whose queries failed keeps its old entries; a set that exists in no
source loses its entry (a build would not use it either).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ixcenter.core.errors import IxcError
from ixcenter.core.prefixes import Network
from ixcenter.routing.irr import prefix_keys
from ixcenter.routing.irr.asset import Expansion
from ixcenter.routing.irr.cache import IrrCache

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
EXAMPLES = 3  # prefixes shown per direction and family


class FreshSource(Protocol):
    """IRR queries answered from the source itself (``IrrStore``, uncached ``WhoisSource``)."""

    def selected(self, sources: Sequence[str] | None) -> tuple[str, ...]: ...

    def origins_of_set(self, name: str, *, sources: Sequence[str] | None = None) -> Expansion: ...

    def routes(
        self, asn: int, version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A member ASN with routing data: its AS-SET (None: the ASN alone) and IRR sources."""

    asn: int
    as_set: str | None = None
    sources: tuple[str, ...] = ()  # preference order; empty: the source's default

    @property
    def set_name(self) -> str:
        return (self.as_set or f"AS{self.asn}").strip().upper()


@dataclass(frozen=True, slots=True)
class PrefixChange:
    """One address family's prefixes before and after, as counts and a few examples."""

    before: int
    after: int
    added: int
    removed: int
    added_examples: tuple[str, ...] = ()
    removed_examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MemberRefresh:
    """What one member's refresh found."""

    asn: int
    set_name: str
    sources: tuple[str, ...]
    asns: int  # ASNs in the expanded set now (with the member's own)
    asns_added: tuple[int, ...]
    asns_removed: tuple[int, ...]
    ipv4: PrefixChange
    ipv6: PrefixChange
    errors: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.asns_added
            or self.asns_removed
            or self.ipv4.added
            or self.ipv4.removed
            or self.ipv6.added
            or self.ipv6.removed
        )

    def family(self, version: int) -> PrefixChange:
        return self.ipv4 if version == 4 else self.ipv6


def _change(before: set[int], after: set[int], version: int) -> PrefixChange:
    added = sorted(after - before)
    removed = sorted(before - after)

    def texts(keys: list[int]) -> tuple[str, ...]:
        return tuple(str(prefix_keys.unpack(k, version)) for k in keys[:EXAMPLES])

    return PrefixChange(
        len(before), len(after), len(added), len(removed), texts(added), texts(removed)
    )


class _Refresh:
    def __init__(self, source: FreshSource, cache: IrrCache) -> None:
        self.source = source
        self.cache = cache
        self.sets: dict[tuple[str, tuple[str, ...]], frozenset[int] | None] = {}
        self.routes: dict[tuple[int, int, tuple[str, ...]], list[int]] = {}

    def fresh_routes(self, origin: int, version: int, selected: tuple[str, ...]) -> list[int]:
        key = (origin, version, selected)
        found = self.routes.get(key)
        if found is None:
            networks = self.source.routes(origin, version, selected)
            found = self.routes[key] = sorted({prefix_keys.pack(n) for n in networks})
        return found

    def old_origins(self, target: Target, selected: tuple[str, ...]) -> set[int]:
        asns = {target.asn}
        if target.as_set is not None:
            asns |= self.cache.get_asns(target.set_name, selected, any_age=True) or set()
        return asns

    def old_keys(self, origins: set[int], version: int, selected: tuple[str, ...]) -> set[int]:
        found: set[int] = set()
        for origin in origins:
            found.update(self.cache.get_prefix_keys(origin, version, selected, any_age=True) or ())
        return found

    def member(self, target: Target) -> MemberRefresh:
        selected = self.source.selected(target.sources or None)
        name = target.set_name
        old_origins = self.old_origins(target, selected)
        before = {v: self.old_keys(old_origins, v, selected) for v in (4, 6)}
        try:
            expansion = self.source.origins_of_set(name, sources=selected)
            origins = set(expansion.asns) | {target.asn}
            after: dict[int, set[int]] = {4: set(), 6: set()}
            for version in (4, 6):
                for origin in sorted(origins):
                    after[version].update(self.fresh_routes(origin, version, selected))
        except IxcError as exc:
            logger.warning("AS%d %s: IRR refresh failed: %s", target.asn, name, exc.message)
            same = {v: PrefixChange(len(before[v]), len(before[v]), 0, 0) for v in (4, 6)}
            return MemberRefresh(
                target.asn,
                name,
                selected,
                len(old_origins),
                (),
                (),
                same[4],
                same[6],
                (exc.message,),
            )
        if target.as_set is not None:
            not_found = any(
                p.code == "as-set-not-found" and p.field == name for p in expansion.problems
            )
            self.sets[(name, selected)] = None if not_found else expansion.asns
        return MemberRefresh(
            asn=target.asn,
            set_name=name,
            sources=selected,
            asns=len(origins),
            asns_added=tuple(sorted(origins - old_origins)),
            asns_removed=tuple(sorted(old_origins - origins)),
            ipv4=_change(before[4], after[4], 4),
            ipv6=_change(before[6], after[6], 6),
            errors=tuple(str(problem) for problem in expansion.problems),
        )

    def write(self) -> None:
        for (name, selected), asns in self.sets.items():
            if asns is None:
                self.cache.drop_asns(name, selected)
            else:
                self.cache.put_asns(name, asns, selected)
        for (origin, version, selected), keys in self.routes.items():
            self.cache.put_prefix_keys(origin, version, keys, selected)
        self.cache.save()


def refresh(
    targets: Sequence[Target],
    source: FreshSource,
    cache: IrrCache,
    *,
    progress: Progress | None = None,
) -> list[MemberRefresh]:
    """Resolve every target again and replace its cache entries (see the module docstring);
    results in ASN order."""
    run = _Refresh(source, cache)
    ordered = sorted(targets, key=lambda t: t.asn)
    results = []
    for done, target in enumerate(ordered, start=1):
        results.append(run.member(target))
        if progress is not None:
            progress(done, len(ordered))
    run.write()
    changed = sum(1 for r in results if r.changed)
    failed = sum(1 for r in results if r.errors)
    logger.info(
        "IRR refresh: %d members, %d changed, %d with errors", len(results), changed, failed
    )
    return results
