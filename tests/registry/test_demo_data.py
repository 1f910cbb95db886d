from __future__ import annotations

import datetime as dt
import ipaddress
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from ixcenter.core.asns import is_public
from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import ValidationFailed
from ixcenter.core.kinds import OrgCategory, PortKind, ServiceKind
from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.registry.demo_plan import AsnPool, plan_layout, plan_members, uscc
from ixcenter.registry.models import (
    Base,
    ExchangeCenter,
    IpAssignment,
    LongDistanceLink,
    Organisation,
    PeeringLan,
    Port,
    Service,
)
from ixcenter.registry.services import interconnects
from tests.conftest import NOW
from tests.registry_state import dump

MEMBERS = 40


@pytest.fixture
def demo(registry: Registry) -> demo_data.DemoSummary:
    return demo_data.generate(registry, seed=7, members=MEMBERS)


def _fresh(registry: Registry, sqlite_template: Path, tmp_path: Path) -> Registry:
    """A second empty registry on the same backend (PostgreSQL: the same database, emptied)."""
    if registry.dialect == "sqlite":
        path = tmp_path / "again.db"
        shutil.copyfile(sqlite_template, path)
        return Registry(f"sqlite:///{path}", clock=FixedClock(NOW))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with registry.writer.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return Registry(registry.url, clock=FixedClock(NOW))


def _canonical(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ids included; audit entries of one flush in any order.

    The audit hook walks ``session.dirty``, a set, so two updates in one flush (the ports a LAG
    bundles) are logged in an order that varies from run to run; the entries themselves do not.
    """
    state = dump(registry)
    state["audit_log"] = sorted((row[1:] for row in state["audit_log"]), key=repr)
    return state


def test_same_seed_gives_the_same_registry(
    registry: Registry, sqlite_template: Path, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    first = demo_data.generate(registry, seed=3, members=25, progress=lambda *a: calls.append(a))
    before = _canonical(registry)
    again = _fresh(registry, sqlite_template, tmp_path)
    try:
        second = demo_data.generate(again, seed=3, members=25)
        after = _canonical(again)
    finally:
        again.close()
    assert first == second
    assert before == after
    assert len(before["organisations"]) == 25
    assert calls == [(n, 25) for n in range(1, 26)]


def test_another_seed_gives_another_exchange() -> None:
    def names(seed: int) -> list[str]:
        rng = random.Random(seed)
        asns = AsnPool(rng)
        plans = plan_members(rng, plan_layout(rng, asns), MEMBERS, NOW.date(), asns)
        return [p.request.name for p in plans]

    assert names(1) == names(1)
    assert names(1) != names(2)


def test_counts_and_variety(registry: Registry, demo: demo_data.DemoSummary) -> None:
    assert demo.members == MEMBERS
    assert (demo.exchanges, demo.lans, demo.links) == (3, 3, 4)
    assert demo.assignments == demo.ports == MEMBERS
    assert demo.branches == MEMBERS // 20
    assert demo.lags >= 1
    assert demo.expired_licences >= 1
    with registry.read() as s:
        categories = set(s.scalars(select(Organisation.category)))
        kinds = Counter(s.scalars(select(Service.kind)))
        lag_speeds = s.scalars(select(Port.speed_mbps).where(Port.kind == PortKind.LAG)).all()
        speeds = set(s.scalars(select(Port.speed_mbps).where(Port.kind == PortKind.PHYSICAL)))
    assert categories == set(OrgCategory)
    assert {k for k in kinds if k.is_private} == {k for k in ServiceKind if k.is_private}
    assert kinds[ServiceKind.PUBLIC_PEERING] == 3
    assert sum(kinds.values()) - 3 == demo.interconnects
    assert all(speed % 100_000 == 0 for speed in lag_speeds)
    assert speeds <= {1_000, 10_000, 100_000, 400_000}


def test_topology(registry: Registry, demo: demo_data.DemoSummary) -> None:
    with registry.read() as s:
        centers = s.scalars(select(ExchangeCenter).order_by(ExchangeCenter.code)).all()
        assert len({c.province for c in centers}) == 3
        for center in centers:
            assert center.country == "CN"
            assert center.rs_asn is not None and is_public(center.rs_asn)
            assert 2 <= len(center.nodes) <= 4
            assert len({n.city for n in center.nodes}) == len(center.nodes)
            for node in center.nodes:
                assert 1 <= len(node.switches) <= 2
                assert node.latitude is not None and 18 < node.latitude < 54
                assert node.longitude is not None and 73 < node.longitude < 135
                assert node.facility
            (lan,) = center.lans
            v4 = ipaddress.ip_network(lan.ipv4_prefix or "")
            v6 = ipaddress.ip_network(lan.ipv6_prefix or "")
            assert v4.subnet_of(ipaddress.IPv4Network("100.64.0.0/10"))
            assert v6.subnet_of(ipaddress.IPv6Network("2001:db8::/32"))
            purposes = Counter(r.purpose for r in lan.reservations)
            assert purposes == {
                "route server rs1": 2,
                "route server rs2": 2,
                "blackhole next hop": 2,
            }
        links = s.scalars(select(LongDistanceLink)).all()
    crossing = [link for link in links if link.cross_border]
    assert len(crossing) == 1
    assert crossing[0].b_exchange_id is None
    assert crossing[0].remote_country not in {None, "CN", "HK", "MO", "TW"}
    domestic = [link for link in links if not link.cross_border]
    assert {frozenset((x.a_exchange_id, x.b_exchange_id)) for x in domestic} == {
        frozenset((a.id, b.id)) for a in centers for b in centers if a.id < b.id
    }
    assert all(5 < link.latency_ms < 40 and link.capacity_mbps >= 100_000 for link in links)


def test_members_are_connected_by_the_rules(
    registry: Registry, demo: demo_data.DemoSummary
) -> None:
    today = registry.clock.today()
    with registry.read() as s:
        organisations = s.scalars(select(Organisation)).all()
        asns = [a.asn for o in organisations for a in o.asns]
        assert len(asns) == len(set(asns)) == MEMBERS
        assert all(is_public(asn) for asn in asns)
        for org in organisations:
            assert org.licence_number and org.licence_expires
            (port,) = org.ports
            (assignment,) = port.assignments
            lan = assignment.lan
            assert lan.exchange_id == port.switch.node.exchange_id
            assert assignment.ipv4 and assignment.ipv6
            assert ipaddress.ip_address(assignment.ipv4) in ipaddress.ip_network(lan.ipv4_prefix)
            assert ipaddress.ip_address(assignment.ipv6) in ipaddress.ip_network(lan.ipv6_prefix)
            assert assignment.ipv4 not in {r.address for r in lan.reservations}
            assert port.macs
            assert interconnects.committed_on(s, port.id) <= port.speed_mbps
        expired = [o for o in organisations if o.licence_expires and o.licence_expires < today]
        assert 1 <= len(expired) <= MEMBERS // 10
        branches = [o for o in organisations if o.name.endswith(" Branch")]
        for branch in branches:
            parent = next(o for o in organisations if branch.name.startswith(o.name + " "))
            assert parent.category == branch.category
            centers = {p.switch.node.exchange_id for p in (*parent.ports, *branch.ports)}
            assert len(centers) == 2
        addresses = s.scalars(select(IpAssignment.ipv4)).all()
        assert len(addresses) == len(set(addresses))
        assert s.scalars(select(PeeringLan)).all()


def test_every_licence_number_is_well_formed(registry: Registry) -> None:
    demo_data.generate(registry, seed=11, members=12)
    with registry.read() as s:
        numbers = s.scalars(select(Organisation.licence_number)).all()
    for number in numbers:
        assert number is not None and len(number) == 18
        assert uscc(_Replay(number[8:17]), number[:2], number[2:8]) == number


def test_gb_32100_example_check_character() -> None:
    assert uscc(_Replay("M000100Y4"), "91", "350100") == "91350100M000100Y43"


class _Replay(random.Random):
    """A generator that 'chooses' the given characters, to recompute a check character."""

    def __init__(self, characters: str) -> None:
        super().__init__(0)
        self._left = list(characters)

    def choice(self, seq: object) -> str:  # type: ignore[override]
        return self._left.pop(0)


def test_tiny_and_empty_exchanges(registry: Registry) -> None:
    summary = demo_data.generate(registry, seed=5, members=3)
    assert (summary.members, summary.lags, summary.branches) == (3, 1, 0)
    assert summary.interconnects >= 1


def test_refuses_a_registry_that_is_not_empty(registry: Registry) -> None:
    demo_data.generate(registry, seed=1, members=0)
    before = dump(registry)
    with pytest.raises(ValidationFailed, match="empty registry"):
        demo_data.generate(registry, seed=1, members=5)
    assert dump(registry) == before


def test_licence_dates_follow_the_registry_clock(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "later.db"
    shutil.copyfile(sqlite_template, path)
    later = FixedClock(NOW + dt.timedelta(days=3650))
    registry = Registry(f"sqlite:///{path}", clock=later)
    try:
        demo_data.generate(registry, seed=2, members=20)
        with registry.read() as s:
            dates = s.scalars(select(Organisation.licence_expires)).all()
    finally:
        registry.close()
    valid = [d for d in dates if d is not None and d >= later.today()]
    assert len(valid) >= len(dates) - 2


@pytest.mark.parametrize("centers", [1, 2])
def test_fewer_centers(registry: Registry, centers: int) -> None:
    summary = demo_data.generate(registry, seed=5, members=12, centers=centers)
    with registry.read() as s:
        codes = s.scalars(select(ExchangeCenter.code)).all()
        links = s.scalars(select(LongDistanceLink)).all()
        lans = {a.lan.exchange.code for a in s.scalars(select(IpAssignment))}
    assert len(codes) == centers
    assert lans <= set(codes) and len(lans) == centers  # members at every center
    domestic = [link for link in links if link.b_exchange_id is not None]
    assert len(domestic) == (1 if centers == 2 else 0)
    assert summary.members == 12


def test_centers_out_of_range(registry: Registry) -> None:
    for centers in (0, 4):
        with pytest.raises(ValidationFailed, match="centers"):
            demo_data.generate(registry, seed=5, members=3, centers=centers)
