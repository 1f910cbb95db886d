"""The looking glass's in-memory index of every path both route servers hold.

Built once per refresh from plain ``LgPath`` records (``lg_snapshot`` reads them from the daemons)
and never changed afterwards, so readers on other threads need no lock. It answers:

* **longest-prefix match** for an address or a prefix, IPv4 and IPv6: one dict per prefix length
  (network address as an integer -> paths), probed from the longest length present down to the
  shortest. That is at most 33 (129) dict look-ups, whatever the table size: a few microseconds at
  500,000 routes. A prefix query matches only prefixes equal to it or covering it;
* the paths a peer (one session of one route server) sent, accepted and filtered;
* the paths by origin AS, by any AS in the AS_PATH, by standard or large community.

Paths are kept in one order everywhere: by prefix, then server, then best first.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.core.prefixes import Network
from ixcenter.routing.control.model import Address, Community, LargeCommunity, Route
from ixcenter.routing.policy.reasons import Reason

_BITS = {4: 32, 6: 128}
_NETWORK: dict[int, type[Network]] = {4: ipaddress.IPv4Network, 6: ipaddress.IPv6Network}


@dataclass(frozen=True, slots=True)
class LgPath:
    """One path held by route server ``server`` (e.g. ``BJ-rs1``) with its filter reasons
    (empty: accepted). ``peer_asn`` is the ASN of the session it came from."""

    server: str
    route: Route
    reasons: tuple[Reason, ...] = ()
    peer_asn: int | None = None

    @property
    def accepted(self) -> bool:
        return not self.reasons and not self.route.filtered

    @property
    def session(self) -> str:
        return self.route.from_peer


@dataclass(frozen=True, slots=True)
class Match:
    """The longest prefix matching a query, and every path to it."""

    query: str
    prefix: Network
    paths: tuple[LgPath, ...]


def _order(path: LgPath) -> tuple[str, bool, bool, str]:
    return (path.server, not path.route.best, not path.accepted, path.session)


def parse_query(text: str) -> Address | Network:
    """An address (``192.0.2.1``) or a prefix (``192.0.2.0/24``); host bits are refused."""
    text = text.strip()
    try:
        if "/" in text:
            return ipaddress.ip_network(text)
        return ipaddress.ip_address(text)
    except ValueError as exc:
        raise ValidationFailed(
            [Problem("prefix", f"{text!r} is neither an address nor a prefix: {exc}", "syntax")]
        ) from None


def parse_community(text: str) -> Community | LargeCommunity:
    """``a:b`` (standard, 16-bit parts) or ``a:b:c`` (large, 32-bit parts)."""
    parts = text.strip().split(":")
    if len(parts) in (2, 3) and all(p.isascii() and p.isdigit() for p in parts):
        numbers = tuple(int(p) for p in parts)
        limit = 0xFFFF if len(numbers) == 2 else 0xFFFFFFFF
        if all(n <= limit for n in numbers):
            if len(numbers) == 2:
                return numbers[0], numbers[1]
            return numbers[0], numbers[1], numbers[2]
    raise ValidationFailed(
        [Problem("community", f"{text!r} is not a community (a:b or a:b:c)", "syntax")]
    )


class RouteIndex:
    """Every path of a snapshot, indexed; see the module docstring."""

    def __init__(self, paths: Iterable[LgPath]) -> None:
        tables: dict[int, dict[int, dict[int, list[LgPath]]]] = {4: {}, 6: {}}
        peers: dict[tuple[str, str], list[LgPath]] = defaultdict(list)
        members: dict[tuple[str, int], list[LgPath]] = defaultdict(list)
        origins: dict[int, list[LgPath]] = defaultdict(list)
        in_path: dict[int, list[LgPath]] = defaultdict(list)
        communities: dict[Community | LargeCommunity, list[LgPath]] = defaultdict(list)
        ordered = sorted(paths, key=lambda p: (p.route.prefix.version, _prefix_key(p), _order(p)))
        for path in ordered:
            prefix = path.route.prefix
            by_length = tables[prefix.version].setdefault(prefix.prefixlen, {})
            by_length.setdefault(int(prefix.network_address), []).append(path)
            peers[(path.server, path.session)].append(path)
            if path.peer_asn is not None:
                members[(path.server, path.peer_asn)].append(path)
            if path.route.as_path:
                origins[path.route.as_path[-1]].append(path)
                for asn in set(path.route.as_path):
                    in_path[asn].append(path)
            for community in path.route.communities:
                communities[community].append(path)
            for large in path.route.large_communities:
                communities[large].append(path)
        self._tables = {
            version: {
                length: {k: tuple(v) for k, v in keyed.items()} for length, keyed in t.items()
            }
            for version, t in tables.items()
        }
        self._lengths = {v: sorted(t, reverse=True) for v, t in self._tables.items()}
        self._peers = {k: tuple(v) for k, v in peers.items()}
        self._counts = {
            k: (sum(1 for p in v if p.accepted), sum(1 for p in v if not p.accepted))
            for k, v in self._peers.items()
        }
        self._members = {k: tuple(v) for k, v in members.items()}
        self._origins = {k: tuple(v) for k, v in origins.items()}
        self._in_path = {k: tuple(v) for k, v in in_path.items()}
        self._communities = {k: tuple(v) for k, v in communities.items()}
        self.size = len(ordered)
        self.prefixes = sum(len(keyed) for t in self._tables.values() for keyed in t.values())

    def longest_match(
        self, query: Address | Network | str, visible: Callable[[LgPath], bool] | None = None
    ) -> Match | None:
        """The longest prefix equal to or covering ``query``, with every path to it.

        With ``visible``, only the paths it admits count: a prefix none of whose paths is
        visible does not match, and a shorter one is looked for (so a caller learns nothing of
        paths it may not see).
        """
        target = parse_query(query) if isinstance(query, str) else query
        version = target.version
        bits = _BITS[version]
        if isinstance(target, ipaddress.IPv4Network | ipaddress.IPv6Network):
            number, longest = int(target.network_address), target.prefixlen
        else:
            number, longest = int(target), bits
        table = self._tables[version]
        for length in self._lengths[version]:
            if length > longest:
                continue
            key = number & (((1 << length) - 1) << (bits - length))
            found = table[length].get(key)
            if found is not None and visible is not None:
                found = tuple(p for p in found if visible(p)) or None
            if found is not None:
                network = _NETWORK[version]((key, length))
                return Match(str(target), network, found)
        return None

    def peer(self, server: str, session: str) -> Sequence[LgPath]:
        """Every path session ``session`` of ``server`` sent, accepted and filtered."""
        return self._peers.get((server, session), ())

    def counts(self, server: str, session: str) -> tuple[int, int]:
        """(accepted, filtered) paths of one session."""
        return self._counts.get((server, session), (0, 0))

    def member(self, server: str, asns: Iterable[int]) -> list[LgPath]:
        """Every path the sessions of these ASNs sent to ``server``."""
        found: list[LgPath] = []
        for asn in sorted(set(asns)):
            found.extend(self._members.get((server, asn), ()))
        return found

    def by_origin(self, asn: int) -> Sequence[LgPath]:
        return self._origins.get(asn, ())

    def by_path_asn(self, asn: int) -> Sequence[LgPath]:
        """Paths with ``asn`` anywhere in the AS_PATH."""
        return self._in_path.get(asn, ())

    def by_community(self, community: Community | LargeCommunity) -> Sequence[LgPath]:
        return self._communities.get(community, ())


def _prefix_key(path: LgPath) -> tuple[int, int]:
    prefix = path.route.prefix
    return int(prefix.network_address), prefix.prefixlen
