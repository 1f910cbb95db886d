"""The looking glass's lane answers exactly what the app answers, and only the public's plain
GETs: each request goes once through the lane and once straight to the app, and the two
answers must be the same byte for byte; a counter inside the app tells which ones the lane left
to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from ixcenter.api.app import create_app
from ixcenter.api.looking_glass_lane import LookingGlassLane, anonymous, serving_app
from ixcenter.api.policy import SESSION_COOKIE
from ixcenter.api.routes.looking_glass import install
from ixcenter.config import Settings
from ixcenter.registry.db import Registry
from tests.api.test_looking_glass import V1, readers
from tests.api.world import World

PREFIX_ROUTE = "/api/v1/looking-glass/prefix/{address}"
MEMBER_ROUTE = "/api/v1/looking-glass/servers/{server}/members/{member}/routes"


class Counter:
    """Counts the HTTP requests that reach the app's middleware stack."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"].state.reached += 1
        await self.app(scope, receive, send)


@pytest.fixture
def app(registry: Registry, world: World, tmp_path: Path) -> FastAPI:
    built = create_app(registry)
    install(built, Settings(data_dir=tmp_path), readers=readers(), start=False).refresh()
    built.state.reached = 0
    built.add_middleware(Counter)
    return built


@pytest.fixture
def clients(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """(through the lane, straight to the app)"""
    with (
        TestClient(serving_app(app), raise_server_exceptions=False) as lane,
        TestClient(app, raise_server_exceptions=False) as direct,
    ):
        yield lane, direct


def _both(
    clients: tuple[TestClient, TestClient], app: FastAPI, path: str, headers: dict[str, str]
) -> bool:
    """Ask both ways, check the answers are equal; True when the lane answered itself."""
    lane, direct = clients
    before = app.state.reached
    through = lane.get(path, headers=headers)
    reached = app.state.reached - before
    straight = direct.get(path, headers=headers)
    assert through.status_code == straight.status_code, path
    assert through.content == straight.content, path
    for header in ("content-type", "content-length", "www-authenticate", "retry-after"):
        assert through.headers.get(header) == straight.headers.get(header), (path, header)
    return reached == 0


ANSWERED = [
    f"{V1}/prefix/203.0.113.77",
    f"{V1}/servers/BJ-rs1/members/AS131072/routes",
    f"{V1}/servers/BJ-rs2/members/AS131072/routes",
]
LEFT_TO_THE_APP = [
    f"{V1}/prefix/100.100.100.100",  # no route: the app's 404 problem
    f"{V1}/prefix/not-an-address",
    f"{V1}/prefix/203.0.113.0/24",  # the other prefix route
    f"{V1}/prefix/203.0.113.77?server=BJ-rs2",
    f"{V1}/prefix/203.0.113.77/",
    f"{V1}/servers/XX-rs1/members/AS131072/routes",
    f"{V1}/servers/BJ-rs1/members/alpha/routes",
    f"{V1}/servers/BJ-rs1/members/999999/routes",
    f"{V1}/servers/BJ-rs1/members/AS131072/routes?state=filtered",
    f"{V1}/servers/BJ-rs1/members/AS131072/routes?limit=1",
    f"{V1}/servers",
    "/api/v1/members",
]


@pytest.mark.parametrize("path", ANSWERED)
def test_the_lane_answers_the_publics_plain_gets_as_the_app_does(
    clients: tuple[TestClient, TestClient], app: FastAPI, path: str
) -> None:
    assert _both(clients, app, path, {})
    assert _both(clients, app, path, {"Cookie": "ixc_lang=zh_CN", "Accept-Language": "zh"})


@pytest.mark.parametrize("path", LEFT_TO_THE_APP)
def test_everything_else_goes_to_the_app(
    clients: tuple[TestClient, TestClient], app: FastAPI, path: str
) -> None:
    assert not _both(clients, app, path, {})


@pytest.mark.parametrize("role", ["member", "beta", "supervisor", "operator"])
def test_a_caller_with_a_token_goes_to_the_app(
    clients: tuple[TestClient, TestClient], app: FastAPI, world: World, role: str
) -> None:
    # Alpha's filtered /25 holds the address: who sees it depends on the token
    for path in (f"{V1}/prefix/198.51.100.1", f"{V1}/servers/BJ-rs1/members/AS131072/routes"):
        assert not _both(clients, app, path, world.headers(role))


def test_a_session_cookie_goes_to_the_app(
    clients: tuple[TestClient, TestClient], app: FastAPI
) -> None:
    path = f"{V1}/prefix/203.0.113.77"
    assert not _both(clients, app, path, {"Cookie": f"{SESSION_COOKIE}=unknown"})
    assert not _both(clients, app, path, {"Cookie": f"a=b; {SESSION_COOKIE} = x"})


def test_credentials_are_seen_as_the_guard_sees_them() -> None:
    assert anonymous([(b"host", b"x"), (b"cookie", b"ixc_lang=en")])
    assert anonymous([(b"cookie", b"my_ixc_session=1")])
    assert not anonymous([(b"authorization", b"Bearer ixc_x")])
    assert not anonymous([(b"authorization", b"")])
    assert not anonymous([(b"cookie", b"ixc_lang=en; ixc_session=abc")])
    assert not anonymous([(b"cookie", b"ixc_session =abc")])


def _count(text: str, route: str) -> float:
    wanted = f'ixc_http_request_duration_seconds_count{{method="GET",route="{route}",status="2xx"}}'
    for line in text.splitlines():
        if line.startswith(wanted):
            return float(line.split()[-1])
    return 0.0


def test_the_lanes_requests_are_timed_under_the_apps_route_labels(
    clients: tuple[TestClient, TestClient], app: FastAPI
) -> None:
    lane, direct = clients
    for _ in range(3):
        assert lane.get(f"{V1}/prefix/203.0.113.77").status_code == 200
    assert lane.get(f"{V1}/servers/BJ-rs1/members/AS131072/routes").status_code == 200
    metrics = lane.get("/metrics").text
    assert _count(metrics, PREFIX_ROUTE) == 3
    assert _count(metrics, MEMBER_ROUTE) == 1
    # the app itself labels the same routes the same way
    assert direct.get(f"{V1}/prefix/203.0.113.77?server=BJ-rs1").status_code == 200
    assert _count(direct.get("/metrics").text, PREFIX_ROUTE) == 4


def test_the_lane_waits_like_the_app_for_the_first_snapshot(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    app = create_app(registry)
    install(app, Settings(data_dir=tmp_path), readers=readers(), start=False)  # not read yet
    with TestClient(LookingGlassLane(app)) as client:
        answer = client.get(f"{V1}/prefix/203.0.113.77")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"


def test_first_member_pages_are_rendered_before_a_snapshot_is_served(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    app = create_app(registry)
    refresher = install(app, Settings(data_dir=tmp_path), readers=readers(), start=False)
    serving_app(app)
    snapshot = refresher.refresh()
    accepted = [p for paths in snapshot.by_server.values() for p in paths if p.accepted]
    assert len(accepted) == 3 and len(accepted) < snapshot.index.size  # filtered ones too
    assert set(snapshot.rendered) == {id(p) for p in accepted}
    with TestClient(app) as client:
        page = client.get(f"{V1}/servers/BJ-rs1/members/AS131072/routes").content
    assert snapshot.rendered[id(accepted[0])] in page
