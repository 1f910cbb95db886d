"""Errors are RFC 9457 problem+json, list every problem, leak nothing and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from ixcenter.registry.db import Registry
from ixcenter.registry.services import tokens, topology
from tests.api.world import World
from tests.registry_state import dump

V1 = "/api/v1"
PROBLEM = "application/problem+json"


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:ixcenter:problem:{slug}"
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["title"]
    assert body["detail"]
    return body


def test_unknown_path_and_wrong_method(client: TestClient) -> None:
    _problem(client.get(f"{V1}/nothing-here"), 404, "not-found")
    body = _problem(client.delete(f"{V1}/exchanges"), 405, "method-not-allowed")
    assert body["detail"] == "DELETE is not allowed on /api/v1/exchanges"


def test_missing_object(client: TestClient, world: World) -> None:
    body = _problem(
        client.get(f"{V1}/exchanges/XX"),
        404,
        "not-found",
    )
    assert body["detail"] == "no exchange center 'XX'"
    assert "errors" not in body


def test_request_validation_lists_every_field(client: TestClient, world: World) -> None:
    response = client.post(
        f"{V1}/members",
        json={"name": "Gamma", "category": "pirate", "speed_mbps": "fast", "macs": [1]},
        headers=world.headers("operator"),
    )
    body = _problem(response, 422, "validation-failed")
    fields = {(e["field"], e["code"]) for e in body["errors"]}
    assert {("category", "enum"), ("speed_mbps", "int_parsing"), ("macs[0]", "string_type")} <= (
        fields
    )
    assert {"country", "asn", "switch", "port"} <= {e["field"] for e in body["errors"]}


def test_malformed_json_body(client: TestClient, world: World) -> None:
    response = client.post(
        f"{V1}/links",
        content=b"{not json",
        headers={**world.headers("operator"), "Content-Type": "application/json"},
    )
    _problem(response, 422, "validation-failed")


def test_onboarding_with_many_problems_lists_them_all_and_writes_nothing(
    client: TestClient, world: World, registry: Registry
) -> None:
    before = dump(registry)
    response = client.post(
        f"{V1}/members",
        json={
            "name": "Alpha Net",  # taken
            "category": "isp",
            "country": "China",  # not ISO 3166
            "asn": 64512,  # private
            "switch": "bj1-sw1",
            "port": "Eth1",  # taken by Alpha Net
            "macs": ["not-a-mac", "02:00:00:00:00:01"],  # bad; in use
            "ipv4": "10.0.0.1",  # outside the LAN
        },
        headers=world.headers("operator"),
    )
    body = _problem(response, 422, "validation-failed")
    codes = sorted(e["code"] for e in body["errors"])
    assert codes == sorted(
        [
            "duplicate-name",
            "invalid",
            "special-asn",
            "licence-missing",
            "invalid-mac",
            "mac-in-use",
            "port-taken",
            "outside-lan",
        ]
    )
    assert {e["field"] for e in body["errors"]} >= {"name", "country", "asn", "macs[0]", "ipv4"}
    assert dump(registry) == before


def test_authentication_problems(client: TestClient, world: World, registry: Registry) -> None:
    body = _problem(client.get(f"{V1}/ports"), 401, "authentication-failed")
    assert body["detail"] == "this endpoint needs a bearer token"
    wrong = client.get(f"{V1}/ports", headers={"Authorization": "Bearer ixc_nothing"})
    assert _problem(wrong, 401, "authentication-failed")["detail"] == (
        "the bearer token matches no token"
    )
    assert wrong.headers["www-authenticate"] == 'Bearer realm="ixcenter", error="invalid_token"'
    basic = client.get(f"{V1}/ports", headers={"Authorization": "Basic YTpi"})
    _problem(basic, 401, "authentication-failed")
    with registry.transaction("test") as s:
        tokens.revoke(s, "alpha")
    revoked = client.get(f"{V1}/ports", headers=world.headers("member"))
    assert _problem(revoked, 401, "authentication-failed")["detail"] == "token 'alpha' was revoked"
    # a bad token is refused even where no token is needed
    _problem(
        client.get(f"{V1}/exchanges", headers=world.headers("member")), 401, "authentication-failed"
    )


def test_permission_problem(client: TestClient, world: World) -> None:
    response = client.post(f"{V1}/links", json={}, headers=world.headers("supervisor"))
    body = _problem(response, 403, "permission-denied")
    assert body["detail"] == "a supervisor token may not do this (operator only)"


def test_malformed_ixf_document_is_400_and_changes_nothing(
    client: TestClient, world: World, registry: Registry
) -> None:
    before = dump(registry)
    response = client.post(
        f"{V1}/ixf/import",
        content=b'{"version": "1.0", "ixp_list": "nope"',
        headers={**world.headers("operator"), "Content-Type": "application/json"},
    )
    body = _problem(response, 400, "malformed-document")
    assert body["errors"][0]["code"] == "malformed-json"
    assert dump(registry) == before


def test_ixf_import_round_trip(
    client: TestClient, world: World, registry: Registry, standards: Path
) -> None:
    raw = (standards / "ixf-examples" / "official_basic_example.json").read_bytes()
    response = client.post(
        f"{V1}/ixf/import",
        content=raw,
        headers={**world.headers("operator"), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["version"] == "0.6"
    assert report["counts"]["members"]["created"] == 4
    members = client.get(f"{V1}/members").json()
    assert {8560, 197219, 51088, 47836} <= {a["asn"] for m in members for a in m["asns"]}


def test_a_lost_race_is_409(
    client: TestClient, world: World, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def racing(*args: object, **kwargs: object) -> None:
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key value"))

    monkeypatch.setattr(topology, "add_link", racing)
    before = dump(registry)
    response = client.post(
        f"{V1}/links",
        json={
            "name": "x",
            "a_exchange": "BJ",
            "b_exchange": "SH",
            "capacity_mbps": 1,
            "latency_ms": 1,
        },
        headers=world.headers("operator"),
    )
    body = _problem(response, 409, "conflict")
    assert "duplicate key" not in response.text
    assert body["detail"].startswith("another change")
    assert dump(registry) == before


def test_an_unexpected_error_leaks_nothing(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("password=hunter2 in /srv/secret.py")

    monkeypatch.setattr(topology, "add_link", broken)
    response = client.post(
        f"{V1}/links",
        json={
            "name": "x",
            "a_exchange": "BJ",
            "b_exchange": "SH",
            "capacity_mbps": 1,
            "latency_ms": 1,
        },
        headers=world.headers("operator"),
    )
    _problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_text_that_is_not_unicode_is_422_and_changes_nothing(
    client: TestClient, world: World, registry: Registry
) -> None:
    before = dump(registry)
    # a lone surrogate is valid JSON but no UTF-8 can hold it: the database driver refuses it
    body = '{"code": "XX", "name": "\\ud800", "city": "a", "province": "b", "country": "CN"}'
    response = client.post(
        f"{V1}/exchanges",
        content=body,
        headers={**world.headers("operator"), "content-type": "application/json"},
    )
    problem = _problem(response, 422, "validation-failed")
    assert [e["code"] for e in problem["errors"]] == ["not-unicode"]
    assert dump(registry) == before
