"""One scenario set live: an emulated LAN with rs1 (BIRD), rs2 (OpenBGPD) and ExaBGP members.

    fabric   a Linux bridge carrying the scenario's LAN (IPv4 and IPv6)
    rs1      BIRD 2, its own stayrtr on 127.0.0.1:8323 of its namespace     LAN .1 / ::1
    rs2      OpenBGPD, its own stayrtr the same way                          LAN .2 / ::2
    m1...    one ExaBGP per member, sessions to both route servers in both families

The route servers' configs are rendered from the policy ``ScenarioSet.route_server`` compiles
and deployed with ``routing.control.deploy`` (checked by ``bird -p``/``bgpd -n`` first). The VRP
file is written from the scenario; both daemons must hold its ROAs before the members start, so
no route is ever judged without them. Members announce every route of the set at once, in their
configuration.

``running`` tears everything down whatever happens: route servers and stayrtr by their recorded
PIDs, members and namespaces through the lab.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ixcenter.core.clock import SystemClock
from ixcenter.lab import Lab
from ixcenter.lab.member_router import ExabgpRouter, Neighbor, RouterSpec
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.daemons import DaemonKind, daemon_for
from ixcenter.routing.control.daemons import RouteServer as ServerProcess
from ixcenter.routing.control.deploy import Plan, deploy_all
from ixcenter.routing.control.model import DaemonError, Route, RouteSet
from ixcenter.routing.control.openbgpd import BgpctlClient
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.looking_glass import LookingGlass
from ixcenter.routing.policy import evaluate
from ixcenter.routing.policy.model import RouteServer
from ixcenter.routing.render.bird import render_bird
from ixcenter.routing.render.check import check_bgpd, check_bird
from ixcenter.routing.render.openbgpd import render_openbgpd
from ixcenter.routing.route_servers import session_names
from ixcenter.routing.rpki.vrps import write_vrps
from tests.lab.livelab import require_namespaces
from tests.live import require
from tests.routing.scenarios.expectation import (
    Difference,
    Expected,
    Observed,
    Stored,
    differences,
    expect,
)
from tests.routing.scenarios.scenario import ROUTE_SERVERS, ScenarioSet

logger = logging.getLogger(__name__)

RTR_PORT = 8323
KINDS = {"rs1": DaemonKind.BIRD, "rs2": DaemonKind.OPENBGPD}
PROGRAMS = ("ip", "bird", "bgpd", "bgpctl", "stayrtr", "exabgp")
_ROA_COUNT = re.compile(r"(\d+) of \d+ routes")


def wait(what: str, probe: Callable[[], Any], *, timeout: float = 60.0) -> Any:
    """Poll ``probe`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
        except DaemonError as exc:  # a daemon busy starting or reloading: ask again
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
        time.sleep(0.2)


@dataclass
class LiveExchange:
    scenario: ScenarioSet
    lab: Lab
    directory: Path
    policies: dict[str, RouteServer]
    servers: dict[str, ServerProcess]
    members: dict[str, ExabgpRouter]

    def established(self, name: str, *, unawaited: frozenset[str] = frozenset()) -> bool:
        state = {s.name: s.established for s in self.glass(name).sessions()}
        skip = {self.scenario.client_key(self.policies[name], node) for node in unawaited}
        return all(
            state.get(n)
            for n in session_names(self.policies[name])
            if n.rsplit("_", 1)[0] not in skip
        )

    def roas(self, name: str) -> tuple[int, int]:
        """(IPv4, IPv6) ROAs the route server holds."""
        if KINDS[name] is DaemonKind.BIRD:
            counts = []
            with BirdClient(self.servers[name].socket).connect() as bird:
                for table in ("ixc_roa4", "ixc_roa6"):
                    text = bird.command(f"show route table {table} count").text
                    found = _ROA_COUNT.search(text)
                    counts.append(int(found[1]) if found else 0)
            return counts[0], counts[1]
        sets = BgpctlClient(self.servers[name].socket).run(["show", "sets"]).get("sets", [])
        for item in sets:
            if item.get("type") == "ROA":
                return int(item.get("num_IPv4", 0)), int(item.get("num_IPv6", 0))
        return 0, 0

    def glass(self, name: str) -> LookingGlass:
        return LookingGlass(self.servers[name], self.policies[name].asn)

    def observe(self, name: str) -> Observed:
        """What route server ``name`` holds (through the looking glass) and what each member
        receives from it (from the members themselves)."""
        glass = self.glass(name)
        stored: dict[tuple[str, Any], Stored] = {}
        twice: set[tuple[str, Any]] = set()
        for session in session_names(self.policies[name]):
            for which in (RouteSet.ACCEPTED, RouteSet.FILTERED):
                for explained in glass.routes(session, which):
                    key = (session, explained.route.prefix)
                    if key in stored:
                        twice.add(key)  # accepted and filtered at once
                    reasons = tuple(int(r) for r in explained.reasons)
                    stored[key] = _stored(explained.route, reasons)
        received: dict[str, dict[Any, evaluate.Route]] = {}
        for node, router in self.members.items():
            tables = router.received()
            mine: dict[Any, evaluate.Route] = {}
            for version in (4, 6):
                mine.update(tables.get(self.scenario.rs_address(name, version), {}))
            received[node] = mine
        return Observed(stored, received, frozenset(twice))

    def settle(self, *, timeout: float = 45.0) -> list[Difference]:
        """Both route servers compared with ``evaluate`` until they differ exactly where the
        scenario says they do (usually nowhere) or ``timeout`` passes; the differences left."""
        expected: dict[str, Expected] = {
            name: expect(self.scenario, self.policies[name]) for name in ROUTE_SERVERS
        }
        known = {k.key for k in self.scenario.known}
        deadline = time.monotonic() + timeout
        agreed = 0  # a late update could still change the picture: agree twice, a moment apart
        while True:
            found = [
                difference
                for name in ROUTE_SERVERS
                for difference in differences(expected[name], self.observe(name), name)
            ]
            agreed = agreed + 1 if {(d.server, d.prefix) for d in found} == known else 0
            if agreed == 2 or time.monotonic() > deadline:
                return found
            time.sleep(1.0 if agreed else 0.5)


def _stored(route: Route, reasons: tuple[int, ...]) -> Stored:
    return Stored(
        evaluate.Route(
            prefix=route.prefix,
            as_path=route.as_path,
            next_hop=route.next_hop,  # type: ignore[arg-type]
            communities=frozenset(route.communities),
            large_communities=frozenset(route.large_communities),
        ),
        reasons,
        route.local_pref,
    )


def render(name: str, policy: RouteServer, server: ServerProcess) -> str:
    if KINDS[name] is DaemonKind.BIRD:
        return render_bird(policy, log_file=str(server.directory / "bird.log"))
    return render_openbgpd(policy, socket_path=str(server.socket))


@contextmanager
def running(
    scenario: ScenarioSet, directory: Path, *, unawaited: frozenset[str] = frozenset()
) -> Iterator[LiveExchange]:
    """The scenario set's exchange up: every member announcing, every session established
    (but those of the ``unawaited`` members, which a test expects to fail or fall)."""
    for program in PROGRAMS:
        require(program)
    require_namespaces()
    lab = Lab(directory / "lab")
    servers: dict[str, ServerProcess] = {}
    rtrs: list[StayRtr] = []
    try:
        lan = lab.add_lan(ipv4=scenario.lan4, ipv6=scenario.lan6)
        for name in ROUTE_SERVERS:
            lan.attach(
                lab.add_node(name),
                ipv4=scenario.rs_address(name, 4),
                ipv6=scenario.rs_address(name, 6),
            )
        for member in scenario.members:
            lan.attach(
                lab.add_node(member.node),
                ipv4=scenario.member_address(member.node, 4),
                ipv6=scenario.member_address(member.node, 6),
            )
        vrp_file = directory / "vrps.json"
        write_vrps(vrp_file, scenario.vrps, clock=SystemClock())
        policies = {name: scenario.route_server(name) for name in ROUTE_SERVERS}
        plans = []
        for name in ROUTE_SERVERS:
            namespace = lab.namespace(name)
            rtr = StayRtr(
                RtrServer(vrp_file, directory / f"{name}-rtr", port=RTR_PORT, namespace=namespace)
            )
            rtrs.append(rtr)
            rtr.start()
            server = ServerProcess(name, KINDS[name], directory / name, namespace=namespace)
            servers[name] = server
            check = check_bird if KINDS[name] is DaemonKind.BIRD else check_bgpd
            text = render(name, policies[name], server)
            plans.append(Plan(server, text, check, expect=session_names(policies[name])))
        deploy_all(plans)
        exchange = LiveExchange(scenario, lab, directory, policies, servers, {})
        v4 = sum(1 for v in scenario.vrps if v.prefix.version == 4)
        for name in ROUTE_SERVERS:
            wait(
                f"{name} to load {len(scenario.vrps)} ROAs",
                lambda name=name: exchange.roas(name) == (v4, len(scenario.vrps) - v4),
            )
        for member in scenario.members:
            router = ExabgpRouter(_router_spec(scenario, member.node), directory / member.node)
            router.start(lab, member.node)
            exchange.members[member.node] = router
        for name in ROUTE_SERVERS:
            wait(
                f"every session of {name} established",
                lambda name=name: exchange.established(name, unawaited=unawaited),
            )
        yield exchange
    finally:
        for server in servers.values():
            daemon_for(server).stop()
        for rtr in rtrs:
            rtr.stop()
        lab.down()


def _router_spec(scenario: ScenarioSet, node: str) -> RouterSpec:
    member = scenario.member(node)
    neighbors = []
    for name in ROUTE_SERVERS:
        for version in (4, 6):
            local = scenario.member_address(node, version)
            if local is not None:
                address = scenario.rs_address(name, version)
                password = member.router_password or member.password
                neighbors.append(Neighbor(address, local, scenario.rs_asn, password))
    router_id = scenario.address(member.host, 4)
    return RouterSpec(
        name=node,
        asn=member.asn,
        router_id=router_id,  # type: ignore[arg-type]
        neighbors=tuple(neighbors),
        routes=scenario.routes_of(node),
    )


def report(scenario: ScenarioSet, found: list[Difference]) -> None:
    """Fail listing every difference from ``evaluate`` the scenario does not expect, and every
    known difference that no longer shows."""
    known = {k.key: k for k in scenario.known}
    unexplained = [d.text for d in found if (d.server, d.prefix) not in known]
    seen = {(d.server, d.prefix) for d in found}
    gone = [f"{k.server} {k.prefix}: {k.why}" for key, k in known.items() if key not in seen]
    message = []
    if unexplained:
        message += [f"{len(unexplained)} differences from evaluate.py:", *unexplained]
    if gone:
        message += ["known differences no longer seen (fixed? remove them):", *gone]
    if message:
        pytest.fail("\n".join(message), pytrace=False)
