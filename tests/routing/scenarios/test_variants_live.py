"""Live: the policy knobs away from their defaults, and a 32-bit route-server ASN, on both route
servers as ``evaluate.py`` says (``variants.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.routing.scenarios import variants
from tests.routing.scenarios.exchange import report, running

pytestmark = pytest.mark.live


def test_policy_variants_on_both_route_servers(tmp_path: Path) -> None:
    with running(variants.SCENARIO, tmp_path) as exchange:
        found = exchange.settle()
    report(variants.SCENARIO, found)
