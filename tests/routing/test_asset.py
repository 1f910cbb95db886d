from __future__ import annotations

import ipaddress

import pytest

from ixcenter.routing.irr.asset import Limits
from ixcenter.routing.irr.rpsl import AsSet, Route, parse_rpsl
from ixcenter.routing.irr.store import IrrStore


def _store(*sets: tuple[str, str, str], preference: tuple[str, ...] = ("RIPE", "RADB")) -> IrrStore:
    store = IrrStore(preference)
    for name, members, source in sets:
        listed = tuple(m.strip().upper() for m in members.split(",") if m.strip())
        store.add(AsSet(name.upper(), listed, source))
    return store


def test_nested_sets_expand_recursively() -> None:
    store = _store(
        ("AS-TOP", "AS1, AS-MID, as64500:as-customers", "RIPE"),
        ("AS-MID", "AS2, AS-LEAF", "RIPE"),
        ("AS-LEAF", "AS3, AS2", "RIPE"),
        ("AS64500:AS-CUSTOMERS", "AS4", "RIPE"),
    )
    found = store.origins_of_set("as-top")
    assert found.asns == {1, 2, 3, 4}
    assert found.complete and not found.problems
    assert store.origins_of_set("AS-LEAF").asns == {2, 3}
    assert store.origins_of_set("AS64500").asns == {64500}


def test_a_loop_is_reported_and_expanded_once() -> None:
    store = _store(
        ("AS-A", "AS1, AS-B", "RIPE"),
        ("AS-B", "AS2, AS-C", "RIPE"),
        ("AS-C", "AS3, AS-A", "RIPE"),
        ("AS-SELF", "AS9, AS-SELF", "RIPE"),
    )
    for name in ("AS-A", "AS-B", "AS-C"):
        found = store.origins_of_set(name)
        assert found.asns == {1, 2, 3}
        assert found.complete
        (loop,) = found.problems
        assert loop.code == "as-set-loop"
        assert loop.message == "loop: AS-A > AS-B > AS-C > AS-A"
    (self_loop,) = store.origins_of_set("AS-SELF").problems
    assert self_loop.message == "loop: AS-SELF > AS-SELF"


def test_problems_carry_the_path_from_the_expanded_set() -> None:
    store = _store(
        ("AS-TOP", "AS1, AS-MID, AS-GONE", "RIPE"),
        ("AS-MID", "AS2, RS-ROUTES, AS-ANY", "RIPE"),
    )
    found = store.origins_of_set("AS-TOP")
    assert found.asns == {1, 2}
    problems = {(p.field, p.code) for p in found.problems}
    assert problems == {
        ("AS-TOP", "as-set-not-found"),
        ("AS-TOP > AS-MID", "as-set-route-set-member"),
        ("AS-TOP > AS-MID", "as-set-any"),
    }
    missing = store.origins_of_set("AS-NOWHERE")
    assert not missing.complete and missing.asns == frozenset()
    assert missing.problems[0].code == "as-set-not-found"


def _chain(length: int) -> IrrStore:
    sets = [(f"AS-L{i}", f"AS{i + 1}, AS-L{i + 1}", "RIPE") for i in range(length)]
    sets.append((f"AS-L{length}", f"AS{length + 1}", "RIPE"))
    return _store(*sets)


def test_depth_limit_stops_with_the_path() -> None:
    store = _chain(10)
    assert store.origins_of_set("AS-L0").asns == set(range(1, 12))
    found = store.origins_of_set("AS-L0", limits=Limits(max_depth=3))
    assert not found.complete
    assert found.asns == {1, 2, 3}
    (problem,) = found.problems
    assert problem.code == "as-set-too-deep"
    assert problem.field == "AS-L0 > AS-L1 > AS-L2 > AS-L3"
    # a set deep inside but within the limit from its own root is fine
    assert store.origins_of_set("AS-L8", limits=Limits(max_depth=3)).complete


def test_depth_limit_uses_the_shortest_path() -> None:
    store = _store(
        ("AS-ROOT", "AS-A, AS-DEEP", "RIPE"),
        ("AS-A", "AS-B", "RIPE"),
        ("AS-B", "AS-DEEP", "RIPE"),
        ("AS-DEEP", "AS7", "RIPE"),
    )
    found = store.origins_of_set("AS-ROOT", limits=Limits(max_depth=3))
    assert found.asns == {7}
    assert found.complete and not found.problems


def test_size_limit() -> None:
    members = ", ".join(f"AS{i}" for i in range(1, 51))
    store = _store(("AS-BIG", f"{members}, AS-MORE", "RIPE"), ("AS-MORE", "AS100, AS101", "RIPE"))
    found = store.origins_of_set("AS-BIG", limits=Limits(max_size=51))
    assert not found.complete and len(found.asns) == 51
    (problem,) = found.problems
    assert (problem.field, problem.code) == ("AS-BIG > AS-MORE", "as-set-too-large")
    assert store.origins_of_set("AS-BIG", limits=Limits(max_size=52)).complete


def test_source_preference() -> None:
    store = _store(
        ("AS-X", "AS1, AS-Y", "RADB"),
        ("AS-X", "AS2", "RIPE"),
        ("AS-Y", "AS3", "RADB"),
    )
    assert store.sources == ("RIPE", "RADB")
    assert store.origins_of_set("AS-X").asns == {2}
    assert store.origins_of_set("AS-X", sources=["RADB"]).asns == {1, 3}
    assert store.origins_of_set("AS-X", sources=["radb", "ripe"]).asns == {1, 3}
    assert not store.origins_of_set("AS-Y", sources=["RIPE"]).complete


def test_memo_is_dropped_when_the_store_changes() -> None:
    store = _store(("AS-X", "AS1", "RIPE"))
    assert store.origins_of_set("AS-X").asns == {1}
    store.add(AsSet("AS-X", ("AS2",), "RIPE"))
    assert store.origins_of_set("AS-X").asns == {2}


def test_routes_by_origin_per_family_and_source() -> None:
    objects, problems = parse_rpsl(
        """\
route: 192.0.2.0/24
origin: AS1
source: RIPE

route: 192.0.2.0/24
origin: AS1
source: RADB

route: 198.51.100.0/24
origin: AS1
source: RADB

route6: 2001:db8::/32
origin: AS1
source: RIPE

route: 203.0.113.0/24
origin: AS2
source: RIPE
"""
    )
    assert not problems
    store = IrrStore(["RIPE"])
    store.load(objects)
    net = ipaddress.ip_network
    assert store.routes(1, 4) == (net("192.0.2.0/24"), net("198.51.100.0/24"))
    assert store.routes(1, 4, sources=["RIPE"]) == (net("192.0.2.0/24"),)
    assert store.routes(1, 6) == (net("2001:db8::/32"),)
    assert store.routes(3, 4) == ()
    assert store.prefixes_of_asns({1, 2}, 4) == (
        net("192.0.2.0/24"),
        net("198.51.100.0/24"),
        net("203.0.113.0/24"),
    )
    assert store.counts() == {"as-set": 0, "route": 4, "route6": 1, "aut-num": 0}


@pytest.mark.parametrize("width", [1000])
def test_wide_nested_sets(width: int) -> None:
    store = IrrStore(["RIPE"])
    for i in range(width):
        store.add(AsSet(f"AS-M{i}", (f"AS{i + 1}", f"AS-M{(i + 1) % width}"), "RIPE"))
        store.add(Route(ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24"), i + 1, "RIPE"))
    found = store.origins_of_set("AS-M0", limits=Limits(max_depth=2000))
    assert len(found.asns) == width
    assert [p.code for p in found.problems] == ["as-set-loop"]
    assert len(store.prefixes_of_asns(found.asns, 4)) == width
