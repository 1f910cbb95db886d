"""The looking glass snapshot of real route servers: rs1 (BIRD 2) and rs2 (OpenBGPD) of the
small exchange in ``tests.routing.control.scenario``, with two BIRD members on an emulated LAN.

rs1 rejects 198.51.100.0/25 with ``import keep filtered`` and tags it ``64500:1101:5``; rs2 denies
it without keeping a RIB of filtered routes (so the snapshot finds it as Adj-RIB-In minus
Loc-RIB, with no reason to tell).
"""

from __future__ import annotations

import ipaddress

import pytest

from ixcenter.routing.lg_snapshot import BgpctlReader, BirdReader, Snapshot, SnapshotRefresher
from ixcenter.routing.policy.reasons import Reason
from tests.lab.livelab import wait_for
from tests.routing.control import scenario
from tests.routing.control.conftest import exchange
from tests.routing.control.scenario import FILTERED, M1_V4, M1_V6, M2_ONLY, RS_ASN

pytestmark = pytest.mark.live

__all__ = ["exchange"]  # the live exchange of tests.routing.control, one per module

M1, M1_6, M2 = "AS64511 router 1", "AS64511 router 1 v6", "192.0.2.12"


def _complete(snapshot: Snapshot) -> bool:
    """Every route of the scenario has reached both route servers."""
    wanted = {(M1_V4, 4), (FILTERED, 2), (M1_V6, 2), (M2_ONLY, 2)}
    for prefix, count in wanted:
        match = snapshot.index.longest_match(prefix)
        if match is None or match.prefix != prefix or len(match.paths) != count:
            return False
    return True


@pytest.fixture(scope="module")
def snapshot(exchange: scenario.Exchange) -> Snapshot:
    refresher = SnapshotRefresher(
        lambda: [
            BirdReader("rs1", exchange.rs1.socket, RS_ASN),
            BgpctlReader("rs2", exchange.rs2.socket, RS_ASN),
        ]
    )
    wait_for(lambda: _complete(refresher.refresh()), what="every route in the snapshot")
    return refresher.current


def test_prefix_lookup_answers_every_path_of_both_route_servers(snapshot: Snapshot) -> None:
    match = snapshot.index.longest_match("203.0.113.5")
    assert match is not None and match.prefix == M1_V4
    paths = {(p.server, p.session): p for p in match.paths}
    assert set(paths) == {("rs1", "m1"), ("rs1", "m2"), ("rs2", M1), ("rs2", M2)}
    assert all(p.accepted and not p.reasons for p in paths.values())
    m1 = paths[("rs1", "m1")]
    assert m1.peer_asn == 64511 and m1.route.best  # m2's path is prepended: longer
    assert m1.route.as_path == (64511,)
    assert m1.route.next_hop == ipaddress.ip_address("192.0.2.11")
    assert m1.route.communities == ((64511, 100),)
    assert m1.route.large_communities == ((64511, 1, 2),)
    assert paths[("rs1", "m2")].route.as_path == (64512, 64512)
    assert paths[("rs2", M2)].peer_asn == 64512
    assert [p.server for p in match.paths] == ["rs1", "rs1", "rs2", "rs2"]

    other = snapshot.index.longest_match("203.0.113.200")
    assert other is not None and other.prefix == M2_ONLY
    assert {(p.server, p.peer_asn) for p in other.paths} == {("rs1", 64512), ("rs2", 64512)}


def test_filtered_paths_carry_their_reasons(snapshot: Snapshot) -> None:
    match = snapshot.index.longest_match("198.51.100.77")
    assert match is not None and match.prefix == FILTERED
    paths = {p.server: p for p in match.paths}
    assert paths["rs1"].reasons == (Reason.AS_PATH_TOO_LONG,)
    assert paths["rs1"].route.filtered and not paths["rs1"].route.best
    assert paths["rs2"].session == M1 and not paths["rs2"].accepted
    assert paths["rs2"].reasons == ()  # rs2 here keeps no tagged copy
    assert snapshot.index.longest_match("198.51.100.200") is None


def test_ipv6_and_member_views(snapshot: Snapshot) -> None:
    match = snapshot.index.longest_match("2001:db8:1fff::1")
    assert match is not None and match.prefix == M1_V6
    assert {(p.server, p.session) for p in match.paths} == {("rs1", "m1_6"), ("rs2", M1_6)}
    mine = snapshot.index.member("rs1", [64511])
    assert sorted((str(p.route.prefix), p.accepted) for p in mine) == [
        (str(FILTERED), False),
        ("2001:db8:1000::/36", True),
        (str(M1_V4), True),
    ]
    assert snapshot.index.counts("rs1", "m1") == (1, 1)
    sessions = {s.name: s for s in snapshot.servers["rs1"].sessions}
    assert sessions["m1"].established and not sessions["silent"].established
    assert snapshot.servers["rs2"].daemon == "openbgpd" and snapshot.servers["rs2"].error is None
