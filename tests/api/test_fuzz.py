"""Generated requests (schemathesis, from /openapi.json) never make the server fail.

Every operation is called with inputs generated from its schema, as the operator, a member and the
public: whatever comes in, the answer is a success or a problem+json 4xx, never a 5xx.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from ixcenter.api.app import create_app
from ixcenter.registry.db import Registry
from tests.api.world import World

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 8


def _check_operation(app: FastAPI, operation: object, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: object) -> None:
        response = case.call(headers=headers)  # type: ignore[attr-defined]
        kind = response.headers.get("content-type")
        kind = kind[0] if isinstance(kind, list) else kind
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case!r}: {response.text[:200]}")
        elif response.status_code >= 400 and kind != "application/problem+json":
            failures.append(f"{response.status_code} not problem+json: {case!r}")

    call()
    return failures


@pytest.mark.parametrize("role", ["operator", "member", "public"])
def test_no_generated_request_fails_the_server(registry: Registry, world: World, role: str) -> None:
    app = create_app(registry)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        failures += _check_operation(app, result.ok(), world.headers(role))
    assert failures == []
