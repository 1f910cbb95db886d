"""The gravity model and the attack schedule: pure functions, worked out by hand here."""

from __future__ import annotations

import ipaddress
import itertools
import math

import pytest

from ixcenter.core.errors import FormatError, NotFound, ValidationFailed
from ixcenter.lab.traffic import (
    Knobs,
    Member,
    SenderPlan,
    attack_schedule,
    gravity,
    plan,
    streams,
)


def member(name: str, size: float, n: int, *, v4: bool = True, v6: bool = True) -> Member:
    return Member(
        name,
        size,
        ipaddress.IPv4Address(f"192.0.2.{n}") if v4 else None,
        ipaddress.IPv6Address(f"2001:db8::{n}") if v6 else None,
    )


MEMBERS = (member("big", 100, 1), member("mid", 40, 2), member("small", 10, 3))


def test_gravity_shares_are_products_of_sizes() -> None:
    shares = gravity(MEMBERS)
    # ordered pairs: big-mid 4000, big-small 1000, mid-small 400, each both ways
    total = 2 * (4000 + 1000 + 400)
    assert set(shares) == {(a, b) for a, b in itertools.permutations(["big", "mid", "small"], 2)}
    assert shares[("big", "mid")] == pytest.approx(4000 / total)
    assert shares[("mid", "big")] == pytest.approx(4000 / total)
    assert shares[("small", "mid")] == pytest.approx(400 / total)
    assert math.fsum(shares.values()) == pytest.approx(1.0)


def test_pairs_without_a_common_family_or_size_get_nothing() -> None:
    only6 = member("only6", 50, 4, v4=False)
    only4 = member("only4", 50, 5, v6=False)
    idle = member("idle", 0, 6)
    shares = gravity([only6, only4, idle, MEMBERS[0]])
    assert ("only6", "only4") not in shares and ("only4", "only6") not in shares
    assert not any("idle" in pair for pair in shares)
    assert shares[("only6", "big")] == pytest.approx(shares[("only4", "big")])


def test_gravity_refuses_duplicates_and_members_without_addresses() -> None:
    with pytest.raises(ValidationFailed) as caught:
        gravity([MEMBERS[0], MEMBERS[0], member("x", 1, 9, v4=False, v6=False)])
    assert len(caught.value.problems) == 2


def test_streams_carry_the_total_split_by_family() -> None:
    knobs = Knobs(total_pps=1000, ipv6_share=0.25)
    found = streams(MEMBERS, knobs)
    assert math.fsum(s.pps for s in found) == pytest.approx(1000)
    v6 = math.fsum(s.pps for s in found if s.address.version == 6)
    assert v6 == pytest.approx(250)
    first = found[0]  # the largest pair comes first
    assert (first.src, first.dst) == ("big", "mid")
    assert first.address == MEMBERS[1].ipv4
    assert all(s.src != s.dst for s in found)


def test_a_member_without_ipv6_gets_its_share_over_ipv4() -> None:
    members = [MEMBERS[0], member("v4only", 100, 7, v6=False)]
    found = streams(members, Knobs(total_pps=100, ipv6_share=0.5))
    assert {(s.src, s.dst, s.address.version) for s in found} == {
        ("big", "v4only", 4),
        ("v4only", "big", 4),
    }
    assert [s.pps for s in found] == [pytest.approx(50), pytest.approx(50)]


def test_the_attack_schedule_is_fixed_by_the_seed() -> None:
    knobs = Knobs(attack_every_s=30, attack_s=5, attack_sources=2, attack_pps=600)
    first = attack_schedule(MEMBERS, knobs, seed=7, period_s=120)
    assert first == attack_schedule(MEMBERS, knobs, seed=7, period_s=120)
    assert first != attack_schedule(MEMBERS, knobs, seed=8, period_s=120)
    assert len(first) == 4
    for slot, attack in enumerate(first):
        assert slot * 30 <= attack.start_s <= slot * 30 + 25  # the burst fits in its slot
        assert attack.victim not in attack.sources
        assert len(attack.sources) == 2
        assert attack.pps == pytest.approx(300)
        victim = next(m for m in MEMBERS if m.name == attack.victim)
        assert attack.address == victim.ipv4
        assert attack.active(attack.start_s) and not attack.active(attack.start_s + 5)


def test_no_attack_when_the_period_is_shorter_than_a_slot_or_the_rate_is_zero() -> None:
    assert attack_schedule(MEMBERS, Knobs(attack_every_s=60), seed=1, period_s=59) == ()
    assert attack_schedule(MEMBERS, Knobs(attack_pps=0), seed=1, period_s=600) == ()
    assert attack_schedule(MEMBERS[:1], Knobs(), seed=1, period_s=600) == ()


def test_knobs_report_every_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan(MEMBERS, Knobs(total_pps=-1, ipv6_share=2, ports=(), attack_s=100))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"total_pps", "ipv6_share", "ports", "attack_s"}


def test_a_sender_plan_has_its_own_streams_and_attacks_and_round_trips() -> None:
    whole = plan(MEMBERS, Knobs(attack_every_s=10, attack_s=2), seed=3, period_s=40)
    source = whole.attacks[0].sources[0]
    mine = whole.sender(source, epoch=1_700_000_000.5, duration_s=30)
    assert mine.streams and all(s.src == source for s in mine.streams)
    assert mine.attacks and all(source in a.sources for a in mine.attacks)
    assert set(mine.sink_ports) == {*Knobs().ports, Knobs().attack_port}
    assert SenderPlan.from_json(mine.to_json()) == mine
    assert whole.pair_pps()[("big", "mid")] == pytest.approx(2000 * 4000 / 10800)


def test_a_broken_sender_plan_is_a_format_error() -> None:
    document = plan(MEMBERS).sender("big", epoch=0).to_json()
    del document["streams"][0]["address"]
    with pytest.raises(FormatError):
        SenderPlan.from_json(document)
    with pytest.raises(NotFound):
        plan(MEMBERS).sender("nobody", epoch=0)
