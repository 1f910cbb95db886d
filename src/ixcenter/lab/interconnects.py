"""Private interconnects in the lab: a VLAN joining member ports, across sites and centers.

Each ``InterconnectPlan`` of the blueprint becomes a LAN of its own (``Lab.add_lan``): a bridge
in the site of its first port, spanning over VXLAN into the sites of the others, so an
interconnect between two centers crosses their long-distance link (and its delay). Each member
router gets a second interface ``ic<k>`` on it, with the MAC address of its port (the exchange
sees the same router behind the same port) and an address of the interconnect's own subnet:
``10.200.<k>.0/24`` and ``fd00:200:<k>::/64``, private space that stays in the lab. A sender per
router sends the interconnect's share of traffic to the other routers on it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ixcenter.lab import sender, traffic
from ixcenter.lab.blueprint import Blueprint, InterconnectPlan, RouterPlace
from ixcenter.lab.lab import Lab
from ixcenter.lab.lan import EmulatedLan

logger = logging.getLogger(__name__)

V4 = ipaddress.IPv4Network("10.200.0.0/16")
V6 = ipaddress.IPv6Network("fd00:200::/48")


@dataclass(frozen=True, slots=True)
class Built:
    plan: InterconnectPlan
    lan: EmulatedLan
    members: tuple[traffic.Member, ...]  # the routers on it, with their interconnect addresses


def subnets(index: int) -> tuple[ipaddress.IPv4Network, ipaddress.IPv6Network]:
    """The IPv4 /24 and IPv6 /64 of interconnect ``index`` (from 0)."""
    if not 0 <= index < 256:
        raise ValueError("the lab numbers at most 256 interconnects")
    v4 = ipaddress.IPv4Network((int(V4.network_address) + (index << 8), 24))
    v6 = ipaddress.IPv6Network((int(V6.network_address) + (index << 64), 64))
    return v4, v6


def build(
    lab: Lab,
    blueprint: Blueprint,
    node_of: dict[str, str],
    site_of: dict[str, str],
) -> list[Built]:
    """Every interconnect of ``blueprint`` as a LAN; ``node_of``: router key -> lab node,
    ``site_of``: router key -> fabric node of its port."""
    places = {p.key: p for p in blueprint.routers}
    built = []
    for index, plan in enumerate(blueprint.interconnects):
        v4, v6 = subnets(index)
        sites = list(dict.fromkeys(site_of[key] for key in plan.routers))
        lan = lab.add_lan(ipv4=v4, ipv6=v6, fabric=sites[0], spans=sites[1:])
        members = []
        for host, key in enumerate(plan.routers, start=1):
            place: RouterPlace = places[key]
            node = node_of[key]
            ipv4, ipv6 = v4.network_address + host, v6.network_address + host
            lan.attach(lab.namespace(node), ipv4=ipv4, ipv6=ipv6, interface=f"ic{index}",
                       mac=place.mac, fabric=lab.namespace(site_of[key]))  # fmt: skip
            members.append(traffic.Member(node, float(place.speed_mbps), ipv4, ipv6))
        built.append(Built(plan, lan, tuple(members)))
        logger.info("lab %s: interconnect %s across %s", lab.run_id, plan.name, ", ".join(sites))
    return built


def start_traffic(lab: Lab, built: Sequence[Built], *, pps: float, seed: int) -> None:
    """A sender per router and interconnect, ``pps`` packets per second on each, no attacks."""
    for index, item in enumerate(built):
        knobs = traffic.Knobs(total_pps=pps, attack_pps=0.0, attack_sources=1)
        plan = traffic.plan(item.members, knobs, seed=seed + index)
        directory = lab.run_dir / "traffic" / f"ic{index}"
        sender.start_senders(lab, plan, directory=directory, label=f"ic{index}")
