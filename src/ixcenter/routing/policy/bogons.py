"""Bogon prefixes and ASNs as pattern lists a daemon can match, equal to ``core`` by construction.

``core.prefixes.bogon_reason`` decides what a bogon prefix is: a prefix whose most specific
enclosing special-purpose block is not globally reachable, or a prefix that covers such a block.
Daemons match prefixes against pattern lists ("any pattern matches"), so the same decision is
written as two lists of ``PrefixRule``:

* ``bogon_rules``: every not-reachable block with all its more specifics (``B{len,max}``), and
  every strict supernet of such a block as an exact pattern (a route covering the block);
* ``reachable_rules``: the globally reachable blocks nested inside a not-reachable one, with
  their more specifics (``2001:20::/28`` inside ``2001::/23``).

A prefix is a bogon when it matches ``bogon_rules`` and not ``reachable_rules``. That equals
``bogon_reason`` as long as no not-reachable block lies inside a reachable exception (none does in
the IANA registries; ``nested_conflicts`` says so and the tests hold it to that).

``NON_PUBLIC_ASNS`` lists the ranges ``core.asns.is_public`` refuses, as inclusive intervals a
daemon can put in a set; the tests check them against ``is_public`` at every boundary.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from ixcenter.core.prefixes import Network, bogon_blocks, reachable_exceptions
from ixcenter.routing.policy.model import PrefixRule

_BITS = {4: 32, 6: 128}

NON_PUBLIC_ASNS: tuple[tuple[int, int], ...] = (
    (0, 0),
    (23456, 23456),
    (64496, 131071),
    (4_200_000_000, 4_294_967_295),
)


def _supernets(prefix: Network) -> Iterable[Network]:
    for length in range(prefix.prefixlen):
        yield prefix.supernet(new_prefix=length)


def _sorted(rules: Iterable[PrefixRule]) -> tuple[PrefixRule, ...]:
    unique = {(r.prefix, r.shortest, r.longest): r for r in rules}
    return tuple(
        unique[key]
        for key in sorted(unique, key=lambda k: (int(k[0].network_address), k[0].prefixlen, k[2]))
    )


@functools.cache
def bogon_rules(version: int) -> tuple[PrefixRule, ...]:
    """Patterns matching every prefix inside or covering a not-reachable special-purpose block."""
    bits = _BITS[version]
    rules: list[PrefixRule] = []
    blocks = [block.network for block in bogon_blocks(version)]
    for network in blocks:
        rules.append(PrefixRule(network, network.prefixlen, bits))
        rules.extend(PrefixRule(s, s.prefixlen, s.prefixlen) for s in _supernets(network))
    # a supernet that is itself inside another block is already matched by that block's pattern
    covered = [r for r in rules if r.shortest == r.longest]
    wide = [r for r in rules if r.shortest != r.longest]
    kept = [r for r in covered if not any(w.covers(r.prefix) for w in wide)]
    return _sorted([*wide, *kept])


@functools.cache
def reachable_rules(version: int) -> tuple[PrefixRule, ...]:
    """Patterns of the globally reachable blocks nested in a bogon block (they are not bogons)."""
    bits = _BITS[version]
    return _sorted(
        PrefixRule(block.network, block.network.prefixlen, bits)
        for block in reachable_exceptions(version)
    )


def nested_conflicts(version: int) -> tuple[Network, ...]:
    """Not-reachable blocks inside a reachable exception: the two lists cannot express those."""
    exceptions = [rule.prefix for rule in reachable_rules(version)]
    return tuple(
        block.network
        for block in bogon_blocks(version)
        if any(
            block.network != e and block.network.subnet_of(e)  # type: ignore[arg-type]
            for e in exceptions
        )
    )


def matches(rules: Iterable[PrefixRule], prefix: Network) -> bool:
    """Whether any pattern matches ``prefix`` (the daemons' prefix-set semantics)."""
    return any(rule.covers(prefix) for rule in rules)


def lan_rules(prefixes: Iterable[Network]) -> tuple[PrefixRule, ...]:
    """The exchange's own LAN prefixes and everything inside them."""
    return _sorted(PrefixRule(p, p.prefixlen, _BITS[p.version]) for p in prefixes)
