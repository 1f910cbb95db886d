"""Every route for every role: who gets in, and that a member reaches only its own objects.

``CASES`` must name every route of the app (``test_every_route_has_a_case``), so a new route
without an access decision fails here. A refused request must leave the registry exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from ixcenter.api.app import access_rules, create_app
from ixcenter.api.policy import Rule
from ixcenter.core.errors import ConfigurationError
from ixcenter.registry.db import Registry
from tests.api.world import Member, World
from tests.registry_state import dump

ROLES = ("public", "supervisor", "member", "operator")
V1 = "/api/v1"


@dataclass(frozen=True)
class Case:
    method: str
    template: str
    rule: Rule
    ok: int = 200
    target: Callable[[Member, World], dict[str, Any]] | None = None  # path values per member
    body: Callable[[Member, World], Any] | None = None
    query: Callable[[Member, World], dict[str, str]] | None = None
    raw: bool = False  # send ``body`` as raw bytes
    scoped: bool = field(default=False)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


def _ixf_document(standards: Path) -> bytes:
    return (standards / "ixf-examples" / "official_basic_example.json").read_bytes()


CASES: tuple[Case, ...] = (
    Case("GET", "/", Rule.PUBLIC),
    Case("GET", "/members", Rule.PUBLIC),
    Case("GET", "/metrics", Rule.PUBLIC),
    Case("GET", "/looking-glass", Rule.PUBLIC),
    Case(
        "GET",
        "/looking-glass/{server}/{member}",
        Rule.PUBLIC,
        404,
        target=lambda m, w: {"server": "BJ-rs1", "member": f"AS{m.asn}"},
    ),
    Case("GET", "/looking-glass/prefix", Rule.PUBLIC, query=lambda m, w: {"q": "192.0.2.1"}),
    Case("GET", "/looking-glass/search", Rule.PUBLIC, query=lambda m, w: {"asn": str(m.asn)}),
    Case("GET", f"{V1}/looking-glass/servers", Rule.PUBLIC),
    Case(
        "GET",
        f"{V1}/looking-glass/servers/{{server}}/members/{{member}}/routes",
        Rule.PUBLIC,
        404,
        target=lambda m, w: {"server": "BJ-rs1", "member": f"AS{m.asn}"},
    ),
    Case(
        "GET",
        f"{V1}/looking-glass/prefix/{{address}}",
        Rule.PUBLIC,
        404,
        target=lambda m, w: {"address": "192.0.2.1"},
    ),
    Case(
        "GET",
        f"{V1}/looking-glass/prefix/{{address}}/{{length}}",
        Rule.PUBLIC,
        404,
        target=lambda m, w: {"address": "192.0.2.0", "length": 24},
    ),
    Case("GET", f"{V1}/looking-glass/search", Rule.PUBLIC, query=lambda m, w: {"asn": str(m.asn)}),
    Case("GET", "/signin", Rule.PUBLIC),
    Case("POST", "/signin", Rule.PUBLIC, 403),  # no form token: refused, nothing written
    Case("POST", "/signout", Rule.PUBLIC),  # 303 to /signin, followed: 200
    Case("GET", "/account", Rule.READ),
    Case("GET", "/traffic", Rule.PUBLIC),
    Case(
        "GET",
        "/members/{member_id}",
        Rule.READ,
        target=lambda m, w: {"member_id": m.org_id},
        scoped=True,
    ),
    Case(
        "GET",
        "/members/{member_id}/traffic",
        Rule.READ,
        target=lambda m, w: {"member_id": m.org_id},
        scoped=True,
    ),
    Case("GET", "/ops/map", Rule.STAFF),
    Case("GET", "/ops/peering", Rule.STAFF),
    Case("GET", "/ops/health", Rule.STAFF),
    Case("GET", "/ops/audit", Rule.STAFF),
    Case(
        "GET",
        "/lang/{code}",
        Rule.PUBLIC,
        target=lambda m, w: {"code": "zh_CN"},
        query=lambda m, w: {"next": "/"},
    ),
    Case("GET", "/docs", Rule.PUBLIC),
    Case("GET", f"{V1}/exchanges", Rule.PUBLIC),
    Case("GET", f"{V1}/exchanges/{{code}}", Rule.PUBLIC, target=lambda m, w: {"code": "BJ"}),
    Case(
        "POST",
        f"{V1}/exchanges",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {
            "code": "GZ",
            "name": "Guangzhou IXC",
            "city": "Guangzhou",
            "province": "Guangdong",
            "country": "CN",
        },
    ),
    Case("GET", f"{V1}/exchanges/{{code}}/nodes", Rule.PUBLIC, target=lambda m, w: {"code": "BJ"}),
    Case(
        "POST",
        f"{V1}/exchanges/{{code}}/nodes",
        Rule.OPERATOR,
        201,
        target=lambda m, w: {"code": "BJ"},
        body=lambda m, w: {
            "code": "BJ2",
            "name": "Beijing 2",
            "city": "Beijing",
            "province": "Beijing",
            "country": "CN",
        },
    ),
    Case("GET", f"{V1}/exchanges/{{code}}/lans", Rule.PUBLIC, target=lambda m, w: {"code": "BJ"}),
    Case(
        "POST",
        f"{V1}/exchanges/{{code}}/lans",
        Rule.OPERATOR,
        201,
        target=lambda m, w: {"code": "SH"},
        body=lambda m, w: {"name": "SH v2", "vlan": 201, "ipv4_prefix": "192.0.2.0/24"},
    ),
    Case("GET", f"{V1}/switches", Rule.READ),
    Case(
        "POST",
        f"{V1}/nodes/{{code}}/switches",
        Rule.OPERATOR,
        201,
        target=lambda m, w: {"code": "BJ1"},
        body=lambda m, w: {"name": "bj1-sw2"},
    ),
    Case("GET", f"{V1}/members", Rule.PUBLIC),
    Case(
        "GET",
        f"{V1}/members/{{member_id}}",
        Rule.READ,
        target=lambda m, w: {"member_id": m.org_id},
        scoped=True,
    ),
    Case(
        "POST",
        f"{V1}/members",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {
            "name": "Gamma Net",
            "category": "cloud",
            "country": "CN",
            "asn": 131074,
            "switch": "bj1-sw1",
            "port": "Eth12",
            "speed_mbps": 10_000,
            "licence_number": "B1-3",
            "licence_expires": "2030-01-01",
            "macs": ["02:00:00:00:03:01"],
        },
    ),
    Case(
        "PATCH",
        f"{V1}/members/{{member_id}}",
        Rule.MEMBER_WRITE,
        target=lambda m, w: {"member_id": m.org_id},
        body=lambda m, w: {"url": "https://peering.example.net"},
        scoped=True,
    ),
    Case("GET", f"{V1}/ports", Rule.READ),
    Case(
        "GET",
        f"{V1}/ports/{{port_id}}",
        Rule.READ,
        target=lambda m, w: {"port_id": m.port_id},
        scoped=True,
    ),
    Case(
        "POST",
        f"{V1}/ports",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {"switch": "bj1-sw1", "name": "Eth20", "speed_mbps": 10_000},
    ),
    Case(
        "POST",
        f"{V1}/lags",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {"switch": "bj1-sw1", "name": "ae1", "port_ids": list(w.spare_ports)},
    ),
    Case(
        "POST",
        f"{V1}/ports/{{port_id}}/move",
        Rule.OPERATOR,
        target=lambda m, w: {"port_id": m.port_id},
        body=lambda m, w: {"to_switch": "bj1-sw1", "to_port": "Eth30", "speed_mbps": 10_000},
        scoped=True,
    ),
    Case(
        "POST",
        f"{V1}/ports/{{port_id}}/connect",
        Rule.OPERATOR,
        target=lambda m, w: {"port_id": w.spare_ports[0]},
        body=lambda m, w: {"member_id": m.org_id, "macs": ["02:00:00:00:bb:01"]},
    ),
    Case(
        "POST",
        f"{V1}/ips",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {"port_id": m.port_id, "exchange": "BJ", "vlan": 100},
    ),
    Case(
        "POST",
        f"{V1}/ports/{{port_id}}/decommission",
        Rule.OPERATOR,
        target=lambda m, w: {"port_id": m.port_id},
        scoped=True,
    ),
    Case(
        "PUT",
        f"{V1}/ports/{{port_id}}/macs",
        Rule.MEMBER_WRITE,
        target=lambda m, w: {"port_id": m.port_id},
        body=lambda m, w: {"macs": ["02:00:00:00:aa:01", "02-00-00-00-aa-02"]},
        scoped=True,
    ),
    Case("GET", f"{V1}/ips", Rule.READ),
    Case(
        "GET",
        f"{V1}/ips/lookup",
        Rule.READ,
        query=lambda m, w: {"address": m.ipv4},
        scoped=True,
    ),
    Case(
        "GET",
        f"{V1}/ips/{{assignment_id}}",
        Rule.READ,
        target=lambda m, w: {"assignment_id": m.ip_id},
        scoped=True,
    ),
    Case("GET", f"{V1}/services", Rule.READ),
    Case(
        "GET",
        f"{V1}/services/{{service_id}}",
        Rule.READ,
        target=lambda m, w: {"service_id": m.service_id},
        scoped=True,
    ),
    Case(
        "POST",
        f"{V1}/services",
        Rule.MEMBER_WRITE,
        201,
        body=lambda m, w: {
            "kind": "5g-vpn",
            "name": "private 5G",
            "committed_mbps": 50,
            "port_ids": [m.port_id, m.second_port_id],
            "vlan": 500,
        },
        scoped=True,
    ),
    Case(
        "POST",
        f"{V1}/services/{{service_id}}/cease",
        Rule.MEMBER_WRITE,
        target=lambda m, w: {"service_id": m.service_id},
        scoped=True,
    ),
    Case("GET", f"{V1}/links", Rule.PUBLIC),
    Case(
        "POST",
        f"{V1}/links",
        Rule.OPERATOR,
        201,
        body=lambda m, w: {
            "name": "BJ-SH-2",
            "a_exchange": "BJ",
            "b_exchange": "SH",
            "capacity_mbps": 100_000,
            "latency_ms": 12.0,
        },
    ),
    Case("GET", f"{V1}/audit", Rule.STAFF),
    Case("GET", "/ixf/member-export.json", Rule.PUBLIC),
    Case("POST", f"{V1}/ixf/import", Rule.OPERATOR, body=lambda m, w: "ixf", raw=True),
)


def _expected(case: Case, role: str, variant: str) -> int:
    if case.rule is Rule.PUBLIC:
        return case.ok
    if role == "public":
        return 401
    if role == "operator":
        return case.ok
    if role == "supervisor":
        return case.ok if case.rule in (Rule.READ, Rule.STAFF) else 403
    if case.rule in (Rule.STAFF, Rule.OPERATOR):
        return 403
    return case.ok if variant == "own" else 404


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for role in ROLES:
            params.append(pytest.param(case, role, "own", id=f"{case.name} {role}"))
        if case.scoped:
            params.append(pytest.param(case, "member", "other", id=f"{case.name} member other"))
    return params


def _request(
    client: TestClient, world: World, case: Case, role: str, variant: str, standards: Path
) -> Any:
    member = world.alpha if variant == "own" else world.beta
    path = case.template.format(**(case.target(member, world) if case.target else {}))
    kwargs: dict[str, Any] = {"headers": world.headers(role)}
    if case.query:
        kwargs["params"] = case.query(member, world)
    if case.body and case.raw:
        kwargs["content"] = _ixf_document(standards)
        kwargs["headers"]["Content-Type"] = "application/json"
    elif case.body:
        kwargs["json"] = case.body(member, world)
    return client.request(case.method, path, **kwargs)


def test_every_route_has_a_case_and_a_guard(registry: Registry) -> None:
    app = create_app(registry)
    cases = {(c.method, c.template): c.rule for c in CASES}
    assert app.state.access_rules == cases
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= set(cases)
    assert len(documented) == len(cases) - 1  # all but /docs, which is not an API operation


def test_a_route_without_a_guard_stops_the_app() -> None:
    router = APIRouter()

    @router.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    with pytest.raises(ConfigurationError, match="/api/v1/open declares no access rule"):
        access_rules(router.routes, "/api/v1")


@pytest.mark.parametrize(("case", "role", "variant"), _params())
def test_route_access(
    registry: Registry,
    client: TestClient,
    world: World,
    standards: Path,
    case: Case,
    role: str,
    variant: str,
) -> None:
    expected = _expected(case, role, variant)
    before = dump(registry) if expected >= 400 else None
    response = _request(client, world, case, role, variant, standards)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == expected
        assert dump(registry) == before
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_member_token_names_only_its_own_objects(
    client: TestClient, world: World, registry: Registry
) -> None:
    headers = world.headers("member")
    alpha = world.alpha

    members = client.get(f"{V1}/members", headers=headers).json()
    assert [(m["id"], m["view"]) for m in members] == [(alpha.org_id, "full")]
    ports = client.get(f"{V1}/ports", headers=headers).json()
    assert sorted(p["id"] for p in ports) == sorted([alpha.port_id, alpha.second_port_id])
    ips = client.get(f"{V1}/ips", headers=headers).json()
    assert [a["id"] for a in ips] == [alpha.ip_id]
    services = client.get(f"{V1}/services", headers=headers).json()
    assert world.beta.service_id not in {s["id"] for s in services}
    assert {alpha.service_id, world.shared_service_id} <= {s["id"] for s in services}
    everything = client.get(f"{V1}/services", headers=world.headers("supervisor")).json()
    assert world.beta.service_id in {s["id"] for s in everything}


def test_a_hidden_object_reads_like_a_missing_one(client: TestClient, world: World) -> None:
    headers = world.headers("member")
    hidden = client.get(f"{V1}/ports/{world.beta.port_id}", headers=headers).json()
    missing = client.get(f"{V1}/ports/99999", headers=headers).json()
    assert hidden["detail"] == f"no port {world.beta.port_id} visible to token 'alpha'"
    assert missing["detail"] == "no port 99999 visible to token 'alpha'"
    lookup = client.get(f"{V1}/ips/lookup", params={"address": "198.51.100.200"}, headers=headers)
    other = client.get(f"{V1}/ips/lookup", params={"address": world.beta.ipv4}, headers=headers)
    assert lookup.status_code == other.status_code == 404
    assert lookup.json()["detail"].endswith("visible to token 'alpha'")


OVERREACH: dict[str, tuple[str, str, Callable[[World], Any], int]] = {
    "member changes its licence": (
        "PATCH",
        "members/{alpha}",
        lambda w: {"licence_number": "forged", "url": "https://a.example"},
        403,
    ),
    "member declares itself an SME": ("PATCH", "members/{alpha}", lambda w: {"sme": True}, 403),
    "member ceases a shared interconnect": ("POST", "services/{shared}/cease", lambda w: None, 403),
    "member joins another member's port": (
        "POST",
        "services",
        lambda w: {
            "kind": "multi-cloud",
            "name": "grab",
            "committed_mbps": 10,
            "port_ids": [w.alpha.port_id, w.beta.port_id],
            "vlan": 600,
        },
        404,
    ),
    "member sets MACs of another member's port": (
        "PUT",
        "ports/{beta_port}/macs",
        lambda w: {"macs": ["02:00:00:00:bb:01"]},
        404,
    ),
}


@pytest.mark.parametrize("name", sorted(OVERREACH))
def test_member_cannot_overreach_and_nothing_changes(
    client: TestClient, world: World, registry: Registry, name: str
) -> None:
    method, path, body, status = OVERREACH[name]
    values = {
        "alpha": world.alpha.org_id,
        "shared": world.shared_service_id,
        "beta_port": world.beta.port_id,
    }
    before = dump(registry)
    response = client.request(
        method, f"{V1}/{path.format(**values)}", json=body(world), headers=world.headers("member")
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert dump(registry) == before


def test_public_sees_public_fields_only(client: TestClient, world: World) -> None:
    members = client.get(f"{V1}/members").json()
    assert {m["view"] for m in members} == {"public"}
    assert all("licence_number" not in m and "sme" not in m for m in members)
    assert [a["asn"] for m in members for a in m["asns"]] == [131072, 131073]
    export = client.get("/ixf/member-export.json")
    assert export.status_code == 200
    assert "mac_addresses" not in export.text
    assert "02:00:00:00" not in export.text
    assert client.get(f"{V1}/audit").status_code == 401


def test_writes_are_audited_under_the_token_name(client: TestClient, world: World) -> None:
    response = client.patch(
        f"{V1}/members/{world.alpha.org_id}",
        json={"url": "https://alpha.example"},
        headers=world.headers("member"),
    )
    assert response.status_code == 200
    entries = client.get(
        f"{V1}/audit", params={"actor": "api:alpha"}, headers=world.headers("supervisor")
    ).json()
    assert [(e["action"], e["object_type"]) for e in entries] == [("update", "organisations")]
    assert entries[0]["after"]["url"] == "https://alpha.example"
