"""Deploying OpenBGPD configs with a real bgpd in a namespace of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.control import daemons, process
from ixcenter.routing.control.daemons import DaemonKind, OpenbgpdDaemon, RouteServer, daemon_for
from ixcenter.routing.control.deploy import ConfigStore, DeployError, deploy
from ixcenter.routing.control.openbgpd import BgpctlClient
from tests.lab.livelab import live_lab
from tests.live import require
from tests.routing.control.scenario import bgpd_check

pytestmark = pytest.mark.live


def bgpd_config(*peers: str) -> str:
    lines = ["AS 64500", "router-id 192.0.2.2", "fib-update no", "listen on 127.0.0.1"]
    for index, name in enumerate(peers):
        lines.append(
            f"neighbor 192.0.2.{10 + index} {{\n  remote-as {64510 + index}\n"
            f'  descr "{name}"\n  passive\n}}'
        )
    return "\n".join(lines) + "\n"


BROKEN = "AS 64500\nneighbor 192.0.2.10 {\n"


def accept_anything(text: str) -> None:
    """A validator that misses everything."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RouteServer]:
    require("bgpd")
    require("bgpctl")
    with live_lab(tmp_path / "lab") as lab:
        lab.add_node("rs2")
        made = RouteServer(
            "rs2", DaemonKind.OPENBGPD, tmp_path / "rs2", namespace=lab.namespace("rs2")
        )
        try:
            yield made
        finally:
            daemon_for(made).stop()


def names(server: RouteServer) -> set[str]:
    return {s.name for s in BgpctlClient(server.socket).sessions()}


def pid(server: RouteServer) -> int:
    recorded = process.read_pidfile(server.pidfile)
    assert recorded is not None and process.alive(recorded)
    return recorded.pid


def test_first_deploy_starts_bgpd_and_the_next_reloads_it(server: RouteServer) -> None:
    first = deploy(server, bgpd_config("peer_a"), validate=bgpd_check, expect=["peer_a"])
    assert (first.version, first.started) == (1, True)
    assert names(server) == {"peer_a"}
    started_as = pid(server)
    in_use = (server.directory / "bgpd.conf").read_text()
    assert in_use.startswith(bgpd_config("peer_a").rstrip())
    assert in_use.rstrip().endswith(f'socket "{server.socket}"')

    second = deploy(
        server, bgpd_config("peer_a", "peer_b"), validate=bgpd_check, expect=["peer_a", "peer_b"]
    )
    assert (second.version, second.previous, second.started) == (2, 1, False)
    assert names(server) == {"peer_a", "peer_b"}
    assert pid(server) == started_as
    assert (server.directory / "bgpd.conf").read_text() == second.path.read_text()


def test_validation_sees_the_socket_line_and_failure_stops_everything(
    server: RouteServer,
) -> None:
    deploy(server, bgpd_config("peer_a"), validate=bgpd_check, expect=["peer_a"])
    in_use = (server.directory / "bgpd.conf").read_text()
    seen: list[str] = []

    def refuse(text: str) -> None:
        seen.append(text)
        raise ConfigurationError("bgpd -n: no")

    with pytest.raises(ConfigurationError):
        deploy(server, bgpd_config("peer_a", "peer_b"), validate=refuse)
    assert f'socket "{server.socket}"' in seen[0]
    assert (server.directory / "bgpd.conf").read_text() == in_use
    assert len(list((server.directory / "versions").glob("*.conf"))) == 1
    assert names(server) == {"peer_a"}


def test_a_config_bgpd_refuses_leaves_it_untouched(server: RouteServer) -> None:
    good = deploy(server, bgpd_config("peer_a"), validate=bgpd_check, expect=["peer_a"])
    in_use = (server.directory / "bgpd.conf").read_text()
    with pytest.raises(DeployError, match="refused") as caught:
        deploy(server, BROKEN, validate=accept_anything)
    assert caught.value.rolled_back
    assert (server.directory / "bgpd.conf").read_text() == in_use
    assert ConfigStore(server.directory).current() == good.path
    assert names(server) == {"peer_a"}


def test_a_failed_reload_is_rolled_back(
    server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = ["peer_a", "peer_b"]  # remembered with the version: the rollback waits for them
    good = deploy(server, bgpd_config(*both), validate=bgpd_check, expect=both)
    running_as = pid(server)
    monkeypatch.setattr(OpenbgpdDaemon, "check", lambda self, config: None)
    with pytest.raises(DeployError, match=r"reload failed.*rolled back to version 1") as caught:
        deploy(server, BROKEN, validate=accept_anything)
    assert caught.value.rolled_back
    assert pid(server) == running_as
    assert (server.directory / "bgpd.conf").read_text() == good.path.read_text()
    assert names(server) == {"peer_a", "peer_b"}


def test_an_unhealthy_config_is_rolled_back(server: RouteServer) -> None:
    both = ["peer_a", "peer_b"]
    deploy(server, bgpd_config(*both), validate=bgpd_check, expect=both)
    with pytest.raises(DeployError, match="sessions missing: peer_b"):
        deploy(server, bgpd_config("peer_a"), validate=bgpd_check, expect=["peer_b"], timeout=0.5)
    assert names(server) == {"peer_a", "peer_b"}


def test_prepare_names_the_socket_once(tmp_path: Path) -> None:
    server = RouteServer("rs2", DaemonKind.OPENBGPD, tmp_path)
    daemon = daemon_for(server)
    prepared = daemon.prepare(bgpd_config("peer_a"))
    assert prepared.count('socket "') == 1
    assert daemon.prepare(prepared) == prepared
    with pytest.raises(ConfigurationError, match="socket"):
        daemon.prepare('AS 64500\nsocket "/elsewhere.sock"\n')


def test_a_missing_openbgpd_user_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemons, "OPENBGPD_USER", "_ixc_no_such_user")
    with pytest.raises(ConfigurationError, match="_ixc_no_such_user"):
        daemons.chroot_directory()


def test_a_socket_path_too_long_is_refused_early(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    with pytest.raises(ConfigurationError, match="longer than 107 bytes"):
        daemon_for(RouteServer("rs2", DaemonKind.OPENBGPD, deep))
