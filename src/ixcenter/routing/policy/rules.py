"""A client's IRR prefix rules in packed form: ``PrefixRules``.

The compiler turns the route/route6 objects of a member's origins into one rule per prefix:
exactly its own length, or up to the longest accepted length of its family when
``PolicySettings.irr_more_specifics`` is on. Made one ``PrefixRule`` (and one ``ipaddress``
network) at a time, 1,000 members' 313k rules cost over a second and ~100 MB before anything is
rendered. ``PrefixRules`` keeps them as sorted ``prefix_keys`` per family (as a cache file's
bytes, ``prefix_keys.Packed``, when they come from one) plus that one longest length, and is
still a ``Sequence[PrefixRule]`` (IPv4 rules first, each family by address, then length):
``PrefixRule`` objects are made only when someone iterates (the evaluator, tests), once.

The renderers read the keys directly and key the text they render by ``digest(version)``: the
same rules give the same digest in every build, different rules (or the same prefixes with
another longest length) a different one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from ixcenter.routing.irr import prefix_keys
from ixcenter.routing.policy.model import PrefixRule


class PrefixRules(Sequence[PrefixRule]):
    """IRR prefix rules: per family the sorted ``prefix_keys`` and the longest length accepted
    (``None``: each prefix exactly)."""

    __slots__ = ("_digests", "_keys", "_longest", "_rules")

    def __init__(
        self,
        keys4: Sequence[int] = (),
        keys6: Sequence[int] = (),
        *,
        longest4: int | None = None,
        longest6: int | None = None,
    ) -> None:
        self._keys = {4: _keys(keys4), 6: _keys(keys6)}
        self._longest = {4: longest4, 6: longest6}
        self._rules: tuple[PrefixRule, ...] | None = None
        self._digests: dict[int, str] = {}

    def keys(self, version: int) -> Sequence[int]:
        return self._keys[version]

    def longest(self, version: int) -> int | None:
        return self._longest[version]

    def size(self, version: int) -> int:
        """How many rules of ``version``."""
        return len(self._keys[version])

    def digest(self, version: int) -> str:
        """A hash of the rules of ``version`` (keys and longest length)."""
        found = self._digests.get(version)
        if found is None:
            longest = self._longest[version]
            packed = prefix_keys.encoded(self._keys[version], version)
            found = prefix_keys.digest("rules", version, -1 if longest is None else longest, packed)
            self._digests[version] = found
        return found

    def rules(self) -> tuple[PrefixRule, ...]:
        """Every rule as a ``PrefixRule`` (made on the first call, kept)."""
        if self._rules is None:
            found = []
            for version in (4, 6):
                longest = self._longest[version]
                for key in self._keys[version]:
                    network = prefix_keys.unpack(key, version)
                    length = network.prefixlen
                    top = length if longest is None else max(length, longest)
                    found.append(PrefixRule(network, length, top))
            self._rules = tuple(found)
        return self._rules

    def __len__(self) -> int:
        return len(self._keys[4]) + len(self._keys[6])

    def __iter__(self) -> Iterator[PrefixRule]:
        return iter(self.rules())

    @overload
    def __getitem__(self, index: int) -> PrefixRule: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[PrefixRule, ...]: ...

    def __getitem__(self, index: int | slice) -> PrefixRule | tuple[PrefixRule, ...]:
        return self.rules()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PrefixRules):
            return all(
                prefix_keys.encoded(self._keys[v], v) == prefix_keys.encoded(other._keys[v], v)
                and (self._longest[v] == other._longest[v] or not self._keys[v])
                for v in (4, 6)
            )
        if isinstance(other, tuple | list):
            return self.rules() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.rules())

    def __repr__(self) -> str:
        return f"PrefixRules({self.size(4)} IPv4, {self.size(6)} IPv6)"

    def __reduce__(self) -> tuple[Any, ...]:
        keys = (tuple(self._keys[4]), tuple(self._keys[6]))
        return (_rebuild, (*keys, self._longest[4], self._longest[6]))


def _keys(keys: Sequence[int]) -> Sequence[int]:
    """``Packed`` keys stay packed; anything else becomes a tuple."""
    return keys if isinstance(keys, prefix_keys.Packed) else tuple(keys)


def _rebuild(
    keys4: tuple[int, ...], keys6: tuple[int, ...], longest4: int | None, longest6: int | None
) -> PrefixRules:
    return PrefixRules(keys4, keys6, longest4=longest4, longest6=longest6)
