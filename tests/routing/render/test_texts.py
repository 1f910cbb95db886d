"""Packed prefix rules render exactly as the same rules one by one, cached or not."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.routing.policy.model import RouteServer
from ixcenter.routing.policy.rules import PrefixRules
from ixcenter.routing.render.bird import render_bird
from ixcenter.routing.render.openbgpd import render_openbgpd
from ixcenter.routing.render.texts import FILE_NAME, KEEP, TextCache
from tests.routing.render.test_bird import reference_route_server

SOCKET = "/run/ixc/bgpd.sock"


@st.composite
def keys(draw: st.DrawFn, version: int) -> tuple[int, ...]:
    """Sorted unique prefix keys: nested prefixes, same start with several lengths, and for
    IPv6 the IPv4-mapped and -compatible ranges that print with a dotted tail."""
    bits = 32 if version == 4 else 128
    found: set[int] = set()
    for _ in range(draw(st.integers(0, 12))):
        length = draw(st.integers(0, bits))
        address = draw(st.integers(0, 2**bits - 1))
        if version == 6 and draw(st.booleans()):
            address = (
                (0xFFFF << 32 | address & 0xFFFFFFFF) if draw(st.booleans()) else address >> 96
            )
        address &= ~((1 << (bits - length)) - 1) & (2**bits - 1)
        found.add(address << 8 | length)
        if length < bits and draw(st.booleans()):  # a more specific at the same start
            found.add(address << 8 | draw(st.integers(length + 1, bits)))
    return tuple(sorted(found))


def with_rules(rs: RouteServer, packed: list[PrefixRules], as_tuples: bool) -> RouteServer:
    """``rs`` with the IRR rules of its first clients replaced (routers of a member share)."""
    shared = {id(p): tuple(p) if as_tuples else p for p in packed}
    clients = [
        dataclasses.replace(c, allowed_prefixes=shared[id(packed[min(i, len(packed) - 1)])])
        for i, c in enumerate(rs.clients)
    ]
    return dataclasses.replace(rs, clients=tuple(clients))


rules_strategy = st.builds(
    PrefixRules,
    keys(4),
    keys(6),
    longest4=st.one_of(st.none(), st.sampled_from((24, 32)), st.integers(0, 32)),
    longest6=st.one_of(st.none(), st.sampled_from((48, 128)), st.integers(0, 128)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(rules_strategy, min_size=1, max_size=3))
def test_packed_rules_render_byte_for_byte_as_rule_tuples(packed: list[PrefixRules]) -> None:
    rs = reference_route_server()
    packed_rs, plain_rs = with_rules(rs, packed, False), with_rules(rs, packed, True)
    texts = TextCache()
    for _ in range(2):  # a cold and a warm text cache
        assert render_bird(packed_rs, texts=texts) == render_bird(plain_rs)
        assert render_openbgpd(packed_rs, socket_path=SOCKET, texts=texts) == render_openbgpd(
            plain_rs, socket_path=SOCKET
        )


def test_the_text_cache_is_keyed_by_the_rules_not_by_the_client(tmp_path: Path) -> None:
    rs = reference_route_server()
    exact = PrefixRules((11 << 24 << 8 | 16,), (), longest4=None)
    longer = PrefixRules((11 << 24 << 8 | 16,), (), longest4=24)
    texts = TextCache()
    first = render_bird(with_rules(rs, [exact], False), texts=texts)
    texts.write(tmp_path / FILE_NAME)
    again = TextCache.read(tmp_path / FILE_NAME)
    # same prefixes, another longest length: rendered again, never the stored text
    assert render_bird(with_rules(rs, [longer], False), texts=again) == render_bird(
        with_rules(rs, [longer], True)
    )
    assert "11.0.0.0/16{16,24}" in render_bird(with_rules(rs, [longer], False), texts=again)
    assert render_bird(with_rules(rs, [exact], False), texts=again) == first


def test_text_cache_round_trip_and_pruning(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    texts = TextCache()
    assert texts.text("a", lambda: "alpha\n") == "alpha\n"
    assert texts.text("b", lambda: "bravo ü") == "bravo ü"
    texts.write(path)
    stored = path.read_bytes()
    again = TextCache.read(path)
    assert len(again) == 2
    assert again.text("a", lambda: "other") == "alpha\n"  # from the file
    assert again.text("b", lambda: "other") == "bravo ü"
    again.write(path)
    assert path.read_bytes() == stored  # nothing new: the file is left as it was
    for step in range(KEEP):  # builds that render something new but do not use "b"
        assert TextCache.read(path).text("b", lambda: "gone") == "bravo ü"
        build = TextCache.read(path)
        assert build.text("a", lambda: "other") == "alpha\n"
        build.text(f"new {step}", lambda: "new")
        build.write(path)
    final = TextCache.read(path)
    assert final.text("b", lambda: "gone") == "gone"  # dropped by the KEEP-th such write
    assert final.text("a", lambda: "other") == "alpha\n"


def test_an_unreadable_text_cache_is_empty(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(b"IXC-TEXT-CACHE 2\n\x05")
    assert len(TextCache.read(path)) == 0
    path.write_text("{}")
    assert TextCache.read(path).text("a", lambda: "fresh") == "fresh"


def test_blackholes_may_lie_anywhere_in_the_outermost_prefix() -> None:
    """A route object and a more specific one at the same address: the blackhole set of rs1
    holds the outer one (as rs2's roots and the evaluator do), not the more specific."""
    rules = PrefixRules((10 << 24 << 8 | 16, 10 << 24 << 8 | 24))
    rs = reference_route_server()
    for as_tuples in (False, True):
        text = render_bird(with_rules(rs, [rules], as_tuples))
        assert "AS1001_1_bh4 = [ 10.0.0.0/16+ ];" in text.replace("\n", " ")
    assert "\t10.0.0.0/16\n" in render_openbgpd(with_rules(rs, [rules], False), socket_path=SOCKET)
