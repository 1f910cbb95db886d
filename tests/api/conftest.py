"""An API client over a registry that holds the small world of ``tests.api.world``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.registry.db import Registry
from tests.api.world import World, build


@pytest.fixture
def world(registry: Registry) -> World:
    return build(registry)


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(registry), raise_server_exceptions=False) as client:
        yield client
