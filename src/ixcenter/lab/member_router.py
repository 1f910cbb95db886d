"""A member's router in the lab: ExaBGP announcing routes exactly as given, recording what it gets.

ExaBGP sends what it is told and nothing more: the AS_PATH as written (it prepends nothing, so a
route whose first AS is not the member's own can be sent), any NEXT_HOP, any communities. That is
what a route-server test needs from a member; a real router (BIRD, GoBGP) always prepends its own
ASN. Every route of the router is in its configuration and goes out as soon as a session comes
up, one session per route server and address family.

What the router receives comes back through ExaBGP's API: a helper process appends every JSON
message (``receive { parsed; update; }`` and ``neighbor-changes``) to ``received.jsonl`` in the
router's directory, and ``adj_rib_in`` replays that file into the routes each neighbor sent,
announcements and withdrawals applied in order, a session going down clearing its routes.

The router runs inside a lab node (``Lab.start``), as root without dropping privileges, with
ExaBGP's command pipes off, so it needs nothing outside its own directory.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ixcenter.core.errors import FormatError, Problem
from ixcenter.core.prefixes import Network
from ixcenter.lab.lab import Lab
from ixcenter.lab.processes import LabProcess
from ixcenter.routing.policy.evaluate import Route
from ixcenter.routing.policy.model import Address

logger = logging.getLogger(__name__)

RECEIVED = "received.jsonl"
CONFIG = "exabgp.conf"
_FAMILY = {4: "ipv4 unicast", 6: "ipv6 unicast"}

# ExaBGP reads its settings from the environment; these keep it in its own directory
_ENVIRONMENT = {
    "exabgp.daemon.user": "root",
    "exabgp.daemon.drop": "false",
    "exabgp.daemon.daemonize": "false",
    "exabgp.api.cli": "false",
    "exabgp.api.ack": "false",
    "exabgp.log.level": "WARNING",
}

# the API helper: ExaBGP treats a helper whose stdout closes as dead, so it must not exec away
_RECORDER = """\
import sys

with open(sys.argv[1], "a", encoding="utf-8") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
"""


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One BGP session of the router: the route server's address, and the router's own."""

    address: Address
    local: Address
    peer_asn: int
    password: str | None = None  # TCP MD5 (RFC 2385)

    @property
    def version(self) -> int:
        return self.address.version


@dataclass(frozen=True, slots=True)
class RouterSpec:
    """A member router: its ASN and router ID, its sessions and every route it announces."""

    name: str
    asn: int
    router_id: ipaddress.IPv4Address
    neighbors: tuple[Neighbor, ...]
    routes: tuple[Route, ...] = ()


def _route_line(route: Route) -> str:
    parts = [f"route {route.prefix} next-hop {route.next_hop}"]
    parts.append(_list("as-path", [str(asn) for asn in route.as_path]))
    if route.communities:
        parts.append(_list("community", [f"{a}:{b}" for a, b in sorted(route.communities)]))
    if route.large_communities:
        large = [f"{a}:{b}:{c}" for a, b, c in sorted(route.large_communities)]
        parts.append(_list("large-community", large))
    return " ".join(parts) + ";"


def _list(name: str, items: list[str]) -> str:
    return " ".join([name, "[", *items, "]"])


def exabgp_config(spec: RouterSpec, recorder: Sequence[str]) -> str:
    """ExaBGP's configuration of ``spec``; ``recorder`` is the API helper's command line."""
    lines = [
        "process recorder {",
        f"    run {' '.join(shlex.quote(part) for part in recorder)};",
        "    encoder json;",
        "}",
    ]
    for neighbor in spec.neighbors:
        routes = [r for r in spec.routes if r.prefix.version == neighbor.version]
        lines += [
            "",
            f"neighbor {neighbor.address} {{",
            f'    description "{spec.name} to {neighbor.address}";',
            f"    router-id {spec.router_id};",
            f"    local-address {neighbor.local};",
            f"    local-as {spec.asn};",
            f"    peer-as {neighbor.peer_asn};",
            "    group-updates false;",
            *([f'    md5-password "{neighbor.password}";'] if neighbor.password else []),
            f"    family {{ {_FAMILY[neighbor.version]}; }}",
            "    api {",
            "        processes [ recorder ];",
            "        neighbor-changes;",
            "        receive { parsed; update; }",
            "    }",
        ]
        if routes:
            lines.append("    static {")
            lines += [f"        {_route_line(route)}" for route in routes]
            lines.append("    }")
        lines.append("}")
    return "\n".join(lines) + "\n"


class ExabgpRouter:
    """One member router: written to ``directory``, started in a lab node, read back."""

    def __init__(self, spec: RouterSpec, directory: Path, *, program: str = "exabgp") -> None:
        self.spec = spec
        self.directory = directory
        self.program = program
        self.received_file = directory / RECEIVED
        self.config_file = directory / CONFIG
        self.process: LabProcess | None = None

    def write(self) -> Path:
        """Write the config and the API helper; returns the config file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        helper = self.directory / "recorder.py"
        helper.write_text(_RECORDER, encoding="utf-8")
        self.received_file.write_text("", encoding="utf-8")
        recorder = [sys.executable, str(helper), str(self.received_file)]
        self.config_file.write_text(exabgp_config(self.spec, recorder), encoding="utf-8")
        return self.config_file

    def start(self, lab: Lab, node: str) -> LabProcess:
        """Start ExaBGP inside ``node``; it connects to every neighbor at once."""
        config = self.write()
        env = {**os.environ, **_ENVIRONMENT}
        env["exabgp.log.destination"] = str(self.directory / "exabgp.log")
        self.process = lab.start(
            f"exabgp-{self.spec.name}",
            [self.program, str(config)],
            node=node,
            log=self.directory / "exabgp.out",
            env=env,
        )
        return self.process

    def messages(self) -> list[dict[str, Any]]:
        return list(read_messages(self.received_file.read_text(encoding="utf-8").splitlines()))

    def received(self) -> dict[Address, dict[Network, Route]]:
        """What each neighbor (route server address) sends now: its Adj-RIB-In."""
        return adj_rib_in(self.messages())

    def established(self) -> frozenset[Address]:
        """The neighbors whose session is up (as ExaBGP last reported)."""
        return sessions_up(self.messages())


def read_messages(lines: Iterable[str]) -> Iterable[dict[str, Any]]:
    """The JSON messages of a recorder file; a torn last line (still being written) is skipped."""
    pending = list(lines)
    for number, line in enumerate(pending, start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except ValueError as exc:
            if number == len(pending):
                return  # the recorder is writing it
            raise FormatError(
                [Problem(f"line {number}", f"not an ExaBGP message: {exc}")]
            ) from None
        if isinstance(document, dict):
            yield document


def _peer(message: dict[str, Any]) -> Address | None:
    try:
        return ipaddress.ip_address(message["neighbor"]["address"]["peer"])
    except (KeyError, TypeError, ValueError):
        return None


def sessions_up(messages: Iterable[dict[str, Any]]) -> frozenset[Address]:
    up: set[Address] = set()
    for message in messages:
        if message.get("type") != "state":
            continue
        peer = _peer(message)
        if peer is None:
            continue
        if message["neighbor"].get("state") == "up":
            up.add(peer)
        else:
            up.discard(peer)
    return frozenset(up)


def _attributes(
    attribute: dict[str, Any],
) -> tuple[tuple[int, ...], frozenset[Any], frozenset[Any]]:
    path: list[int] = []
    for item in attribute.get("as-path", []):
        if isinstance(item, list):  # an AS_SET
            path.extend(int(n) for n in item)
        else:
            path.append(int(item))
    communities = frozenset((int(a), int(b)) for a, b in attribute.get("community", []))
    large = frozenset((int(a), int(b), int(c)) for a, b, c in attribute.get("large-community", []))
    return tuple(path), communities, large


def _apply(table: dict[Network, Route], update: dict[str, Any]) -> None:
    for family in update.get("withdraw", {}).values():
        for entry in family:
            table.pop(ipaddress.ip_network(entry["nlri"]), None)
    announce = update.get("announce", {})
    if not announce:
        return
    path, communities, large = _attributes(update.get("attribute", {}))
    for by_hop in announce.values():
        for hop, entries in by_hop.items():
            # an IPv6 next hop may come with a link-local one: "global, link-local"
            next_hop = ipaddress.ip_address(str(hop).split(",")[0].strip())
            for entry in entries:
                prefix = ipaddress.ip_network(entry["nlri"])
                table[prefix] = Route(prefix, path, next_hop, communities, large)


def adj_rib_in(messages: Iterable[dict[str, Any]]) -> dict[Address, dict[Network, Route]]:
    """Per neighbor, the routes it sends now (announcements and withdrawals replayed in order)."""
    tables: dict[Address, dict[Network, Route]] = {}
    for message in messages:
        peer = _peer(message)
        if peer is None:
            continue
        kind = message.get("type")
        if kind == "state" and message["neighbor"].get("state") != "up":
            tables.pop(peer, None)  # a session that goes down takes its routes with it
        elif kind == "update":
            update = message["neighbor"].get("message", {}).get("update")
            if update:
                _apply(tables.setdefault(peer, {}), update)
    return tables
