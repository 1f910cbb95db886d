"""Live: per-session knobs on both route servers: TCP MD5 passwords and max-prefix limits.

* Alpha (m1) has a password in the registry and its router uses the same one: every session
  comes up, on rs1 (BIRD) and rs2 (OpenBGPD), so the key reaches both daemons' sockets.
* Bravo (m2) has a password in the registry, but its router uses another: no session ever
  comes up (the kernel drops every segment with a wrong signature).
* Charlie (m3) may send 2 IPv4 routes and sends 3. With ``max_prefix_action=shutdown`` both
  route servers tear its IPv4 sessions down and keep them down, and withdraw what it sent;
  its IPv6 sessions (limit 10, one route) stay up and Alpha keeps receiving that route.
"""

from __future__ import annotations

import ipaddress
import re
import time
from pathlib import Path

import pytest

from ixcenter.routing.control.model import Session
from ixcenter.routing.policy.model import MaxPrefixAction, PolicySettings
from tests.routing.scenarios.exchange import LiveExchange, running, wait
from tests.routing.scenarios.scenario import (
    ROUTE_SERVERS,
    Member,
    ScenarioSet,
    case,
    rpsl_routes,
)

pytestmark = pytest.mark.live

ALPHA, BRAVO, CHARLIE = 1001, 1002, 1003
SECRET = "s3cret pass!"  # a space and punctuation: quoted right in both configs

SCENARIO = ScenarioSet(
    name="sessions",
    members=(
        Member("m1", ALPHA, "Alpha", 11, password=SECRET),
        Member("m2", BRAVO, "Bravo", 12, password=SECRET, router_password="not the one"),
        Member("m3", CHARLIE, "Charlie", 13, max_prefix=(2, 10)),
    ),
    rpsl="\n".join(
        [
            rpsl_routes(ALPHA, "11.1.0.0/16", "2a0b:1001::/32"),
            rpsl_routes(BRAVO, "11.2.0.0/16"),
            rpsl_routes(CHARLIE, "11.3.0.0/16", "2a0b:1003::/32"),
        ]
    ),
    vrps=(),
    cases=(
        case("Alpha v4", "m1", "11.1.0.0/16", receivers=("m3",)),
        case("Alpha v6", "m1", "2a0b:1001::/32", receivers=("m3",)),
        case("Bravo v4", "m2", "11.2.0.0/16", receivers=("m1", "m3")),
        case("Charlie v4 a", "m3", "11.3.1.0/24", receivers=("m1",)),
        case("Charlie v4 b", "m3", "11.3.2.0/24", receivers=("m1",)),
        case("Charlie v4 c", "m3", "11.3.3.0/24", receivers=("m1",)),
        case("Charlie v6", "m3", "2a0b:1003::/32", receivers=("m1",)),
    ),
    settings=PolicySettings(max_prefix_action=MaxPrefixAction.SHUTDOWN),
)
CHARLIE_V4 = ipaddress.ip_network("11.3.0.0/16")
LIMIT = re.compile(r"limit|max.?prefix", re.IGNORECASE)


def sessions(exchange: LiveExchange, server: str, node: str) -> dict[int, Session]:
    """The sessions of ``node`` on ``server`` by address family."""
    key = SCENARIO.client_key(exchange.policies[server], node)
    found = {s.name: s for s in exchange.glass(server).sessions()}
    return {v: found[f"{key}_v{v}"] for v in (4, 6) if f"{key}_v{v}" in found}


def received(exchange: LiveExchange, node: str, server: str) -> set[str]:
    tables = exchange.members[node].received()
    prefixes: set[str] = set()
    for version in (4, 6):
        prefixes |= {str(p) for p in tables.get(SCENARIO.rs_address(server, version), {})}
    return prefixes


def test_passwords_and_max_prefix_on_both_route_servers(tmp_path: Path) -> None:
    unawaited = frozenset({"m2", "m3"})
    with running(SCENARIO, tmp_path, unawaited=unawaited) as exchange:
        for server in ROUTE_SERVERS:
            config = (tmp_path / server / "current").resolve().read_text(encoding="utf-8")
            assert SECRET in config, f"{server}: the password is not in the deployed config"

            def charlie_v4_down(server: str = server) -> Session | None:
                v4 = sessions(exchange, server, "m3")[4]
                return v4 if not v4.established and LIMIT.search(v4.info) else None

            v4 = wait(f"{server}: Charlie's IPv4 session torn down by its limit", charlie_v4_down)
            assert LIMIT.search(v4.info), v4
            wait(
                f"{server}: Charlie's IPv6 session up",
                lambda server=server: sessions(exchange, server, "m3")[6].established,
            )
        # Alpha's sessions came up in running(); give Bravo's as long again, then look
        time.sleep(5)
        for server in ROUTE_SERVERS:
            alpha = sessions(exchange, server, "m1")
            bravo = sessions(exchange, server, "m2")
            assert all(s.established for s in alpha.values()), alpha
            assert bravo and not any(s.established for s in bravo.values()), bravo
            # Charlie stays down (shutdown, not restart), and its IPv4 routes are gone
            assert not sessions(exchange, server, "m3")[4].established
            assert exchange.members["m3"].established() >= {SCENARIO.rs_address(server, 6)}, (
                "Charlie's router lost its IPv6 session"
            )
            got = received(exchange, "m1", server)
            assert "2a0b:1003::/32" in got, got
            charlie_v4 = {p for p in got if ipaddress.ip_network(p).overlaps(CHARLIE_V4)}
            assert not charlie_v4, f"{server} still sends Charlie's IPv4 routes: {charlie_v4}"
            assert not any(p.startswith("11.2.") for p in got), "Bravo's route came through"
        assert not exchange.members["m2"].established(), "Bravo's router got a session"
