"""``ixc lab up | status | down``: the registry's exchange emulated on this machine.

``up`` reads the registry (``blueprint.py``) and builds, inside network namespaces of one lab
run (``Lab``), for every exchange center with route servers:

* a fabric namespace per site (node) with members; the center's peering LAN is a bridge in each,
  joined over VXLAN; sites of a center, and the centers' main sites along the registry's
  long-distance links, are joined by links that delay every frame by their one-way latency;
* ``rs-<center>``: rs1 (BIRD) and rs2 (OpenBGPD) on the LAN's reserved addresses, configured by
  ``routing.route_servers`` (``build`` then ``deploy``, the configs checked by the daemons
  first) from the lab's IRR data, with ROAs from a stayrtr of their own;
* ``m<asn>-<host>``: one ExaBGP per member router on its own MAC and LAN addresses, at the site
  of its port, announcing its prefixes, some of them wrong on purpose (``announcements.py``);
* a sender per member: UDP traffic to the other members of its LAN (``traffic.py``, a gravity
  model, with an attack burst now and then);
* pmacct's sfprobe in every fabric, sampling the members' ports into the collector
  (``ixc flows collect``) in node ``collector``, joined to the first center's main site. Flow
  export from the other sites crosses the links, as it would on a real multi-site exchange.

The route servers' configs and daemons live in the data directory's route-server root, and the
flow store in its flow directory, so ``ixc rs status``, ``ixc rs routes`` and ``ixc flows top``
work on the lab. ``exchange.json`` in the run directory says what was built. ``down`` stops
everything and deletes every namespace of the run, even after a crash (``Lab.down``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ixcenter.config import Settings
from ixcenter.core.clock import SystemClock
from ixcenter.core.errors import ConfigurationError, NotFound
from ixcenter.lab import exporters, interconnects, netns, sender, traffic, underlay
from ixcenter.lab.announcements import Announcements, plan_announcements
from ixcenter.lab.blueprint import Blueprint, CenterPlan, RouterPlace, Site, read_blueprint
from ixcenter.lab.lab import Lab, Teardown
from ixcenter.lab.lan import EmulatedLan
from ixcenter.lab.member_router import ExabgpRouter, Neighbor, RouterSpec
from ixcenter.registry.db import Registry
from ixcenter.routing import route_servers
from ixcenter.routing.control.daemons import daemon_for
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.rpki.vrps import write_vrps

logger = logging.getLogger(__name__)

STATE = "exchange.json"
PROGRAMS = ("ip", "bird", "birdc", "bgpd", "bgpctl", "stayrtr", "exabgp", "pmacctd")
COLLECTOR_NETWORK = "198.51.100.0/30"  # fabric .1, collector .2 (documentation space, lab only)

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LabOptions:
    """Size and traffic knobs of ``up``."""

    members_per_center: int | None = 8  # the fastest ports first; None: every member router
    seed: int = 1
    traffic_pps: float = 400.0  # normal traffic of the whole lab
    sampling_rate: int = 16  # sFlow: 1 in N frames
    attack_every_s: float = 120.0


@dataclass(frozen=True, slots=True)
class CenterState:
    code: str
    rs_node: str
    sites: tuple[str, ...]  # fabric nodes, the main one first
    members: dict[str, str]  # lab node -> RouterPlace.key
    rs_participants: tuple[str, ...]  # lab nodes with route-server sessions
    addresses: tuple[str, ...] = ()  # their LAN addresses (the route servers' neighbors)


@dataclass(frozen=True, slots=True)
class ExchangeState:
    """What ``up`` built, as ``exchange.json`` records it."""

    run_id: str
    started: float
    centers: tuple[CenterState, ...]
    collector: str
    mistakes: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExchangeState:
        centers = tuple(
            CenterState(
                c["code"],
                c["rs_node"],
                tuple(c["sites"]),
                dict(c["members"]),
                tuple(c["rs_participants"]),
                tuple(c.get("addresses", ())),
            )
            for c in data["centers"]
        )
        return cls(
            data["run_id"], float(data["started"]), centers, data["collector"],
            tuple(data.get("mistakes", ())),
        )  # fmt: skip


def run_dir(settings: Settings) -> Path:
    return settings.data_dir / "lab"


def read_state(settings: Settings) -> ExchangeState | None:
    path = run_dir(settings) / STATE
    if not path.exists():
        return None
    try:
        return ExchangeState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"lab state {path} unreadable: {exc}") from None


def member_node(place: RouterPlace) -> str:
    return f"m{place.key}"


def site_node(code: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in code.lower()).strip("-")[:30] or "site"


def up(
    registry: Registry,
    settings: Settings,
    options: LabOptions | None = None,
    *,
    step: Step | None = None,
) -> ExchangeState:
    """Build and start the lab (see the module doc); raises ``ConfigurationError`` where the
    machine cannot (no root, no ``ip``), before anything is made."""
    options = options or LabOptions()
    say = step or (lambda text: None)
    netns.require_privileges()
    missing = [program for program in PROGRAMS if shutil.which(program) is None]
    if missing:
        raise ConfigurationError(
            f"the lab needs {', '.join(missing)} (scripts/setup installs them)"
        )
    directory = run_dir(settings)
    if (directory / STATE).exists() or (directory / "netns" / "lab.json").exists():
        raise ConfigurationError(f"a lab is up already in {directory}: `ixc lab down` first")
    say("reading the registry")
    blueprint = read_blueprint(registry, limit=options.members_per_center)
    if not blueprint.centers:
        raise NotFound("no exchange center with a route-server ASN and a peering LAN")
    plan = plan_announcements(blueprint.routers, seed=options.seed)
    directory.mkdir(parents=True, exist_ok=True)
    irr = _write_routing_data(directory, plan)
    lab = Lab(directory / "netns")
    try:
        return _build(lab, registry, settings, options, blueprint, plan, irr, say)
    except BaseException:
        logger.warning("lab %s: building failed, tearing down", lab.run_id)
        lab.down()
        (directory / STATE).unlink(missing_ok=True)
        raise


def _write_routing_data(directory: Path, plan: Announcements) -> IrrStore:
    (directory / "lab.rpsl").write_text(plan.rpsl + "\n", encoding="utf-8")
    write_vrps(directory / "vrps.json", plan.vrps, clock=SystemClock())
    objects, problems = parse_rpsl(plan.rpsl, where="lab.rpsl")
    if problems:
        raise ConfigurationError(f"the lab's own RPSL has problems: {problems}")
    irr = IrrStore()
    irr.load(objects)
    return irr


def _build(
    lab: Lab,
    registry: Registry,
    settings: Settings,
    options: LabOptions,
    blueprint: Blueprint,
    plan: Announcements,
    irr: IrrStore,
    say: Step,
) -> ExchangeState:
    directory = run_dir(settings)
    say(f"fabrics and links (lab run {lab.run_id})")
    lans = _fabric(lab, blueprint)
    main = site_node(blueprint.centers[0].sites[0].code)
    link = _collector_link(lab, main)
    centers = []
    for center in blueprint.centers:
        lan = lans[center.code]
        say(f"{center.code}: route servers")
        rs_node = _route_servers(lab, registry, settings, center, lan, irr, directory)
        say(f"{center.code}: {len(center.routers)} member routers")
        _members(lab, center, lan, plan, directory)
        centers.append(
            CenterState(
                center.code,
                rs_node,
                tuple(site_node(s.code) for s in _used_sites(center)),
                {member_node(p): p.key for p in center.routers},
                tuple(member_node(p) for p in center.routers if p.router.rs_participation),
                _neighbors(center),
            )
        )
    say(f"{len(blueprint.interconnects)} private interconnects")
    node_of = {p.key: member_node(p) for p in blueprint.routers}
    site_of = {p.key: site_node(p.site) for p in blueprint.routers}
    private = interconnects.build(lab, blueprint, node_of, site_of)
    say("flow collector and exporters")
    exporters.start_collector(
        lab, link, settings.data_dir, database_url=settings.registry_url, name="collector"
    )
    for lan in [*lans.values(), *(item.lan for item in private)]:
        _export(lab, lan, link, options.sampling_rate, main)
    say("traffic")
    _traffic(lab, blueprint, options)
    interconnects.start_traffic(lab, private, pps=options.traffic_pps / 10, seed=options.seed)
    state = ExchangeState(
        lab.run_id, time.time(), tuple(centers), link.node,
        tuple({"router": m.router, "prefix": str(m.route.prefix), "kind": m.kind,
               "reason": int(m.reason)} for m in plan.mistakes),
    )  # fmt: skip
    path = directory / STATE
    path.write_text(json.dumps(state.to_json(), indent=1) + "\n", encoding="utf-8")
    return state


def _neighbors(center: CenterPlan) -> tuple[str, ...]:
    """The LAN addresses of the lab's routers that peer with the route servers."""
    return tuple(
        str(address)
        for p in center.routers
        if p.router.rs_participation
        for address in p.router.addresses
    )


def _used_sites(center: CenterPlan) -> list[Site]:
    used = {p.site for p in center.routers}
    return [s for n, s in enumerate(center.sites) if n == 0 or s.code in used]


def _fabric(lab: Lab, blueprint: Blueprint) -> dict[str, EmulatedLan]:
    """A fabric per used site, links inside centers and between them, a LAN per center."""
    lans = {}
    for center in blueprint.centers:
        sites = _used_sites(center)
        for site in sites:
            lab.add_fabric(site_node(site.code))
        main = sites[0].code
        for site in sites[1:]:
            latency = center.site_latency_ms(main, site.code)
            lab.add_link(site_node(main), site_node(site.code), latency_ms=latency,
                         name=f"{main}-{site.code}")  # fmt: skip
    mains = {c.code: site_node(c.sites[0].code) for c in blueprint.centers}
    for plan in blueprint.links:
        lab.add_link(mains[plan.a], mains[plan.b], latency_ms=plan.latency_ms, name=plan.name)
    for center in blueprint.centers:
        nodes = [site_node(s.code) for s in _used_sites(center)]
        lans[center.code] = lab.add_lan(
            ipv4=center.ipv4, ipv6=center.ipv6, fabric=nodes[0], spans=nodes[1:]
        )
    return lans


def _route_servers(
    lab: Lab,
    registry: Registry,
    settings: Settings,
    center: CenterPlan,
    lan: EmulatedLan,
    irr: IrrStore,
    directory: Path,
) -> str:
    node = f"rs-{site_node(center.code)}"
    namespace = lab.add_node(node)
    rs1, rs2 = center.route_servers["rs1"], center.route_servers["rs2"]
    attachment = lan.attach(namespace, ipv4=rs1[0], ipv6=rs1[1])
    for address, network in ((rs2[0], center.ipv4), (rs2[1], center.ipv6)):
        if address is None or network is None:
            continue
        extra = ["nodad"] if address.version == 6 else []
        netns.ip("-n", namespace, "addr", "add", f"{address}/{network.prefixlen}",
                 "dev", attachment.interface, *extra)  # fmt: skip
    server = RtrServer(
        directory / "vrps.json",
        directory / f"rtr-{node}",
        host=settings.rtr_host,
        port=settings.rtr_port,
        namespace=namespace,
    )
    StayRtr(server).start()
    root = settings.route_server_root
    codes = (center.code,)
    route_servers.build(
        registry, irr, root, exchanges=codes, namespace=namespace,
        rtr_host=settings.rtr_host, rtr_port=settings.rtr_port,
    )  # fmt: skip
    route_servers.deploy(registry, root, exchanges=codes, namespace=namespace)
    return node


def _members(
    lab: Lab, center: CenterPlan, lan: EmulatedLan, plan: Announcements, directory: Path
) -> list[ExabgpRouter]:
    started = []
    rs = center.route_servers
    for place in center.routers:
        node = member_node(place)
        router = place.router
        namespace = lab.add_node(node)
        lan.attach(namespace, ipv4=router.ipv4, ipv6=router.ipv6, mac=place.mac,
                   fabric=lab.namespace(site_node(place.site)))  # fmt: skip
        if not router.rs_participation:
            continue
        neighbors = []
        for name in ("rs1", "rs2"):
            for version, local in ((4, router.ipv4), (6, router.ipv6)):
                address = rs[name][0 if version == 4 else 1]
                if local is not None and address is not None:
                    neighbors.append(Neighbor(address, local, center.rs_asn, router.md5_password))
        router_id = router.ipv4 or ipaddress.IPv4Address(0x0A000000 + (router.asn & 0xFFFFFF))
        spec = RouterSpec(node, router.asn, router_id, tuple(neighbors), plan.routes[place.key])
        member = ExabgpRouter(spec, directory / "members" / node)
        member.start(lab, node)
        started.append(member)
    return started


def _collector_link(lab: Lab, main: str) -> exporters.CollectorLink:
    """The collector's node joined to the first main site; every other site routes to it over
    the underlay (the links), and it routes back to every site's VTEP."""
    link = exporters.collector_link(lab, node="collector", fabric=main, network=COLLECTOR_NETWORK)
    netns.ip("-n", lab.namespace(link.node), "route", "add", "default",
             "via", str(link.fabric_address))  # fmt: skip
    return link


def _route_to_collector(lab: Lab, fabric: str, main: str, collector: ipaddress.IPv4Address) -> None:
    if fabric == main:
        return
    route = underlay.routes(fabric, lab.links).get(main)
    if route is None:
        raise ConfigurationError(f"lab: site {fabric} has no path to the collector at {main}")
    hop, device = route.link.far_address(fabric), route.link.interface(fabric)
    netns.ip("-n", lab.namespace(fabric), "route", "replace", f"{collector}/32",
             "via", str(hop), "dev", device)  # fmt: skip


def _export(
    lab: Lab, lan: EmulatedLan, link: exporters.CollectorLink, sampling: int, main: str
) -> None:
    """sfprobe in every fabric of ``lan``, on the member ports there; ``main`` is the site the
    collector hangs off: exporters elsewhere send from their VTEP address, over the links."""
    for segment in lan.segments:
        ports = [a for a in lan.attachments if a.fabric == segment.fabric and a.mac is not None]
        if not ports:
            continue
        node = segment.fabric.removeprefix(lab.prefix)
        view = dataclasses.replace(lan, fabric=segment.fabric, bridge=segment.bridge,
                                   attachments=ports, segments=[segment])  # fmt: skip
        source = link.fabric_address
        if node != main:
            source = lab.fabric(node).vtep
            _route_to_collector(lab, node, main, link.address)
        exporters.start_sfprobe(
            lab, view, exporters.CollectorLink(link.node, source, link.address),
            sampling_rate=sampling, name=f"sfprobe-{node}-{segment.bridge}",
        )  # fmt: skip


def _traffic(lab: Lab, blueprint: Blueprint, options: LabOptions) -> None:
    """A sender per member, each center's members sending to each other (their LAN)."""
    total = sum(len(c.routers) for c in blueprint.centers) or 1
    for center in blueprint.centers:
        members = [
            traffic.Member(member_node(p), float(p.speed_mbps), p.router.ipv4, p.router.ipv6)
            for p in center.routers
        ]
        if len(members) < 2:
            continue
        knobs = traffic.Knobs(
            total_pps=options.traffic_pps * len(members) / total,
            attack_every_s=options.attack_every_s,
            attack_sources=min(3, len(members) - 1),
        )
        sender.start_senders(lab, traffic.plan(members, knobs, seed=options.seed))


def down(settings: Settings) -> Teardown:
    """Stop and delete the lab of this data directory (whatever state it is in)."""
    directory = run_dir(settings)
    lab_dir = directory / "netns"
    if not (lab_dir / "lab.json").exists() and not (directory / STATE).exists():
        return Teardown(0, 0)
    netns.require_privileges()
    state = read_state(settings) if (directory / STATE).exists() else None
    stopped = _stop_route_servers(settings, state) if state is not None else 0
    teardown = Lab(lab_dir).down() if (lab_dir / "lab.json").exists() else Teardown(0, 0)
    (directory / STATE).unlink(missing_ok=True)
    return Teardown(teardown.processes + stopped, teardown.namespaces)


def _stop_route_servers(settings: Settings, state: ExchangeState) -> int:
    """The daemons ``deploy`` and ``StayRtr`` started (by their PID records), before the lab
    sweeps the namespaces; returns how many were running."""
    stopped = 0
    root = settings.route_server_root
    for center in state.centers:
        for spec in route_servers.specs(root, (center.code,)):
            daemon = daemon_for(spec.process())
            stopped += daemon.running()
            daemon.stop()
        rtr = RtrServer(
            run_dir(settings) / "vrps.json", run_dir(settings) / f"rtr-{center.rs_node}"
        )
        stopped += StayRtr(rtr).stop()
    return stopped
