"""Live: every import filter on both route servers, as ``evaluate.py`` says (``filters.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.routing.scenarios import filters
from tests.routing.scenarios.exchange import report, running

pytestmark = pytest.mark.live


def test_filters_on_both_route_servers(tmp_path: Path) -> None:
    with running(filters.SCENARIO, tmp_path) as exchange:
        found = exchange.settle()
    report(filters.SCENARIO, found)
