"""The OpenAPI description, and the docs page that needs nothing from the internet."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.api.test_access import CASES


def test_openapi_is_json_with_every_route(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "ixcenter"
    operations = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    expected = {(c.method, c.template) for c in CASES if c.template != "/docs"}
    assert operations == expected
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    onboard = document["paths"]["/api/v1/members"]["post"]
    assert "application/problem+json" in onboard["responses"]["422"]["content"]


def test_docs_load_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/docs/assets/") for s in sources), sources
    assert "https://" not in page.text and "http://" not in page.text
    for source in sources:
        assert client.get(source).status_code == 200, source
