"""The live exchange of ``scenario.py``, built once per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ixcenter.lab import Lab
from ixcenter.routing.control.daemons import daemon_for
from tests.lab.livelab import require_namespaces
from tests.live import require
from tests.routing.control import scenario


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[scenario.Exchange]:
    for program in ("bird", "bgpd", "bgpctl"):
        require(program)
    require_namespaces()
    directory = tmp_path_factory.mktemp("exchange")
    lab = Lab(directory / "lab")
    try:
        yield scenario.start_exchange(lab, directory)
    finally:
        for server in scenario.route_servers(lab, directory):
            daemon_for(server).stop()
        lab.down()
