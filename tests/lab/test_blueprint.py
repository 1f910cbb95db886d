"""The lab's plan from a demo registry, and its announcements judged by the real compiler and
the reference evaluator: good routes accepted, every planted mistake filtered for its reason."""

from __future__ import annotations

import pytest

from ixcenter.lab.announcements import MISTAKES, member_blocks, plan_announcements
from ixcenter.lab.blueprint import Blueprint, read_blueprint
from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.evaluate import Evaluator
from ixcenter.routing.policy.inputs import read_inputs
from ixcenter.routing.rpki.validation import VrpIndex


@pytest.fixture
def blueprint(registry: Registry) -> Blueprint:
    demo_data.generate(registry, seed=4, members=30, centers=2)
    return read_blueprint(registry)


def test_blueprint_of_a_demo_registry(registry: Registry, blueprint: Blueprint) -> None:
    assert [c.code for c in blueprint.centers] == sorted(c.code for c in blueprint.centers)
    assert len(blueprint.centers) == 2
    (link,) = blueprint.links
    assert {link.a, link.b} == {c.code for c in blueprint.centers} and link.latency_ms > 1
    with registry.read() as s:
        for center in blueprint.centers:
            inputs = read_inputs(s, center.code)
            assert {p.router for p in center.routers} == set(inputs.routers)
            rs1, rs2 = center.route_servers["rs1"], center.route_servers["rs2"]
            assert center.ipv4 is not None and rs1[0] == center.ipv4.network_address + 1
            assert center.ipv6 is not None and rs2[1] == center.ipv6.network_address + 2
            assert {p.site for p in center.routers} <= {s.code for s in center.sites}
            assert center.sites[0].code in {p.site for p in center.routers}
            assert all(p.mac and p.speed_mbps > 0 for p in center.routers)
            far = center.sites[-1].code
            assert center.site_latency_ms(center.sites[0].code, far) >= 0
    keys = [p.key for p in blueprint.routers]
    assert len(keys) == len(set(keys))


def test_limit_keeps_the_fastest_ports(registry: Registry, blueprint: Blueprint) -> None:
    small = read_blueprint(registry, limit=3)
    for full, cut in zip(blueprint.centers, small.centers, strict=True):
        assert len(cut.routers) == min(3, len(full.routers))
        fastest = sorted((p.speed_mbps for p in full.routers), reverse=True)[:3]
        assert sorted((p.speed_mbps for p in cut.routers), reverse=True) == fastest


def test_member_blocks_do_not_overlap() -> None:
    blocks = [member_blocks(i) for i in (0, 1, 255, 256, 10_239)]
    for n, (v4, v6) in enumerate(blocks):
        for w4, w6 in blocks[n + 1 :]:
            assert not v4.overlaps(w4) and not v6.overlaps(w6)
        assert v4.is_global and v6.is_global
    with pytest.raises(ValueError, match="at most"):
        member_blocks(10_240)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_announcements_filtered_exactly_where_planted(
    registry: Registry, blueprint: Blueprint, seed: int
) -> None:
    plan = plan_announcements(blueprint.routers, seed=seed)
    assert plan_announcements(blueprint.routers, seed=seed) == plan  # deterministic
    assert {m.kind for m in plan.mistakes} == set(MISTAKES)  # every kind shows
    objects, problems = parse_rpsl(plan.rpsl, where="lab.rpsl")
    assert not problems
    irr = IrrStore()
    irr.load(objects)
    vrps = VrpIndex(plan.vrps)
    mistakes = {(m.router, m.route.prefix): m for m in plan.mistakes}
    judged = 0
    for center in blueprint.centers:
        with registry.read() as s:
            lan = read_inputs(s, center.code).lan
        routers = tuple(p.router for p in center.routers)
        rs = compile_route_server(lan, routers, irr, name="rs1")
        evaluator = Evaluator(rs, vrps)
        keys = {(c.asn, c.ipv4): c for c in rs.clients}
        for place in center.routers:
            client = keys.get((place.router.asn, place.router.ipv4))
            if client is None:
                assert not place.router.rs_participation
                continue
            for route in plan.routes[place.key]:
                verdict = evaluator.import_route(client, route)
                mistake = mistakes.get((place.key, route.prefix))
                if mistake is None:
                    assert verdict.accepted, (place.key, route, verdict.reasons)
                else:
                    assert mistake.reason in verdict.reasons, (mistake, verdict.reasons)
                judged += 1
    assert judged >= 3 * 30
