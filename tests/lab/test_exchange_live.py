"""Live: ``ixc lab up`` on a demo registry of 2 centers and 6 members, then ``down``.

Sessions established on both route servers of both centers; a member receives another member's
prefixes through each route server; every planted mistake is filtered by both, with its reason;
sampled traffic reaches the flow store with the right member pairs; teardown leaves no
namespace and no process of the run.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from ixcenter.api.app import create_app
from ixcenter.config import Settings
from ixcenter.core.kinds import Role
from ixcenter.lab import exchange, health, netns
from ixcenter.lab.announcements import plan_announcements
from ixcenter.lab.blueprint import read_blueprint
from ixcenter.lab.exchange import ExchangeState, LabOptions
from ixcenter.lab.member_router import adj_rib_in, read_messages
from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.registry.services import tokens
from ixcenter.routing.control.model import RouteSet
from ixcenter.routing.looking_glass import LookingGlass
from ixcenter.routing.policy.reasons import Reason
from ixcenter.telemetry.analytics.traffic import center_traffic, traffic_matrix
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.store import open_reader
from tests.lab.livelab import require_namespaces
from tests.live import require
from tests.short_dirs import short_data_dir

pytestmark = pytest.mark.live


@pytest.fixture
def settings() -> Iterator[Settings]:
    with short_data_dir("ixl") as directory:
        yield Settings(data_dir=directory, flow_settle_s=0)


def wait(what: str, probe: object, timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = probe()  # type: ignore[operator]
        if last:
            return last
        time.sleep(2.0)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def test_lab_up_alive_and_down_clean(settings: Settings) -> None:
    for program in exchange.PROGRAMS:
        require(program)
    require_namespaces()
    registry = Registry(settings.registry_url)
    registry.migrate()
    try:
        demo_data.generate(registry, seed=2, members=6, centers=2)
        state = exchange.up(registry, settings, LabOptions(members_per_center=None, seed=2))
        try:
            _check_alive(registry, settings, state)
        finally:
            teardown = exchange.down(settings)
        assert teardown.namespaces >= 2 * 2 + 6  # sites, route servers, members, collector
        assert not netns.namespaces(f"{netns.PREFIX}{state.run_id}-")
        assert exchange.read_state(settings) is None
        assert exchange.down(settings).namespaces == 0  # idempotent
    finally:
        registry.close()


def _check_alive(registry: Registry, settings: Settings, state: ExchangeState) -> None:
    assert len(state.centers) == 2
    assert sum(len(c.members) for c in state.centers) == 6

    def sessions_up() -> bool:
        servers = health.status(registry, settings).servers
        return len(servers) == 4 and all(s.running and s.established == s.sessions > 0
                                         for s in servers)  # fmt: skip

    wait("every session on both route servers of both centers", sessions_up)
    assert all(s.not_emulated == 0 for s in health.status(registry, settings).servers)
    root = settings.route_server_root
    # a member receives another member's good prefixes through both route servers
    center = max(state.centers, key=lambda c: len(c.rs_participants))
    assert len(center.rs_participants) >= 2
    receiver, sender = center.rs_participants[:2]
    sender_key = center.members[sender]
    blueprint = read_blueprint(registry)
    plan = plan_announcements(blueprint.routers, seed=2)
    wanted = {r.prefix for r in plan.good(sender_key)}
    received_file = exchange.run_dir(settings) / "members" / receiver / "received.jsonl"

    def received_from_both() -> bool:
        tables = adj_rib_in(read_messages(received_file.read_text().splitlines()))
        per_server: dict[int, set[object]] = {}
        for neighbor, routes in tables.items():
            last = int(neighbor) & 0xFF if neighbor.version == 4 else int(neighbor) & 0xFFFF
            per_server.setdefault(last, set()).update(routes)
        return all(wanted <= per_server.get(n, set()) for n in (1, 2))

    wait(f"{receiver} to hold {sender}'s {len(wanted)} prefixes from rs1 and rs2",
         received_from_both)  # fmt: skip
    # every planted mistake: filtered by both route servers, with its reason
    assert state.mistakes
    for mistake in state.mistakes:
        code = next(c.code for c in state.centers if mistake["router"] in c.members.values())
        prefix = ipaddress.ip_network(mistake["prefix"])
        for server in ("rs1", "rs2"):
            glass = LookingGlass.for_server(root, f"{code}-{server}")

            def filtered(glass: LookingGlass = glass, prefix: object = prefix) -> list[int]:
                reasons: list[int] = []
                for session in glass.sessions():
                    for route in glass.routes(session.name, RouteSet.FILTERED):
                        if route.route.prefix == prefix:
                            reasons += [int(r) for r in route.reasons]
                return reasons

            reasons = wait(f"{code}-{server} to filter {prefix}", filtered)
            assert mistake["reason"] in reasons, (mistake, reasons)
            accepted = [r.route.prefix for s in glass.sessions()
                        for r in glass.routes(s.name, RouteSet.ACCEPTED)]  # fmt: skip
            assert prefix not in accepted
    # sampled traffic in the flow store, between members of the same LAN
    orgs = {exchange.member_node(p): p.router.organisation_id for p in blueprint.routers}

    def stored_pairs() -> set[tuple[int, int]]:
        if not (settings.flow_store_path / "manifest.json").exists():
            return set()
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        with open_reader(settings) as reader:
            matrix = traffic_matrix(reader, Window(end - dt.timedelta(minutes=30), end))
        return {(c.src_org, c.dst_org) for c in matrix.cells if c.bytes > 0}

    pairs = wait("member pairs in the flow store", stored_pairs)
    assert isinstance(pairs, set)
    same_lan = {
        (orgs[a], orgs[b]) for c in state.centers for a in c.members for b in c.members if a != b
    }
    node_of = {p.key: exchange.member_node(p) for p in blueprint.routers}
    private = {
        (orgs[node_of[a]], orgs[node_of[b]])
        for ic in blueprint.interconnects for a in ic.routers for b in ic.routers if a != b
    }  # fmt: skip
    allowed = same_lan | private
    assert pairs <= allowed, pairs - allowed  # only members sharing a LAN or an interconnect
    assert len(pairs) >= 2
    # an interconnect between the two centers carries traffic over their long-distance link
    centers = {p.center for ic in blueprint.interconnects for p in blueprint.routers
               if p.key in ic.routers}  # fmt: skip
    assert len(centers) == 2, "the demo registry has no interconnect across centers"

    def between_centers() -> list[object]:
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        with open_reader(settings) as reader:
            return [c for c in center_traffic(reader, Window(end - dt.timedelta(minutes=30), end))
                    if c.bytes > 0]  # fmt: skip

    assert len(wait("traffic between the centers", between_centers)) == 2  # both directions
    # the portal's overview shows it alive: sessions up, the mistakes filtered, traffic drawn
    page = TestClient(create_app(registry, settings)).get("/")
    assert page.status_code == 200
    text = page.text
    assert '<section id="live">' in text and "<polyline" in text
    for center in state.centers:
        for server in ("rs1", "rs2"):
            assert f"<td>{center.code}-{server}</td>" in text
    assert any(f"<td>{m['prefix']}</td>" in text for m in state.mistakes)
    _check_metrics(registry, settings, state)
    member_of = {key: orgs[node] for key, node in node_of.items()}
    _check_pages(registry, settings, state, member_of)


def _check_pages(
    registry: Registry, settings: Settings, state: ExchangeState, member_of: dict[str, int]
) -> None:
    """The portal's pages over the real route servers and flow store: the public looking glass
    with every server's sessions, each planted mistake on its member's own page with its fix
    (and not on the public looking glass), the operator's map and peering matrix."""
    with registry.transaction("test") as s:
        operator = tokens.create(s, "lab-noc", Role.OPERATOR, None, registry.clock)[1]
    staff = {"Authorization": f"Bearer {operator}"}
    with TestClient(create_app(registry, settings)) as client:

        def glass() -> str:
            page = client.get("/looking-glass")
            return page.text if page.status_code == 200 else ""

        text = wait("the looking glass's first read of the route servers", glass)
        assert isinstance(text, str)
        for center in state.centers:
            for server in ("rs1", "rs2"):
                assert f"{center.code}-{server}" in text
        for mistake in state.mistakes:
            page = client.get(f"/members/{member_of[mistake['router']]}", headers=staff)
            assert page.status_code == 200
            section = page.text.split('id="filtered"', 1)[1]
            assert mistake["prefix"] in section, mistake
            words = str(escape(Reason(mistake["reason"]).words))  # as the page writes it
            assert words in section, (mistake, section[:2000])
            public = client.get("/looking-glass/prefix", params={"q": mistake["prefix"]})
            assert public.status_code == 200
            assert words not in public.text  # filtered paths are not public
        matrix = client.get("/ops/peering", headers=staff)
        assert matrix.status_code == 200 and 'id="peering-matrix"' in matrix.text
        assert "<svg" in client.get("/ops/map", headers=staff).text


def _check_metrics(registry: Registry, settings: Settings, state: ExchangeState) -> None:
    """``/metrics`` tells the same: servers up, sessions established, mistakes by reason, and
    the lab's collector receiving samples."""
    client = TestClient(create_app(registry, settings))

    def samples() -> list[Sample]:
        text = client.get("/metrics").text
        return [s for f in text_string_to_metric_families(text) for s in f.samples]

    def values(found: list[Sample], name: str, **labels: str) -> list[float]:
        return [s.value for s in found if s.name == name and labels.items() <= s.labels.items()]

    def complete() -> list[Sample]:
        found = samples()
        routes = values(found, "ixc_routes", state="accepted")
        return found if routes and sum(values(found, "ixc_collector_samples_total")) > 0 else []

    found = wait("route-server and collector metrics", complete)
    for center in state.centers:
        for server in ("rs1", "rs2"):
            label = f"{center.code}-{server}"
            assert values(found, "ixc_route_server_up", server=label) == [1.0]
            assert values(found, "ixc_bgp_sessions", server=label, state="established")[0] > 0
            assert sum(values(found, "ixc_routes", server=label, state="accepted")) > 0
    filtered = {s.labels["reason"] for s in found
                if s.name == "ixc_routes" and s.labels["state"] == "filtered"}  # fmt: skip
    for mistake in state.mistakes:
        name = Reason(mistake["reason"]).name.lower()
        assert any(name in reasons.split("+") for reasons in filtered), (mistake, filtered)
    assert values(found, "ixc_collector_up") == [1.0]
