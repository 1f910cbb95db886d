"""Live: every announcement-control community on both route servers, as ``evaluate.py`` says
(``communities.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.routing.scenarios import communities
from tests.routing.scenarios.exchange import report, running

pytestmark = pytest.mark.live


def test_control_communities_on_both_route_servers(tmp_path: Path) -> None:
    with running(communities.SCENARIO, tmp_path) as exchange:
        found = exchange.settle()
    report(communities.SCENARIO, found)
