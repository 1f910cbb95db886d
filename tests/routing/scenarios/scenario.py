"""A scenario set: members, IRR data, VRPs and the routes they announce, all in one place.

A ``ScenarioSet`` is everything one emulated exchange needs: the peering LAN, the member routers
(each peering with both route servers over IPv4 and IPv6), the RPSL text the IRR store is
loaded from, the VRPs stayrtr serves, and the ``Case``\\s: one or a few announcements that
exercise one filter or one control community. ``route_server("rs1")`` compiles the policy with
the real compiler (``compile_route_server``) from plain inputs, exactly as ``ixc rs build``
does from the registry; the renderers and ``evaluate.py`` then take it from there.

Every case states its intent (the reasons its first announcement is tagged with, who receives
it, which path wins): ``test_cases.py`` holds ``evaluate.py`` to that intent without daemons,
and the live tests hold both daemons to ``evaluate.py``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ixcenter.core.prefixes import Network
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.evaluate import Route
from ixcenter.routing.policy.inputs import LanInputs, MemberRouter, Reservation
from ixcenter.routing.policy.model import Address, PolicySettings, RouteServer
from ixcenter.routing.rpki.vrps import Vrp

RS_ASN = 64500
ROUTE_SERVERS = ("rs1", "rs2")  # rs1 runs BIRD, rs2 OpenBGPD; .1 and .2 on the LAN
BLACKHOLE_HOST = 66
MAX_PREFIX = 1000  # high enough for every case of a set; filtered routes count too (BIRD)

Community = tuple[int, int]
Large = tuple[int, int, int]


@dataclass(frozen=True)
class Member:
    """One member router on the LAN; ``node`` is its lab node and its name in the cases."""

    node: str
    asn: int
    name: str
    host: int  # last byte of its IPv4 and last group of its IPv6 address on the LAN
    as_set: str | None = None
    blackhole_opt_in: bool = False
    organisation: int | None = None  # routers of one member share one; default: its own
    ipv6: bool = True
    password: str | None = None  # TCP MD5 on its sessions (the route servers' side)
    router_password: str | None = None  # the router's own, when it differs from ``password``
    max_prefix: tuple[int, int] = (MAX_PREFIX, MAX_PREFIX)  # IPv4, IPv6


@dataclass(frozen=True)
class Announcement:
    """One route a member sends to both route servers."""

    sender: str
    prefix: str
    path: tuple[int, ...] | None = None  # the whole AS_PATH; default: the sender's ASN alone
    communities: tuple[Community, ...] = ()
    large: tuple[Large, ...] = ()
    next_hop: str | None = None  # default: the sender's own address of the prefix's family


@dataclass(frozen=True)
class Case:
    """One filter or control community at work, and what it is meant to do.

    ``reasons``: the ``RS:1101`` codes of the first announcement (empty: accepted);
    ``receivers``: the members the first announcement may be exported to;
    ``wins``: with competing announcements, the sender whose path is best;
    ``discarded``: the first announcement never enters the route servers (a loop).
    """

    name: str
    announcements: tuple[Announcement, ...]
    reasons: tuple[int, ...] = ()
    receivers: tuple[str, ...] = ()
    wins: str | None = None
    discarded: bool = False

    @property
    def prefix(self) -> Network:
        return ipaddress.ip_network(self.announcements[0].prefix)


def case(
    name: str,
    sender: str,
    prefix: str,
    *,
    reasons: tuple[int, ...] = (),
    receivers: tuple[str, ...] = (),
    **route: object,
) -> Case:
    """A case of one announcement (``route``: the ``Announcement`` fields after the prefix)."""
    announcement = Announcement(sender, prefix, **route)  # type: ignore[arg-type]
    return Case(name, (announcement,), reasons=reasons, receivers=receivers)


@dataclass(frozen=True)
class Known:
    """A difference between one daemon and ``evaluate`` that is understood but not fixed yet:
    the live test requires it to show (and fails once it is gone, so the entry goes too)."""

    server: str
    prefix: str
    why: str

    @property
    def key(self) -> tuple[str, Network]:
        return self.server, ipaddress.ip_network(self.prefix)


@dataclass(frozen=True)
class ScenarioSet:
    name: str
    members: tuple[Member, ...]
    rpsl: str
    vrps: tuple[Vrp, ...]
    cases: tuple[Case, ...]
    settings: PolicySettings = field(default_factory=PolicySettings)
    rs_asn: int = RS_ASN
    lan_v4: str = "185.1.0.0/24"
    lan_v6: str = "2a0c:1::/64"
    other_lans: tuple[str, ...] = ()  # the operator's other peering LANs (bogons too)
    known: tuple[Known, ...] = ()

    def __post_init__(self) -> None:
        prefixes = [c.prefix for c in self.cases]
        doubled = {str(p) for p in prefixes if prefixes.count(p) > 1}
        if doubled:
            raise ValueError(f"{self.name}: prefixes used by more than one case: {doubled}")
        nodes = {m.node for m in self.members}
        for c in self.cases:
            for a in c.announcements:
                if a.sender not in nodes:
                    raise ValueError(f"{self.name}/{c.name}: no member {a.sender}")
                if ipaddress.ip_network(a.prefix) != c.prefix:
                    raise ValueError(f"{self.name}/{c.name}: announcements of another prefix")

    # --- the LAN -------------------------------------------------------------------------------

    @property
    def lan4(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.lan_v4)

    @property
    def lan6(self) -> ipaddress.IPv6Network:
        return ipaddress.IPv6Network(self.lan_v6)

    def address(self, host: int, version: int) -> Address:
        lan = self.lan4 if version == 4 else self.lan6
        return lan.network_address + host

    def rs_address(self, name: str, version: int) -> Address:
        return self.address(ROUTE_SERVERS.index(name) + 1, version)

    def lan(self) -> LanInputs:
        reserved = []
        for version in (4, 6):
            for name in ROUTE_SERVERS:
                reserved.append(Reservation(self.rs_address(name, version), name))
            hop = self.address(BLACKHOLE_HOST, version)
            reserved.append(Reservation(hop, "blackhole next hop"))
        others = tuple(ipaddress.ip_network(text) for text in self.other_lans)
        return LanInputs(
            exchange="LAB",
            rs_asn=self.rs_asn,
            ipv4_prefix=self.lan4,
            ipv6_prefix=self.lan6,
            reserved=tuple(reserved),
            bogon_lans=(self.lan4, self.lan6, *others),
        )

    # --- members -------------------------------------------------------------------------------

    def member(self, node: str) -> Member:
        return next(m for m in self.members if m.node == node)

    def member_address(self, node: str, version: int) -> Address | None:
        member = self.member(node)
        if version == 6 and not member.ipv6:
            return None
        return self.address(member.host, version)

    def routers(self) -> tuple[MemberRouter, ...]:
        found = []
        for index, m in enumerate(self.members, start=1):
            v6 = self.member_address(m.node, 6)
            found.append(
                MemberRouter(
                    asn=m.asn,
                    name=m.name,
                    organisation_id=m.organisation or index,
                    ipv4=ipaddress.IPv4Address(self.address(m.host, 4)),
                    ipv6=ipaddress.IPv6Address(v6) if v6 is not None else None,
                    as_set=m.as_set,
                    max_prefix_v4=m.max_prefix[0],
                    max_prefix_v6=m.max_prefix[1],
                    md5_password=m.password,
                    blackhole_opt_in=m.blackhole_opt_in,
                )
            )
        return tuple(found)

    def irr(self) -> IrrStore:
        objects, problems = parse_rpsl(self.rpsl, where=f"{self.name}.rpsl")
        if problems:
            raise ValueError(f"{self.name}: RPSL problems: {problems}")
        store = IrrStore()
        store.load(objects)
        return store

    def route_server(self, name: str) -> RouteServer:
        """The compiled policy of route server ``name`` (``rs1`` or ``rs2``)."""
        return compile_route_server(
            self.lan(), self.routers(), self.irr(), name=name, settings=self.settings
        )

    def client_key(self, rs: RouteServer, node: str) -> str:
        """The key ``node`` has on ``rs`` (sessions are ``<key>_v4`` and ``<key>_v6``)."""
        v4 = self.address(self.member(node).host, 4)
        return next(c.key for c in rs.clients if c.ipv4 == v4)

    # --- routes --------------------------------------------------------------------------------

    def route(self, announcement: Announcement) -> Route:
        member = self.member(announcement.sender)
        prefix = ipaddress.ip_network(announcement.prefix)
        hop = announcement.next_hop
        next_hop = (
            ipaddress.ip_address(hop)
            if hop is not None
            else self.member_address(member.node, prefix.version)
        )
        if next_hop is None:
            raise ValueError(f"{member.node} has no IPv{prefix.version} address")
        return Route(
            prefix=prefix,
            as_path=announcement.path if announcement.path is not None else (member.asn,),
            next_hop=next_hop,
            communities=frozenset(announcement.communities),
            large_communities=frozenset(announcement.large),
        )

    def announcements(self) -> list[tuple[Case, Announcement]]:
        return [(c, a) for c in self.cases for a in c.announcements]

    def routes_of(self, node: str) -> tuple[Route, ...]:
        return tuple(self.route(a) for _, a in self.announcements() if a.sender == node)


def rpsl_routes(origin: int, *prefixes: str, source: str = "LAB") -> str:
    """route/route6 objects of ``origin``, one per prefix, as RPSL text."""
    blocks = []
    for text in prefixes:
        kind = "route6" if ":" in text else "route"
        blocks.append(f"{kind}: {text}\norigin: AS{origin}\nsource: {source}\n")
    return "\n".join(blocks)
