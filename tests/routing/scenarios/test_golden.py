"""The configs each scenario set's route servers run, kept as reviewed golden files.

rs1's bird.conf and rs2's bgpd.conf of every scenario set, compiled from the set's plain inputs
and IRR text exactly as the live tests do (only the log and socket paths differ: the live tests
use their temporary directory). Regenerate after a reviewed change with
``pytest tests/routing/scenarios/test_golden.py --update-golden``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ixcenter.routing.render.bird import render_bird
from ixcenter.routing.render.openbgpd import render_openbgpd
from tests.routing.scenarios import communities, filters, variants
from tests.routing.scenarios.scenario import ScenarioSet

GOLDEN = Path(__file__).parent / "golden"
SETS = (filters.SCENARIO, communities.SCENARIO, variants.SCENARIO)
SOCKET = "/var/lib/ixcenter/route-servers/LAB-rs2/bgpd.sock"  # as `ixc rs build` lays it out


def rendered(scenario: ScenarioSet, daemon: str) -> str:
    if daemon == "bird":
        return render_bird(scenario.route_server("rs1"))
    return render_openbgpd(scenario.route_server("rs2"), socket_path=SOCKET)


@pytest.mark.parametrize("daemon", ["bird", "openbgpd"])
@pytest.mark.parametrize("scenario", SETS, ids=lambda s: s.name)
def test_rendered_config_equals_golden_file(
    scenario: ScenarioSet, daemon: str, request: pytest.FixtureRequest
) -> None:
    text = rendered(scenario, daemon)
    golden = GOLDEN / daemon / f"{scenario.name}.conf"
    if request.config.getoption("update_golden", default=False):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} missing: run with --update-golden and review it"
    assert text == golden.read_text(encoding="utf-8")


def test_rendering_is_deterministic() -> None:
    """Two compilations of the same inputs give the same bytes (else golden files would flap)."""
    for scenario in SETS:
        for daemon in ("bird", "openbgpd"):
            assert rendered(scenario, daemon) == rendered(scenario, daemon)
