from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from ixcenter.cli.main import cli
from ixcenter.registry.db import Registry
from tests.registry.services.builders import small_exchange

Invoke = Callable[..., Result]


@pytest.fixture
def ixc(registry: Registry) -> Invoke:
    """Run ``ixc`` against the test registry, with a wide, plain terminal."""
    small_exchange(registry)
    runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"})

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, ["--database-url", registry.url, *args], input=input)

    return invoke
