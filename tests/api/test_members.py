"""Onboarding through the API, reading the member back, and changing it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ixcenter.registry.db import Registry
from ixcenter.registry.services import tokens
from tests.api.world import World

V1 = "/api/v1"


def _gamma(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Gamma Cloud",
        "category": "cloud",
        "country": "CN",
        "asn": "AS131074",
        "switch": "bj1-sw1",
        "port": "Eth40",
        "speed_mbps": 100_000,
        "licence_number": "B1-131074",
        "licence_expires": "2030-01-01",
        "macs": ["02:00:00:00:40:01"],
        "as_set": "AS-GAMMA",
    }
    body.update(changes)
    return body


def test_onboarding_then_reading_back(client: TestClient, world: World, registry: Registry) -> None:
    response = client.post(f"{V1}/members", json=_gamma(), headers=world.headers("operator"))
    assert response.status_code == 201, response.text
    done = response.json()
    assert done["asn"] == 131074
    # .1 and .2 (::1, ::2) are the route servers', alpha and beta hold .3 and .4
    assert (done["ipv4"], done["ipv6"]) == ("198.51.100.5", "2001:db8:100::5")
    assert done["member"]["name"] == "Gamma Cloud"

    member = client.get(
        f"{V1}/members/{done['organisation_id']}", headers=world.headers("supervisor")
    ).json()
    assert member["view"] == "full"
    assert member["licence_number"] == "B1-131074"
    assert member["asns"][0]["as_set"] == "AS-GAMMA"
    assert member["port_ids"] == [done["port_id"]]
    port = client.get(f"{V1}/ports/{done['port_id']}", headers=world.headers("operator")).json()
    assert (port["name"], port["status"], port["macs"]) == (
        "Eth40",
        "connected",
        ["02:00:00:00:40:01"],
    )
    found = client.get(
        f"{V1}/ips/lookup", params={"address": "2001:db8:100::5"}, headers=world.headers("operator")
    ).json()
    assert (found["asn"], found["port_id"]) == (131074, done["port_id"])

    with registry.transaction("test") as s:
        _, secret = tokens.create(s, "gamma", "member", done["organisation_id"], registry.clock)
    own = client.get(f"{V1}/members", headers={"Authorization": f"Bearer {secret}"}).json()
    assert [m["name"] for m in own] == ["Gamma Cloud"]
    audit = client.get(
        f"{V1}/audit",
        params={"actor": "api:noc", "object_type": "organisations"},
        headers=world.headers("operator"),
    ).json()
    assert [e["action"] for e in audit] == ["create"]


def test_operator_changes_a_member(client: TestClient, world: World) -> None:
    response = client.patch(
        f"{V1}/members/{world.beta.org_id}",
        json={"sme": True, "licence_expires": "2031-06-30", "category": "content"},
        headers=world.headers("operator"),
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["sme"], changed["licence_expires"], changed["category"]) == (
        True,
        "2031-06-30",
        "content",
    )
    assert changed["licence_number"] == "B1-131073"  # left out: unchanged


def test_member_sets_its_macs_and_moves_nothing_else(client: TestClient, world: World) -> None:
    response = client.put(
        f"{V1}/ports/{world.alpha.port_id}/macs",
        json={"macs": ["02-00-00-00-AA-01", "0200.0000.aa02"]},
        headers=world.headers("member"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["macs"] == ["02:00:00:00:aa:01", "02:00:00:00:aa:02"]


def test_member_adds_and_ceases_an_interconnect_between_its_ports(
    client: TestClient, world: World
) -> None:
    headers = world.headers("member")
    added = client.post(
        f"{V1}/services",
        json={
            "kind": "industrial-internet",
            "name": "plant link",
            "committed_mbps": 20,
            "port_ids": [world.alpha.port_id, world.alpha.second_port_id],
            "vlan": 700,
        },
        headers=headers,
    )
    assert added.status_code == 201, added.text
    service = added.json()
    assert [e["vlan"] for e in service["endpoints"]] == [700, 700]
    ceased = client.post(f"{V1}/services/{service['id']}/cease", headers=headers)
    assert ceased.status_code == 200, ceased.text
    assert ceased.json()["status"] == "ceased"
