"""What ``evaluate.py`` says a route server holds and every member receives, and the differences.

For one compiled route server and a scenario set:

* ``stored``: per session and prefix, the route as the route server keeps it (accepted routes
  with their ``RS:1000`` tag, filtered ones with their ``RS:1101`` reasons); discarded routes
  (a loop through the route server's ASN) are in neither;
* ``received``: per member and prefix, what the member may receive: the export of the best path
  it may get. Where the member's *own* path is the best one, RFC 7947 path hiding is not
  normative: BIRD (``secondary``) sends the next path the member may get, OpenBGPD sends nothing
  (see the notes on the peer tools). Both outcomes are allowed there, and only there (more
  precisely: where the member's own path ranks above the first path it may get). Measured with
  the rendered configs (``rde evaluate all``), OpenBGPD 7.7 sends the next path too, so today
  both daemons agree there as well; the tests do not rely on it. Paths of
  equal rank would be broken by daemon-specific tie-breakers: ``expect`` refuses a scenario that
  has them, so no expectation depends on a tie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ixcenter.core.prefixes import Network
from ixcenter.routing.policy.evaluate import Evaluator, ImportVerdict, Route, rank
from ixcenter.routing.policy.model import Client, RouteServer
from ixcenter.routing.rpki.validation import VrpIndex
from tests.routing.scenarios.scenario import ScenarioSet


@dataclass(frozen=True)
class Stored:
    """A route as a route server holds it, with the reasons it was filtered (none: accepted)
    and its LOCAL_PREF (0 for a graceful-shutdown route)."""

    route: Route
    reasons: tuple[int, ...]
    local_pref: int | None


Outcome = Route | None


@dataclass(frozen=True)
class Expected:
    stored: dict[tuple[str, Network], Stored]
    received: dict[str, dict[Network, frozenset[Outcome]]]  # absent prefix: nothing
    case_of: dict[Network, str]


@dataclass(frozen=True)
class Observed:
    stored: dict[tuple[str, Network], Stored]
    received: dict[str, dict[Network, Route]]
    twice: frozenset[tuple[str, Network]] = frozenset()  # listed as accepted and as filtered


def session(client: Client, prefix: Network) -> str:
    return f"{client.key}_v{prefix.version}"


def verdicts(
    scenario: ScenarioSet, rs: RouteServer
) -> tuple[Evaluator, list[tuple[str, Client, ImportVerdict]]]:
    """(member node, client, verdict) of every announcement, in scenario order."""
    evaluator = Evaluator(rs, VrpIndex(scenario.vrps))
    found = []
    for _, announcement in scenario.announcements():
        client = evaluator.client(scenario.client_key(rs, announcement.sender))
        route = scenario.route(announcement)
        found.append((announcement.sender, client, evaluator.import_route(client, route)))
    return evaluator, found


def expect(scenario: ScenarioSet, rs: RouteServer) -> Expected:
    evaluator, found = verdicts(scenario, rs)
    stored: dict[tuple[str, Network], Stored] = {}
    by_prefix: dict[Network, list[tuple[Client, ImportVerdict]]] = {}
    for _, client, verdict in found:
        if verdict.stored is None:
            continue
        prefix = verdict.received.prefix
        held = Stored(verdict.stored, verdict.reasons, verdict.local_pref)
        stored[(session(client, prefix), prefix)] = held
        if verdict.accepted:
            by_prefix.setdefault(prefix, []).append((client, verdict))
    received: dict[str, dict[Network, frozenset[Outcome]]] = {}
    for member in scenario.members:
        peer = evaluator.client(scenario.client_key(rs, member.node))
        received[member.node] = _received_by(evaluator, peer, by_prefix)
    case_of = {c.prefix: c.name for c in scenario.cases}
    return Expected(stored, received, case_of)


def _received_by(
    evaluator: Evaluator,
    peer: Client,
    by_prefix: Mapping[Network, list[tuple[Client, ImportVerdict]]],
) -> dict[Network, frozenset[Outcome]]:
    found: dict[Network, frozenset[Outcome]] = {}
    for prefix, paths in by_prefix.items():
        ordered = sorted(paths, key=lambda item: rank(item[1]), reverse=True)
        ranks = [rank(v) for _, v in ordered]
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"{prefix}: paths of equal rank; the daemons break ties differently")
        outcome: Outcome = None
        own_first = False  # the member's own path comes before the one it may get
        for source, verdict in ordered:
            if source.key == peer.key:
                own_first = True
            outcome = evaluator.export_route(verdict, source, peer)
            if outcome is not None:
                break
        options = frozenset({None, outcome}) if own_first else frozenset({outcome})
        if options != frozenset({None}):
            found[prefix] = options
    return found


# --- differences --------------------------------------------------------------------------------


def show(route: Route | None) -> str:
    if route is None:
        return "nothing"
    path = " ".join(str(n) for n in route.as_path)
    communities = ",".join(f"{a}:{b}" for a, b in sorted(route.communities))
    large = ",".join(f"{a}:{b}:{c}" for a, b, c in sorted(route.large_communities))
    return f"[{path}] via {route.next_hop} std({communities}) large({large})"


def _stored(item: Stored | None) -> str:
    if item is None:
        return "not stored"
    state = f"filtered {[int(r) for r in item.reasons]}" if item.reasons else "accepted"
    return f"{state} {show(item.route)} local-pref {item.local_pref}"


@dataclass(frozen=True)
class Difference:
    """Where a route server (or what a member got from it) differs from ``evaluate``."""

    server: str
    prefix: Network
    text: str


def differences(expected: Expected, observed: Observed, server: str) -> list[Difference]:
    """One per difference: the case, the session or member, the prefix, both sides."""
    found = []
    for name, prefix in sorted(observed.twice, key=_order):
        text = f"{server} lists {prefix} from {name} as accepted and as filtered"
        found.append(Difference(server, prefix, text))
    for key in sorted(set(expected.stored) | set(observed.stored), key=_order):
        want, got = expected.stored.get(key), observed.stored.get(key)
        if want != got:
            name, prefix = key
            text = (
                f"{server} [{expected.case_of.get(prefix, '?')}] holds {prefix} from {name}: "
                f"expected {_stored(want)}, got {_stored(got)}"
            )
            found.append(Difference(server, prefix, text))
    for member in sorted(set(expected.received) | set(observed.received)):
        wanted = expected.received.get(member, {})
        got_all = observed.received.get(member, {})
        for prefix in sorted(set(wanted) | set(got_all), key=_prefix_order):
            allowed = wanted.get(prefix, frozenset({None}))
            got = got_all.get(prefix)
            if got not in allowed:
                options = " or ".join(sorted(show(r) for r in allowed))
                text = (
                    f"{member} from {server} [{expected.case_of.get(prefix, '?')}] {prefix}: "
                    f"expected {options}, got {show(got)}"
                )
                found.append(Difference(server, prefix, text))
    return found


def _prefix_order(prefix: Network) -> tuple[int, int, int]:
    return prefix.version, int(prefix.network_address), prefix.prefixlen


def _order(key: tuple[str, Network]) -> tuple[str, tuple[int, int, int]]:
    return key[0], _prefix_order(key[1])
