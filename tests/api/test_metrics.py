"""``/metrics``: request latency by route template, route servers and the flow collector, read
back through Prometheus' own parser; and nothing in it that names a member."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ixcenter.api.app import create_app
from ixcenter.api.metrics_collector import CollectorMetrics
from ixcenter.api.metrics_route_servers import (
    RouteServerMetrics,
    ServerCounts,
    count_route_servers,
)
from ixcenter.cli.main import cli
from ixcenter.config import Settings
from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.routing import route_servers
from ixcenter.routing.control.daemons import DaemonKind, RouteServer, daemon_for
from ixcenter.routing.control.deploy import deploy
from ixcenter.routing.control.model import DaemonError, Route, RouteSet, Session, SessionState
from ixcenter.routing.looking_glass import ExplainedRoute
from ixcenter.routing.policy.reasons import Reason
from ixcenter.telemetry.collector import CollectorSnapshot, ExporterCounts, SocketCounts
from ixcenter.telemetry.collector.status import StatusFile, status_path
from tests.api.world import World
from tests.lab.livelab import live_lab
from tests.live import require
from tests.routing.control.scenario import bird_check
from tests.routing.test_deploy_bird import bird_config
from tests.telemetry.captures.make_captures import HERE, read_datagrams
from tests.telemetry.collector.collector_process import free_udp_port, wait_bound
from tests.telemetry.collector.conftest import send

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition: (name, labels) -> value."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def named(found: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in found.items() if n == name}


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


@pytest.fixture
def settings() -> Iterator[Settings]:
    """A data dir with a short path: the daemons' control sockets must fit a Unix socket name."""
    directory = Path(tempfile.mkdtemp(prefix="ixm-"))
    try:
        yield Settings(data_dir=directory / "data")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def live_client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(registry, settings), raise_server_exceptions=False) as client:
        yield client


# --- requests -----------------------------------------------------------------------------


DURATION = "ixc_http_request_duration_seconds"


def test_requests_are_counted_by_route_template(client: TestClient, world: World) -> None:
    for code in ("BJ", "SH", "XX"):
        client.get(f"/api/v1/exchanges/{code}")
    client.get("/api/v1/members", headers=world.headers("operator"))
    client.get("/no/such/page")
    found = samples(scrape(client))
    count = f"{DURATION}_count"
    exchange = {"method": "GET", "route": "/api/v1/exchanges/{code}"}
    assert value(found, count, **exchange, status="2xx") == 2
    assert value(found, count, **exchange, status="4xx") == 1  # XX: 404
    assert value(found, count, method="GET", route="/api/v1/members", status="2xx") == 1
    assert value(found, count, method="GET", route="unmatched", status="4xx") == 1
    routes = {dict(labels)["route"] for labels in named(found, count)}
    assert not any(code in route for route in routes for code in ("BJ", "SH", "XX", "no/such"))


def test_the_histogram_is_cumulative_and_sums_the_durations(client: TestClient) -> None:
    for _ in range(3):
        client.get("/api/v1/exchanges")
    found = samples(scrape(client))
    labels = {"method": "GET", "route": "/api/v1/exchanges", "status": "2xx"}
    buckets = sorted(
        (float(dict(k)["le"]), v)
        for k, v in named(found, f"{DURATION}_bucket").items()
        if {k_: v_ for k_, v_ in k if k_ != "le"} == labels
    )
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)  # cumulative
    assert buckets[-1] == (float("inf"), 3.0)
    assert value(found, f"{DURATION}_count", **labels) == 3
    assert value(found, f"{DURATION}_sum", **labels) > 0


def test_a_scrape_is_counted_by_the_next_one_and_odd_methods_are_one_label(
    client: TestClient,
) -> None:
    client.request("BREW", "/api/v1/exchanges")
    scrape(client)
    found = samples(scrape(client))
    assert value(found, f"{DURATION}_count", method="GET", route="/metrics", status="2xx") == 1
    odd = [dict(k) for k in named(found, f"{DURATION}_count") if dict(k)["method"] != "GET"]
    assert [(k["method"], k["status"]) for k in odd] == [("other", "4xx")]


def test_static_files_are_labelled_by_their_mount(client: TestClient) -> None:
    client.get("/static/no-such-file.css")
    found = samples(scrape(client))
    assert value(found, f"{DURATION}_count", method="GET", route="/static/{path}", status="4xx")


def test_each_app_counts_its_own_requests(registry: Registry) -> None:
    first, second = TestClient(create_app(registry)), TestClient(create_app(registry))
    first.get("/api/v1/exchanges")
    found = samples(scrape(second))
    assert (f"{DURATION}_count", frozenset({("method", "GET"), ("route", "/api/v1/exchanges"),
                                           ("status", "2xx")})) not in found  # fmt: skip


def test_without_settings_there_are_no_route_servers_or_collector(client: TestClient) -> None:
    names = {family.name for family in text_string_to_metric_families(scrape(client))}
    assert DURATION in names
    assert not {n for n in names if n.startswith(("ixc_route_server", "ixc_collector"))}


# --- route servers ------------------------------------------------------------------------


def spec(tmp_path: Path, name: str = "rs1") -> route_servers.ServerSpec:
    kind = DaemonKind.BIRD if name == "rs1" else DaemonKind.OPENBGPD
    return route_servers.ServerSpec("BJ", name, kind, tmp_path / f"BJ-{name}")


def session(name: str, asn: int, state: SessionState) -> Session:
    return Session(name, asn, ipaddress.ip_address(f"192.0.2.{asn % 200}"), state)


def route(prefix: str, peer: str, *reasons: Reason) -> ExplainedRoute:
    return ExplainedRoute(
        Route(ipaddress.ip_network(prefix), peer, filtered=bool(reasons)), tuple(reasons)
    )


class FakeGlass:
    """The looking glass of one route server, answering from a table."""

    def __init__(self, routes: dict[tuple[str, RouteSet], list[ExplainedRoute]]) -> None:
        self.table = routes

    def routes(self, session: str, which: RouteSet = RouteSet.RECEIVED) -> list[ExplainedRoute]:
        return self.table.get((session, which), [])


ALPHA, BETA = "AS131072_1_v4", "AS131073_1_v4"
GLASS = FakeGlass(
    {
        (ALPHA, RouteSet.ACCEPTED): [
            route("198.51.100.0/24", ALPHA),
            route("203.0.113.0/24", ALPHA),
        ],
        (ALPHA, RouteSet.FILTERED): [
            route("10.0.0.0/8", ALPHA, Reason.BOGON),
            route("192.0.2.0/25", ALPHA, Reason.IRR_PREFIX, Reason.RPKI_INVALID),
            route("192.0.2.128/25", ALPHA, Reason.RPKI_INVALID),
            route("192.0.2.64/26", ALPHA, Reason.RPKI_INVALID),
        ],
        (BETA, RouteSet.FILTERED): [
            ExplainedRoute(Route(ipaddress.ip_network("100.64.0.0/10"), BETA, filtered=True), ())
        ],
    }
)


def fake_status(tmp_path: Path) -> list[route_servers.ServerStatus]:
    sessions = (
        session(ALPHA, 131072, SessionState.ESTABLISHED),
        session(BETA, 131073, SessionState.ACTIVE),
        session("AS131074_1_v4", 131074, SessionState.ESTABLISHED),
    )
    return [
        route_servers.ServerStatus(spec(tmp_path, "rs1"), True, sessions, 3),
        route_servers.ServerStatus(spec(tmp_path, "rs2"), False, (), 2),
        route_servers.ServerStatus(spec(tmp_path, "rs3"), False, (), None),  # never deployed
    ]


def fake_counts(tmp_path: Path) -> tuple[ServerCounts, ...]:
    tmp_path.mkdir(exist_ok=True)
    return count_route_servers(
        None,  # type: ignore[arg-type]  # the fake status reader never asks the registry
        tmp_path,
        read_status=lambda registry, root: fake_status(root),
        glass_for=lambda root, label: GLASS,  # type: ignore[arg-type,return-value]
    )


def test_route_servers_are_counted_per_state_and_reason(tmp_path: Path) -> None:
    rs1, rs2 = fake_counts(tmp_path)
    assert (rs1.server, rs1.daemon, rs1.up) == ("BJ-rs1", "bird", True)
    assert dict(rs1.sessions) == {
        "idle": 0, "connect": 0, "active": 1, "opensent": 0, "openconfirm": 0,
        "established": 2, "down": 0,
    }  # fmt: skip
    assert rs1.routes == (
        ("accepted", "", 2),
        ("filtered", "bogon", 1),
        ("filtered", "irr_prefix+rpki_invalid", 1),
        ("filtered", "rpki_invalid", 2),
        ("filtered", "unknown", 1),
    )
    assert (rs2.server, rs2.daemon, rs2.up, rs2.routes) == ("BJ-rs2", "openbgpd", False, ())
    assert dict(rs2.sessions)["established"] == 0


def test_a_daemon_that_stops_answering_mid_count_is_down(tmp_path: Path) -> None:
    class Hung(FakeGlass):
        def routes(self, session: str, which: RouteSet = RouteSet.RECEIVED) -> list[ExplainedRoute]:
            raise DaemonError("bird.ctl: timed out")

    rs1, _ = count_route_servers(
        None,  # type: ignore[arg-type]
        tmp_path,
        read_status=lambda registry, root: fake_status(root),
        glass_for=lambda root, label: Hung({}),  # type: ignore[arg-type,return-value]
    )
    assert not rs1.up and rs1.routes == ()
    assert dict(rs1.sessions)["established"] == 2  # what the daemon did say still counts


def exposition(collector: RouteServerMetrics | CollectorMetrics) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_route_server_families(tmp_path: Path) -> None:
    counts = fake_counts(tmp_path)
    found = samples(exposition(RouteServerMetrics(lambda: counts)))
    assert value(found, "ixc_route_server_up", server="BJ-rs1", daemon="bird") == 1
    assert value(found, "ixc_route_server_up", server="BJ-rs2", daemon="openbgpd") == 0
    assert value(found, "ixc_bgp_sessions", server="BJ-rs1", state="established") == 2
    assert value(found, "ixc_bgp_sessions", server="BJ-rs1", state="active") == 1
    assert value(found, "ixc_routes", server="BJ-rs1", state="accepted", reason="") == 2
    assert value(found, "ixc_routes", server="BJ-rs1", state="filtered", reason="rpki_invalid") == 2
    filtered = [v for k, v in named(found, "ixc_routes").items() if ("state", "filtered") in k]
    assert sum(filtered) == 5  # each filtered route once
    assert ("ixc_route_server_metrics_age_seconds", frozenset()) in found


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counts_are_kept_for_the_ttl_and_a_failure_keeps_the_last(tmp_path: Path) -> None:
    clock, calls = Clock(), []

    def source() -> tuple[ServerCounts, ...]:
        calls.append(clock.now)
        if len(calls) == 3:
            raise DaemonError("registry gone")
        return fake_counts(tmp_path)[: len(calls)]

    metrics = RouteServerMetrics(source, ttl=15.0, wait=60.0, monotonic=clock)
    first = metrics.counts()
    assert first is not None and len(first[0]) == 1 and first[1] == 0
    clock.now += 10
    assert metrics.counts() == (first[0], 10.0)  # within the TTL: not asked again
    clock.now += 10
    second = metrics.counts()
    assert second is not None and len(second[0]) == 2
    clock.now += 20
    third = metrics.counts()  # the source fails: the last counts stay, the age says how old
    assert third is not None and third[0] == second[0]
    assert calls == [100.0, 120.0, 140.0]


def test_a_slow_count_does_not_hold_the_scrape(tmp_path: Path) -> None:
    release = threading.Event()

    def slow() -> tuple[ServerCounts, ...]:
        release.wait(30)
        return fake_counts(tmp_path)

    metrics = RouteServerMetrics(slow, wait=0.0)
    assert exposition(metrics) == ""  # nothing counted yet, nothing claimed
    release.set()
    metrics.wait = 60.0  # this scrape may wait: it joins the count already under way
    found = samples(exposition(metrics))
    assert value(found, "ixc_route_server_up", server="BJ-rs1", daemon="bird") == 1


def deploy_record(settings: Settings, label: str) -> None:
    """What ``ixc rs deploy`` leaves behind for ``status``: a current version, no daemon."""
    directory = settings.route_server_root / label
    (directory / "versions").mkdir(parents=True)
    (directory / "versions" / "1.conf").write_text("# deployed once\n")
    os.symlink(Path("versions") / "1.conf", directory / "current")


def test_a_route_server_whose_daemon_is_down_is_a_zero_not_an_error(
    live_client: TestClient, world: World, settings: Settings
) -> None:
    deploy_record(settings, "BJ-rs1")
    deploy_record(settings, "BJ-rs2")
    found = samples(scrape(live_client))
    assert value(found, "ixc_route_server_up", server="BJ-rs1", daemon="bird") == 0
    assert value(found, "ixc_route_server_up", server="BJ-rs2", daemon="openbgpd") == 0
    assert value(found, "ixc_bgp_sessions", server="BJ-rs1", state="established") == 0
    assert not named(found, "ixc_routes")
    assert value(found, "ixc_collector_up") == 0  # no collector ever ran here


# --- collector ----------------------------------------------------------------------------


SNAPSHOT = CollectorSnapshot(
    exporters=(
        ExporterCounts("ipfix", "192.0.2.20", datagrams=40, samples=650, sequence_gaps=7,
                       no_template=2),
        ExporterCounts("sflow", "192.0.2.10", datagrams=32, malformed=1, samples=187,
                       counters=12, sequence_gaps=3, agent_drops=5),
        ExporterCounts("sflow", "192.0.2.11", datagrams=8, samples=13, sequence_resets=1),
    ),
    sockets=(
        SocketCounts("sflow", "::", 6343, received=41, kernel_drops=4, queued_bytes=512),
        SocketCounts("ipfix", "::", 4739, received=40),
    ),
    rows_written=800,
    counter_rows_written=12,
    rows_pending=50,
)  # fmt: skip


def test_collector_families_from_its_status_file(
    live_client: TestClient, settings: Settings
) -> None:
    StatusFile(status_path(settings), every=3600).write(SNAPSHOT)
    found = samples(scrape(live_client))
    assert value(found, "ixc_collector_up") == 1
    assert value(found, "ixc_collector_samples_total", protocol="sflow") == 200
    assert value(found, "ixc_collector_samples_total", protocol="ipfix") == 650
    assert value(found, "ixc_collector_received_datagrams_total", protocol="sflow") == 41
    assert value(found, "ixc_collector_datagrams_total", protocol="sflow") == 40
    assert value(found, "ixc_collector_counter_records_total", protocol="sflow") == 12
    assert value(found, "ixc_collector_sequence_resets_total", protocol="sflow") == 1
    lost = {
        (dict(k)["protocol"], dict(k)["cause"]): v
        for k, v in named(found, "ixc_collector_lost_total").items()
    }
    assert {k: v for k, v in lost.items() if v} == {
        ("sflow", "sequence_gap"): 3, ("sflow", "agent_drop"): 5, ("sflow", "malformed"): 1,
        ("sflow", "kernel_drop"): 4, ("ipfix", "sequence_gap"): 7, ("ipfix", "no_template"): 2,
    }  # fmt: skip
    assert len(lost) == 10  # every cause of both protocols, zeros too
    assert value(found, "ixc_collector_exporters", protocol="sflow") == 2
    assert value(found, "ixc_collector_socket_queued_bytes", protocol="sflow") == 512
    assert value(found, "ixc_collector_rows_written_total", kind="flow") == 800
    assert value(found, "ixc_collector_rows_written_total", kind="counter") == 12
    assert value(found, "ixc_collector_rows_pending") == 50
    started = value(found, "ixc_collector_start_time_seconds")
    assert abs(started - dt.datetime.now(dt.UTC).timestamp()) < 3600


STARTED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_a_stopped_or_silent_collector_is_down(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    clock = FixedClock(STARTED)
    writer = StatusFile(path, every=5.0, clock=clock)
    writer.write(SNAPSHOT)

    def up(at: dt.datetime) -> float:
        found = samples(exposition(CollectorMetrics(path, FixedClock(at))))
        return value(found, "ixc_collector_up")

    assert up(STARTED + dt.timedelta(seconds=15)) == 1
    assert up(STARTED + dt.timedelta(seconds=16)) == 0  # three turns missed: gone
    writer.write(SNAPSHOT, running=False)
    assert up(STARTED) == 0
    found = samples(exposition(CollectorMetrics(path, FixedClock(STARTED))))
    assert value(found, "ixc_collector_samples_total", protocol="sflow") == 200  # last counts


def test_an_unreadable_status_is_a_collector_down(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_text("{not json")
    found = samples(exposition(CollectorMetrics(path)))
    assert found == {("ixc_collector_up", frozenset()): 0.0}


def test_collector_families_after_a_real_collector_run(
    live_client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ixc flows collect`` on loopback, fed the committed sfprobe capture, then scraped."""
    monkeypatch.setenv("IXC_COLLECTOR_SINK", "spool")
    port = free_udp_port()
    datagrams = read_datagrams(HERE / "sfprobe-sflow.bin")
    sender = threading.Thread(target=lambda: wait_bound(port) and send(datagrams, port))
    sender.start()
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "flows", "collect",
                                      "--bind", "127.0.0.1", "--only", "sflow", "--sflow-port",
                                      str(port), "--status-every", "0", "--for", "1.5"])  # fmt: skip
    sender.join()
    assert result.exit_code == 0, result.output
    found = samples(scrape(live_client))
    assert value(found, "ixc_collector_up") == 0  # it stopped, and said so
    assert value(found, "ixc_collector_samples_total", protocol="sflow") == 187
    assert value(found, "ixc_collector_received_datagrams_total", protocol="sflow") == 32
    assert value(found, "ixc_collector_lost_total", protocol="sflow", cause="kernel_drop") == 0
    assert value(found, "ixc_collector_rows_written_total", kind="flow") == 187


# --- privacy ------------------------------------------------------------------------------


def test_nothing_names_a_member(
    live_client: TestClient, world: World, settings: Settings, tmp_path: Path
) -> None:
    StatusFile(status_path(settings), every=3600).write(SNAPSHOT)
    deploy_record(settings, "BJ-rs1")
    asked = [f"/api/v1/members/{world.alpha.org_id}", f"/api/v1/ports/{world.beta.port_id}"]
    for path in asked:
        live_client.get(path, headers=world.headers("operator"))
    text = scrape(live_client) + exposition(RouteServerMetrics(lambda: fake_counts(tmp_path)))
    forbidden = ["Alpha", "Beta", "131072", "131073", "131074", ALPHA, BETA, world.alpha.ipv4,
                 "198.51.100", "192.0.2.", *(f'"{path}"' for path in asked)]  # fmt: skip
    assert [word for word in forbidden if word in text] == []
    assert 'route="/api/v1/members/{' in text  # the template, not the member asked for


def test_metrics_answer_everyone(client: TestClient, world: World) -> None:
    for role in ("public", "member", "supervisor", "operator"):
        assert client.get("/metrics", headers=world.headers(role)).status_code == 200


@pytest.mark.live
def test_live_bird(registry: Registry, world: World, tmp_path: Path) -> None:
    """A real BIRD (in a namespace of its own) deployed as BJ-rs1, counted through ``/metrics``;
    then stopped, and counted as down."""
    require("bird")
    settings = Settings(data_dir=tmp_path / "d")
    directory = settings.route_server_root / "BJ-rs1"
    directory.mkdir(parents=True)
    summary = {"daemon": "bird", "rs_asn": 65000, "sessions": ["peer_a", "peer_b"]}
    (directory / "candidate.json").write_text(json.dumps(summary))
    with live_lab(tmp_path / "lab") as lab:
        lab.add_node("rs1")
        server = RouteServer("BJ-rs1", DaemonKind.BIRD, directory, namespace=lab.namespace("rs1"))
        try:
            deploy(server, bird_config("peer_a", "peer_b"), validate=bird_check)
            app = create_app(registry, settings)
            found = samples(scrape(TestClient(app)))
            assert value(found, "ixc_route_server_up", server="BJ-rs1", daemon="bird") == 1
            sessions = named(found, "ixc_bgp_sessions")
            assert sum(sessions.values()) == 2  # passive, nobody calls: not established
            assert value(found, "ixc_bgp_sessions", server="BJ-rs1", state="established") == 0
            assert not named(found, "ixc_routes")  # import none: nothing held
        finally:
            daemon_for(server).stop()
    later = samples(scrape(TestClient(create_app(registry, settings))))
    assert value(later, "ixc_route_server_up", server="BJ-rs1", daemon="bird") == 0
