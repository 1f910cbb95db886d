"""AS-SET expansion: recursive, loop-safe, with depth and size limits, memoised.

Each set is solved once per resolver: the sets reachable from it form a graph whose strongly
connected components (Tarjan, iterative) share one ASN set, so a loop (``AS-A`` contains ``AS-B``
contains ``AS-A``) costs nothing more than a tree and is reported, not followed forever. Every
component remembers its ASNs, an upper bound of its nesting depth (inside a component: the
farthest distance into one member plus the farthest out of it), and the problems below it.

``expand(name)`` answers from that memo when the bound fits the limits. When it does not, a
breadth-first walk from the set (the order IRRd's ``!i<set>,1`` uses) measures the real depth
of every set (its shortest path from the expanded set) and stops at the depth limit or at the
size limit; a result cut that way is marked incomplete, with the path where it stopped.
Results are memoised per set name too, so a warm resolver answers at dict speed.

Problems carry the path from the expanded set, ``AS-ROOT > AS-MID > AS-LEAF``, in their field:

* ``as-set-not-found``: a member set exists in no source;
* ``as-set-loop``: sets that contain each other (harmless for the result, worth fixing);
* ``as-set-route-set-member``: a route-set (or another set class) among the members, ignored;
* ``as-set-any``: ``AS-ANY`` among the members, ignored (it would allow every ASN);
* ``as-set-too-deep`` / ``as-set-too-large``: a limit stopped the expansion (``complete=False``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import Problem
from ixcenter.routing.irr.rpsl import AsSet, normalise_member, set_kind

logger = logging.getLogger(__name__)

Issue: TypeAlias = tuple[str, str, str]  # (set where it was found, message, code)


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_depth`` counts set levels (the expanded set is level 1); ``max_size`` counts ASNs."""

    max_depth: int = 20
    max_size: int = 100_000


@dataclass(frozen=True, slots=True)
class Expansion:
    """The ASNs an AS-SET (or a single ``AS64500``) stands for, and what went wrong finding them."""

    name: str
    asns: frozenset[int]
    problems: tuple[Problem, ...] = ()
    complete: bool = True


@dataclass(frozen=True, slots=True)
class _Direct:
    asns: frozenset[int]
    sets: tuple[str, ...]
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class _Memo:
    asns: frozenset[int]
    depth: int
    issues: frozenset[Issue]


class AsSetResolver:
    """Expands AS-SETs found through ``lookup`` (a store applying its source preference)."""

    def __init__(self, lookup: Callable[[str], AsSet | None], limits: Limits | None = None) -> None:
        self._lookup = lookup
        self.limits = limits or Limits()
        self._direct_cache: dict[str, _Direct | None] = {}
        self._memo: dict[str, _Memo] = {}
        self._results: dict[str, Expansion] = {}

    def expand(self, name: str) -> Expansion:
        """The ASNs of ``name`` (an AS-SET name or an ASN such as ``AS64500``)."""
        key = name.strip().upper()
        member = normalise_member(key)
        if member is not None and set_kind(member) is None and member != "AS-ANY":
            return Expansion(key, frozenset({parse_asn(member)}))
        if self._direct(key) is None:
            problem = Problem(key, f"{key} exists in no source", "as-set-not-found")
            return Expansion(key, frozenset(), (problem,), complete=False)
        found = self._results.get(key)
        if found is None:
            memo = self._solve(key)
            if memo.depth <= self.limits.max_depth and len(memo.asns) <= self.limits.max_size:
                found = Expansion(key, memo.asns, self._with_paths(key, memo.issues))
            else:
                found = self._walk(key)
            self._results[key] = found
        return found

    # --- one set's own members ---------------------------------------------------------------

    def _direct(self, name: str) -> _Direct | None:
        if name in self._direct_cache:
            return self._direct_cache[name]
        found = self._lookup(name)
        direct = None if found is None else self._split(found)
        self._direct_cache[name] = direct
        return direct

    def _split(self, as_set: AsSet) -> _Direct:
        asns: set[int] = set()
        sets: list[str] = []
        issues: list[Issue] = []
        for member in as_set.members:
            if member == "AS-ANY":
                issues.append((as_set.name, "AS-ANY member ignored", "as-set-any"))
                continue
            kind = set_kind(member)
            if kind is None:
                asns.add(parse_asn(member))
            elif kind != "as-set":
                message = f"{kind} member {member} ignored"
                issues.append((as_set.name, message, "as-set-route-set-member"))
            elif self._lookup(member) is None:
                message = f"member {member} exists in no source"
                issues.append((as_set.name, message, "as-set-not-found"))
            else:
                sets.append(member)
        return _Direct(frozenset(asns), tuple(sets), tuple(issues))

    def _children(self, name: str) -> tuple[str, ...]:
        direct = self._direct(name)
        return direct.sets if direct is not None else ()

    # --- the memo: Tarjan's strongly connected components, iteratively -----------------------

    def _solve(self, root: str) -> _Memo:
        if root in self._memo:
            return self._memo[root]
        index: dict[str, int] = {root: 0}
        low: dict[str, int] = {root: 0}
        stack: list[str] = [root]
        on_stack: set[str] = {root}
        work = [(root, iter(self._children(root)))]
        while work:
            node, children = work[-1]
            descended = False
            for child in children:
                if child in self._memo:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(self._children(child))))
                    descended = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                self._settle(component)
        return self._memo[root]

    def _settle(self, component: list[str]) -> None:
        inside = set(component)
        asns: set[int] = set()
        issues: set[Issue] = set()
        below = 0
        looped = len(component) > 1
        for name in component:
            direct = self._direct(name)
            if direct is None:
                continue
            asns.update(direct.asns)
            issues.update(direct.issues)
            for child in direct.sets:
                if child in inside:
                    looped = True
                    continue
                memo = self._memo[child]
                asns.update(memo.asns)
                issues.update(memo.issues)
                below = max(below, memo.depth)
        if looped:
            first = min(component)
            cycle = " > ".join(self._cycle(first, inside))
            issues.add((first, f"loop: {cycle}", "as-set-loop"))
            logger.debug("AS-SET loop %s", cycle)
        span = self._span(component, inside) if len(component) > 1 else 0
        settled = _Memo(frozenset(asns), 1 + span + below, frozenset(issues))
        for name in component:
            self._memo[name] = settled

    def _span(self, component: list[str], inside: set[str]) -> int:
        """An upper bound of the distance between any two sets of a component.

        From any ``u`` to any ``v`` through one member ``r``: ``d(u, r) + d(r, v)``, so the
        farthest distance into ``r`` plus the farthest out of it: two breadth-first walks.
        """
        reverse: dict[str, list[str]] = {name: [] for name in component}
        for name in component:
            for child in self._children(name):
                if child in inside:
                    reverse[child].append(name)
        root = component[0]
        out = _eccentricity(root, lambda n: [c for c in self._children(n) if c in inside])
        back = _eccentricity(root, reverse.__getitem__)
        return out + back

    def _cycle(self, start: str, inside: set[str]) -> list[str]:
        """One loop through ``start`` inside its component, shortest first."""
        parents: dict[str, str] = {}
        frontier = [start]
        while frontier:
            following: list[str] = []
            for node in frontier:
                for child in self._children(node):
                    if child == start:
                        path = [node]
                        while path[-1] != start:
                            path.append(parents[path[-1]])
                        return [*reversed(path), start]
                    if child in inside and child not in parents:
                        parents[child] = node
                        following.append(child)
            frontier = following
        return [start, start]

    # --- paths and the limited walk -----------------------------------------------------------

    def _parents(self, root: str) -> dict[str, str | None]:
        parents: dict[str, str | None] = {root: None}
        frontier = [root]
        while frontier:
            following: list[str] = []
            for node in frontier:
                for child in self._children(node):
                    if child not in parents:
                        parents[child] = node
                        following.append(child)
            frontier = following
        return parents

    @staticmethod
    def _path(parents: dict[str, str | None], name: str) -> list[str]:
        path = [name]
        while (parent := parents.get(path[-1])) is not None:
            path.append(parent)
        return path[::-1]

    def _with_paths(self, root: str, issues: frozenset[Issue]) -> tuple[Problem, ...]:
        if not issues:
            return ()
        parents = self._parents(root)
        return tuple(
            Problem(" > ".join(self._path(parents, where)), message, code)
            for where, message, code in sorted(issues)
            if where in parents
        )

    def _walk(self, root: str) -> Expansion:
        limits = self.limits
        parents: dict[str, str | None] = {root: None}
        asns: set[int] = set()
        problems: list[Problem] = []
        frontier, level, full = [root], 1, False
        while frontier and not full:
            following: list[str] = []
            for node in frontier:
                direct = self._direct(node)
                if direct is None:  # only sets that exist are queued
                    continue
                if len(asns) + len(direct.asns) <= limits.max_size:
                    asns.update(direct.asns)
                    new: list[int] = []
                else:
                    new = sorted(direct.asns - asns)
                if len(asns) + len(new) > limits.max_size:
                    asns.update(new[: limits.max_size - len(asns)])
                    path = " > ".join(self._path(parents, node))
                    message = f"more than {limits.max_size} ASNs"
                    problems.append(Problem(path, message, "as-set-too-large"))
                    full = True
                    break
                asns.update(new)
                for child in direct.sets:
                    if child in parents:
                        continue
                    if level + 1 > limits.max_depth:
                        path = " > ".join([*self._path(parents, node), child])
                        message = f"nested deeper than {limits.max_depth} levels"
                        problems.append(Problem(path, message, "as-set-too-deep"))
                        continue
                    parents[child] = node
                    following.append(child)
            frontier, level = following, level + 1
        for where, message, code in sorted(self._solve(root).issues):
            if where in parents:
                problems.append(Problem(" > ".join(self._path(parents, where)), message, code))
        cut = any(p.code in ("as-set-too-deep", "as-set-too-large") for p in problems)
        if cut:
            logger.info("AS-SET %s cut by limits: %d problems", root, len(problems))
        return Expansion(root, frozenset(asns), tuple(problems), complete=not cut)


def _eccentricity(start: str, neighbours: Callable[[str], Iterable[str]]) -> int:
    """The largest breadth-first distance from ``start`` to a node it reaches."""
    seen = {start}
    frontier = [start]
    distance = -1
    while frontier:
        distance += 1
        following: list[str] = []
        for node in frontier:
            for child in neighbours(node):
                if child not in seen:
                    seen.add(child)
                    following.append(child)
        frontier = following
    return distance
