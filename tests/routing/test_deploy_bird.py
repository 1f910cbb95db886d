"""Deploying BIRD configs with real BIRD daemons, each in a namespace of its own."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.control import process
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.daemons import BirdDaemon, DaemonKind, RouteServer, daemon_for
from ixcenter.routing.control.deploy import ConfigStore, DeployError, Plan, deploy, deploy_all
from ixcenter.routing.control.model import Session
from tests.lab.livelab import live_lab, wait_for
from tests.live import require
from tests.routing.control.scenario import bird_check

pytestmark = pytest.mark.live


def bird_config(*peers: str) -> str:
    """A route server with passive sessions to peers nobody runs (nothing leaves the namespace)."""
    lines = ["router id 192.0.2.1;", "log stderr all;", "protocol device {}"]
    for index, name in enumerate(peers):
        lines.append(
            f"protocol bgp {name} {{ local as 64500; neighbor 192.0.2.{10 + index} as "
            f"{64510 + index}; passive on; ipv4 {{ import none; export none; }}; }}"
        )
    return "\n".join(lines) + "\n"


BROKEN = "router id 192.0.2.1;\nprotocol bgp peer_a {\n"


def accept_anything(text: str) -> None:
    """A validator that misses everything, so the daemon's own checks are what is tested."""


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[[str], RouteServer]]:
    require("bird")
    made: list[RouteServer] = []
    with live_lab(tmp_path / "lab") as lab:

        def make(name: str) -> RouteServer:
            lab.add_node(name)
            server = RouteServer(
                name, DaemonKind.BIRD, tmp_path / name, namespace=lab.namespace(name)
            )
            made.append(server)
            return server

        try:
            yield make
        finally:
            for server in made:
                daemon_for(server).stop()


@pytest.fixture
def server(make_server: Callable[[str], RouteServer]) -> RouteServer:
    return make_server("rs1")


def names(server: RouteServer) -> set[str]:
    return {s.name for s in BirdClient(server.socket).sessions()}


def pid(server: RouteServer) -> int:
    recorded = process.read_pidfile(server.pidfile)
    assert recorded is not None and process.alive(recorded)
    return recorded.pid


def reconfigured(server: RouteServer) -> object:
    return BirdClient(server.socket).status().last_reconfiguration


def test_first_deploy_starts_bird_and_the_next_reloads_it(server: RouteServer) -> None:
    first = deploy(server, bird_config("peer_a"), validate=bird_check, expect=["peer_a"])
    assert (first.version, first.previous, first.started) == (1, None, True)
    assert names(server) == {"peer_a"}
    started_as = pid(server)
    store = ConfigStore(server.directory)
    assert store.current() == first.path

    second = deploy(
        server, bird_config("peer_a", "peer_b"), validate=bird_check, expect=["peer_a", "peer_b"]
    )
    assert (second.version, second.previous, second.started) == (2, 1, False)
    assert {s.name for s in second.sessions} >= {"peer_a", "peer_b"}
    assert names(server) == {"peer_a", "peer_b"}
    assert pid(server) == started_as  # reconfigured in place, not restarted
    assert store.current() == second.path
    assert store.current().read_text() == bird_config("peer_a", "peer_b")


def test_a_config_that_fails_validation_never_reaches_the_daemon(server: RouteServer) -> None:
    deploy(server, bird_config("peer_a"), validate=bird_check)
    before = reconfigured(server)
    versions = sorted((server.directory / "versions").iterdir())
    seen: list[str] = []

    def refuse(text: str) -> None:
        seen.append(text)
        raise ConfigurationError("bird -p: line 1: nonsense")

    with pytest.raises(ConfigurationError, match="nonsense"):
        deploy(server, bird_config("peer_a", "peer_b"), validate=refuse)
    assert seen == [bird_config("peer_a", "peer_b")]
    assert sorted((server.directory / "versions").iterdir()) == versions
    assert reconfigured(server) == before
    assert names(server) == {"peer_a"}


def test_a_config_bird_refuses_leaves_it_untouched(server: RouteServer) -> None:
    good = deploy(server, bird_config("peer_a"), validate=bird_check)
    running_as, before = pid(server), reconfigured(server)
    with pytest.raises(DeployError, match="refused") as caught:
        deploy(server, BROKEN, validate=accept_anything)
    assert caught.value.rolled_back
    assert pid(server) == running_as
    assert reconfigured(server) == before  # never asked to load it
    assert names(server) == {"peer_a"}
    store = ConfigStore(server.directory)
    assert store.current() == good.path
    assert '"state": "refused"' in (server.directory / "versions" / "0002.json").read_text()


def test_a_failed_load_is_rolled_back(server: RouteServer, monkeypatch: pytest.MonkeyPatch) -> None:
    both = ["peer_a", "peer_b"]
    good = deploy(server, bird_config(*both), validate=bird_check, expect=both)
    running_as = pid(server)
    monkeypatch.setattr(BirdDaemon, "check", lambda self, config: None)  # a check that misses it
    with pytest.raises(DeployError, match="rolled back to version 1") as caught:
        deploy(server, BROKEN, validate=accept_anything)
    assert caught.value.rolled_back
    assert pid(server) == running_as
    assert names(server) == {"peer_a", "peer_b"}
    assert ConfigStore(server.directory).current() == good.path
    assert '"state": "failed"' in (server.directory / "versions" / "0002.json").read_text()


def test_an_unhealthy_config_is_rolled_back(server: RouteServer) -> None:
    both = ["peer_a", "peer_b"]
    deploy(server, bird_config(*both), validate=bird_check, expect=both)
    with pytest.raises(DeployError, match="sessions missing: peer_b") as caught:
        deploy(server, bird_config("peer_a"), validate=bird_check, expect=["peer_b"], timeout=0.5)
    assert caught.value.rolled_back
    assert names(server) == {"peer_a", "peer_b"}

    def none_established(sessions: list[Session]) -> str | None:
        return None if any(s.established for s in sessions) else "no session is up"

    with pytest.raises(DeployError, match="no session is up"):
        deploy(
            server,
            bird_config("peer_a", "peer_c"),
            validate=bird_check,
            health=none_established,
            timeout=0.5,
        )
    assert names(server) == {"peer_a", "peer_b"}


def test_a_dead_daemon_is_started_again(server: RouteServer) -> None:
    deploy(server, bird_config("peer_a"), validate=bird_check)
    old = pid(server)
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: not daemon_for(server).running(), what="BIRD gone")
    again = deploy(server, bird_config("peer_a", "peer_b"), validate=bird_check)
    assert again.started and pid(server) != old
    assert names(server) == {"peer_a", "peer_b"}


def test_a_failing_first_deploy_leaves_no_daemon_running(server: RouteServer) -> None:
    with pytest.raises(DeployError, match="daemon stopped") as caught:
        deploy(server, bird_config("peer_a"), validate=bird_check, expect=["peer_x"], timeout=0.5)
    assert not caught.value.rolled_back
    assert not daemon_for(server).running()
    assert ConfigStore(server.directory).current() is None


def test_deploy_all_stops_at_the_first_failure(
    make_server: Callable[[str], RouteServer],
) -> None:
    first, second = make_server("rs1"), make_server("rs2")
    deploy(first, bird_config("peer_a"), validate=bird_check)
    with pytest.raises(DeployError) as caught:
        deploy_all(
            [
                Plan(first, BROKEN, accept_anything),
                Plan(second, bird_config("peer_a"), bird_check),
            ]
        )
    assert caught.value.server == "rs1" and caught.value.rolled_back
    assert names(first) == {"peer_a"}
    assert not daemon_for(second).running()
    assert not (second.directory / "versions").exists()


def test_deploy_all_validates_every_plan_before_touching_any(
    make_server: Callable[[str], RouteServer],
) -> None:
    first, second = make_server("rs1"), make_server("rs2")

    def refuse(text: str) -> None:
        raise ConfigurationError("rs2 is wrong")

    with pytest.raises(ConfigurationError, match="rs2 is wrong"):
        deploy_all([Plan(first, bird_config("peer_a"), bird_check), Plan(second, "x", refuse)])
    assert not (first.directory / "versions").exists()
    assert not daemon_for(first).running()

    done = deploy_all(
        [
            Plan(first, bird_config("peer_a"), bird_check, ("peer_a",)),
            Plan(second, bird_config("peer_b"), bird_check, ("peer_b",)),
        ]
    )
    assert [(d.server, d.version) for d in done] == [("rs1", 1), ("rs2", 1)]
    assert names(first) == {"peer_a"} and names(second) == {"peer_b"}
