"""Every scenario case does what it says, by ``evaluate.py`` (no daemons): its first route is
tagged with exactly the reasons the case names, exported to exactly the members it names, and
the path it names wins. The live tests then hold both daemons to ``evaluate.py``."""

from __future__ import annotations

import pytest

from ixcenter.routing.policy.evaluate import rank
from tests.routing.scenarios import communities, filters, variants
from tests.routing.scenarios.expectation import expect, verdicts
from tests.routing.scenarios.scenario import ROUTE_SERVERS, Case, ScenarioSet

SETS = (filters.SCENARIO, communities.SCENARIO, variants.SCENARIO)


def _cases() -> list[object]:
    return [
        pytest.param(scenario, c, id=f"{scenario.name}: {c.name}")
        for scenario in SETS
        for c in scenario.cases
    ]


@pytest.mark.parametrize(("scenario", "case"), _cases())
def test_case_intent(scenario: ScenarioSet, case: Case) -> None:
    rs = scenario.route_server("rs1")
    evaluator, found = verdicts(scenario, rs)
    ours = [
        (node, client, verdict)
        for node, client, verdict in found
        if verdict.received.prefix == case.prefix
    ]
    _, client, first = ours[0]
    assert first.discarded is case.discarded
    assert tuple(int(r) for r in first.reasons) == tuple(int(r) for r in case.reasons)
    receivers = set()
    for member in scenario.members:
        peer = evaluator.client(scenario.client_key(rs, member.node))
        if evaluator.export_route(first, client, peer) is not None:
            receivers.add(member.node)
    assert receivers == set(case.receivers)
    if case.wins is not None:
        best = max(ours, key=lambda item: rank(item[2]))
        assert best[0] == case.wins


@pytest.mark.parametrize("scenario", SETS, ids=lambda s: s.name)
def test_both_route_servers_expect_the_same(scenario: ScenarioSet) -> None:
    """rs1 and rs2 differ in their addresses only: evaluate predicts the same for both."""
    one, two = (expect(scenario, scenario.route_server(name)) for name in ROUTE_SERVERS)
    assert one.stored == two.stored
    assert one.received == two.received
    assert one.stored  # the scenario does something


@pytest.mark.parametrize("scenario", SETS, ids=lambda s: s.name)
def test_every_member_receives_something_and_every_filter_has_a_case(
    scenario: ScenarioSet,
) -> None:
    expected = expect(scenario, scenario.route_server("rs1"))
    assert all(expected.received[m.node] for m in scenario.members)
    if scenario is filters.SCENARIO:
        tagged = {r for stored in expected.stored.values() for r in stored.reasons}
        assert tagged == set(range(1, 16)) - {11, 12}  # 11, 12: Euro-IX codes we never use
