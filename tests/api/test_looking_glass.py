"""The looking glass API over a snapshot of stand-in route servers: what each role sees.

Alpha (AS131072) and Beta (AS131073) of ``tests.api.world`` each have one accepted and one
filtered path on BJ-rs1; Alpha's accepted prefix is on BJ-rs2 too. Accepted paths are public;
filtered ones only for their member and the staff (``api.routes.looking_glass``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.api.routes import looking_glass
from ixcenter.api.routes.looking_glass import install
from ixcenter.api.schemas.looking_glass import PrefixMatchOut, RoutesPage, SearchOut
from ixcenter.config import Settings
from ixcenter.registry.db import Registry
from ixcenter.routing.control.model import Route, Session, SessionState
from ixcenter.routing.lg_snapshot import SnapshotRefresher
from tests.api.stand_in import StandIn
from tests.api.world import World

RS = 64500
V1 = "/api/v1/looking-glass"
ALPHA, BETA = 131072, 131073


def _route(prefix: str, session: str, asn: int, **extra: object) -> Route:
    return Route(ipaddress.ip_network(prefix), session, as_path=(asn,), best=True, **extra)  # type: ignore[arg-type]


def _session(name: str, asn: int, last: int) -> Session:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return Session(
        name, asn, ipaddress.ip_address(f"192.0.2.{last}"), SessionState.ESTABLISHED, since
    )


def readers() -> list[StandIn]:
    rs1 = StandIn(
        "BJ-rs1",
        "bird",
        [
            _route(
                "203.0.113.0/24",
                "AS131072_1_v4",
                ALPHA,
                communities=((65535, 65281),),
                large_communities=((RS, 0, BETA), (RS, 1000, 1)),
                next_hop=ipaddress.ip_address("192.0.2.11"),
            ),
            _route("198.51.100.0/25", "AS131072_1_v4", ALPHA, large_communities=((RS, 1101, 9),)),
            _route("198.51.100.0/24", "AS131073_1_v4", BETA),
            _route(
                "192.0.2.0/24",
                "AS131073_1_v4",
                BETA,
                large_communities=((RS, 1101, 3), (RS, 1101, 13)),
            ),
        ],
        [_session("AS131072_1_v4", ALPHA, 11), _session("AS131073_1_v4", BETA, 12)],
    )
    rs2 = StandIn(
        "BJ-rs2",
        "openbgpd",
        [_route("203.0.113.0/24", "Alpha Net", ALPHA)],
        [_session("Alpha Net", ALPHA, 11)],
    )
    return [rs1, rs2]


@pytest.fixture
def glass(registry: Registry, world: World, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(registry)
    install(app, Settings(data_dir=tmp_path), readers=readers(), start=False).refresh()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def get(client: TestClient, world: World, role: str, path: str, **params: object):
    return client.get(f"{V1}{path}", headers=world.headers(role), params=params)


def test_servers_and_sessions_are_public_filtered_counts_are_not(
    glass: TestClient, world: World
) -> None:
    answer = get(glass, world, "public", "/servers")
    assert answer.status_code == 200
    servers = {s["name"]: s for s in answer.json()}
    assert sorted(servers) == ["BJ-rs1", "BJ-rs2"]
    rs1 = servers["BJ-rs1"]
    assert (rs1["daemon"], rs1["rs_asn"], rs1["paths"], rs1["error"]) == ("bird", RS, 4, None)
    sessions = {s["name"]: s for s in rs1["sessions"]}
    alpha = sessions["AS131072_1_v4"]
    assert alpha["state"] == "established" and alpha["peer_asn"] == ALPHA
    assert 3500 <= alpha["uptime_s"] <= 3700
    assert alpha["routes_accepted"] == 1 and alpha["routes_filtered"] is None

    mine = {s["name"]: s for s in get(glass, world, "member", "/servers").json()[0]["sessions"]}
    assert mine["AS131072_1_v4"]["routes_filtered"] == 1
    assert mine["AS131073_1_v4"]["routes_filtered"] is None
    for role in ("operator", "supervisor"):
        staff = get(glass, world, role, "/servers").json()[0]["sessions"]
        assert [s["routes_filtered"] for s in staff] == [1, 1]


@pytest.mark.parametrize("role", ["public", "member", "beta", "supervisor", "operator"])
def test_accepted_routes_of_a_member_are_public(glass: TestClient, world: World, role: str) -> None:
    for member in ("AS131072", str(world.alpha.org_id)):
        answer = get(glass, world, role, f"/servers/BJ-rs1/members/{member}/routes")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert (page["asns"], page["state"], page["total"]) == ([ALPHA], "accepted", 1)
        [path] = page["paths"]
        assert path["prefix"] == "203.0.113.0/24" and path["state"] == "accepted"
        assert path["reasons"] == []
        assert path["next_hop"] == "192.0.2.11"
        assert {c["community"]: c["meaning"] for c in path["communities"]} == {
            "65535:65281": "NO_EXPORT (RFC 1997)"
        }
        assert {c["community"]: c["meaning"] for c in path["large_communities"]} == {
            f"{RS}:0:{BETA}": f"do not announce to AS{BETA}",
            f"{RS}:1000:1": "RPKI valid",
        }


@pytest.mark.parametrize(("role", "status"), [("public", 401), ("beta", 404)])
def test_filtered_routes_are_hidden_from_others(
    glass: TestClient, world: World, role: str, status: int
) -> None:
    for member in ("AS131072", str(world.alpha.org_id)):
        path = f"/servers/BJ-rs1/members/{member}/routes"
        answer = get(glass, world, role, path, state="filtered")
        assert answer.status_code == status
        assert "198.51.100" not in answer.text
    if role == "beta":  # another member's and no one's filtered routes look the same
        missing = get(
            glass, world, role, "/servers/BJ-rs1/members/AS64999/routes", state="filtered"
        )
        assert missing.status_code == 404
        assert missing.json()["title"] == answer.json()["title"]


@pytest.mark.parametrize("role", ["member", "supervisor", "operator"])
def test_filtered_routes_with_reasons_for_the_member_and_the_staff(
    glass: TestClient, world: World, role: str
) -> None:
    answer = get(glass, world, role, "/servers/BJ-rs1/members/AS131072/routes", state="filtered")
    assert answer.status_code == 200
    [path] = answer.json()["paths"]
    assert path["prefix"] == "198.51.100.0/25" and path["state"] == "filtered"
    assert not path["best"]
    assert path["reasons"] == [
        {"code": 9, "words": "prefix not covered by route objects of the member's AS-SET"}
    ]


def test_member_routes_of_an_unknown_server_or_member(glass: TestClient, world: World) -> None:
    assert get(glass, world, "public", "/servers/XX-rs1/members/AS131072/routes").status_code == 404
    assert get(glass, world, "public", "/servers/BJ-rs1/members/999999/routes").status_code == 404
    bad = get(glass, world, "public", "/servers/BJ-rs1/members/alpha/routes")
    assert bad.status_code == 422
    bad = get(glass, world, "public", "/servers/BJ-rs1/members/AS131072/routes", state="all")
    assert bad.status_code == 422


def _lookup(glass: TestClient, world: World, role: str, query: str) -> tuple[int, dict]:
    answer = get(glass, world, role, f"/prefix/{query}")
    return answer.status_code, answer.json()


def test_prefix_lookup_finds_the_longest_match_the_caller_may_see(
    glass: TestClient, world: World
) -> None:
    status, body = _lookup(glass, world, "public", "203.0.113.77")
    assert status == 200 and body["prefix"] == "203.0.113.0/24"
    assert [(p["server"], p["session"]) for p in body["paths"]] == [
        ("BJ-rs1", "AS131072_1_v4"),
        ("BJ-rs2", "Alpha Net"),
    ]
    # Alpha's filtered /25 is more specific, but only Alpha and the staff see it
    for role in ("public", "beta"):
        status, body = _lookup(glass, world, role, "198.51.100.1")
        assert status == 200 and body["prefix"] == "198.51.100.0/24"
    for role in ("member", "operator", "supervisor"):
        status, body = _lookup(glass, world, role, "198.51.100.1")
        assert status == 200 and body["prefix"] == "198.51.100.0/25"
        assert body["paths"][0]["reasons"][0]["code"] == 9
    # a prefix held only by Beta's filtered path
    assert _lookup(glass, world, "public", "192.0.2.0/24")[0] == 404
    assert _lookup(glass, world, "member", "192.0.2.0/24")[0] == 404
    status, body = _lookup(glass, world, "beta", "192.0.2.0/24")
    assert status == 200
    assert [r["code"] for r in body["paths"][0]["reasons"]] == [3, 13]
    assert _lookup(glass, world, "public", "2001:db8::1")[0] == 404
    assert _lookup(glass, world, "public", "192.0.2.1/24")[0] == 422
    only = get(glass, world, "public", "/prefix/203.0.113.0/24", server="BJ-rs2").json()
    assert [p["server"] for p in only["paths"]] == ["BJ-rs2"]


def test_search_by_asn_origin_and_community(glass: TestClient, world: World) -> None:
    def prefixes(role: str, **params: object) -> list[str]:
        answer = get(glass, world, role, "/search", **params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total"] == len(body["paths"])
        return [p["prefix"] for p in body["paths"]]

    assert prefixes("public", asn=BETA) == ["198.51.100.0/24"]
    assert prefixes("beta", asn=BETA) == ["192.0.2.0/24", "198.51.100.0/24"]
    assert prefixes("operator", origin=ALPHA) == [
        "198.51.100.0/25",
        "203.0.113.0/24",
        "203.0.113.0/24",
    ]
    assert prefixes("public", community=f"{RS}:0:{BETA}") == ["203.0.113.0/24"]
    assert prefixes("public", community=f"{RS}:1101:9") == []
    assert prefixes("member", community=f"{RS}:1101:9") == ["198.51.100.0/25"]
    assert prefixes("public", community="65535:65281") == ["203.0.113.0/24"]
    for params in ({}, {"asn": 1, "origin": 1}, {"community": "1:2:3:4"}, {"asn": -1}):
        assert get(glass, world, "public", "/search", **params).status_code == 422


def test_paging_of_a_search(glass: TestClient, world: World) -> None:
    first = get(glass, world, "operator", "/search", origin=ALPHA, limit=2).json()
    rest = get(glass, world, "operator", "/search", origin=ALPHA, limit=2, offset=2).json()
    assert first["total"] == rest["total"] == 3
    assert len(first["paths"]) == 2 and len(rest["paths"]) == 1


def test_before_the_first_read_the_answer_is_retry_later(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    app = create_app(registry)
    refresher = install(app, Settings(data_dir=tmp_path), readers=readers(), start=False)
    assert isinstance(refresher, SnapshotRefresher)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get(f"{V1}/servers")
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        refresher.refresh()
        assert client.get(f"{V1}/servers").status_code == 200


def test_an_app_without_a_looking_glass_has_no_route_servers(registry: Registry) -> None:
    with TestClient(create_app(registry), raise_server_exceptions=False) as client:
        assert client.get(f"{V1}/servers").json() == []
        assert client.get(f"{V1}/prefix/192.0.2.1").status_code == 404


def test_answers_match_their_documented_schemas(glass: TestClient, world: World) -> None:
    page = get(glass, world, "operator", "/servers/BJ-rs1/members/AS131072/routes").json()
    assert RoutesPage.model_validate(page).paths[0].prefix == "203.0.113.0/24"
    match = get(glass, world, "public", "/prefix/203.0.113.0/24").json()
    assert PrefixMatchOut.model_validate(match).read_at is not None
    found = get(glass, world, "public", "/search", origin=ALPHA).json()
    assert SearchOut.model_validate(found).total == 2
    # a path is rendered once per snapshot and served the same way after
    again = get(glass, world, "public", "/prefix/203.0.113.0/24").json()
    assert again == match


def test_member_pages_are_kept_per_snapshot_up_to_a_limit(
    glass: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = glass.app.state.looking_glass.current  # type: ignore[attr-defined]
    path = "/servers/BJ-rs1/members/AS131073/routes"
    first = get(glass, world, "operator", path, state="filtered")
    assert list(snapshot.pages) == [("BJ-rs1", (BETA,), "filtered", 0, 100)]
    again = get(glass, world, "operator", path, state="filtered")
    assert again.content == first.content and again.json()["total"] == 1
    assert get(glass, world, "public", path, state="filtered").status_code == 401  # kept or not
    monkeypatch.setattr(looking_glass, "PAGES_KEPT", 1)
    accepted = get(glass, world, "operator", path)
    assert [p["prefix"] for p in accepted.json()["paths"]] == ["198.51.100.0/24"]
    assert len(snapshot.pages) == 1  # answered, not kept
