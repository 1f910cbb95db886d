"""Fabric namespaces and the links between them, made real (the plan is ``underlay.py``).

A fabric is one namespace standing for a site of the exchange (a node, or a whole exchange
center: the caller decides). It holds the bridges of the peering LANs present there, one VXLAN
device per such LAN when the LAN spans several fabrics, and the ends of the links to other
fabrics. It routes IPv4 between its links (``ip_forward``) and has its VTEP address on its
loopback; IPv6 is off, so the fabric itself sends nothing onto the LANs.

A link is a ``wire`` process (``python -m ixcenter.lab.wire``) started inside fabric ``a`` and
recorded by the lab like any other process. It creates both TAP ends there; the lab moves end
``b`` into fabric ``b``, numbers both ends and refreshes every fabric's routes. Nothing is made
in the host's namespace, so deleting the namespaces and stopping the wires (``Lab.down()``)
removes everything, whenever the build stopped.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ixcenter.core.errors import UpstreamError
from ixcenter.lab import netns
from ixcenter.lab.processes import LabProcess
from ixcenter.lab.underlay import UNDERLAY_MTU, Link, routes

logger = logging.getLogger(__name__)

WIRE_READY_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Fabric:
    """Fabric ``node`` of the lab: its namespace and its VTEP (underlay) address."""

    node: str
    namespace: str
    vtep: ipaddress.IPv4Address


def prepare(fabric: Fabric) -> None:
    """Turn a fresh namespace into a fabric: IPv6 off, IPv4 forwarding on, VTEP on loopback."""
    for key, value in (
        ("net.ipv6.conf.all.disable_ipv6", "1"),
        ("net.ipv6.conf.default.disable_ipv6", "1"),
        ("net.ipv4.ip_forward", "1"),
        ("net.ipv4.conf.all.rp_filter", "0"),
        ("net.ipv4.conf.default.rp_filter", "0"),
    ):
        netns.sysctl(fabric.namespace, key, value)
    netns.ip("-n", fabric.namespace, "addr", "add", f"{fabric.vtep}/32", "dev", "lo")
    logger.info("fabric %s: VTEP %s", fabric.node, fabric.vtep)


def wire_argv(link: Link) -> list[str]:
    """The command of the process that carries ``link`` (run inside fabric ``link.a``)."""
    return [
        sys.executable,
        "-m",
        "ixcenter.lab.wire",
        link.a_interface,
        link.b_interface,
        f"{link.latency_ms:g}",
    ]


def connect(link: Link, a: Fabric, b: Fabric, wire: LabProcess) -> None:
    """Once ``wire`` has made both ends in ``a``: move end b to ``b``, number and raise both."""
    _wait_for_ends(link, a, wire)
    netns.ip("-n", a.namespace, "link", "set", link.b_interface, "netns", b.namespace)
    for fabric, interface, address in (
        (a, link.a_interface, link.a_address),
        (b, link.b_interface, link.b_address),
    ):
        netns.ip("-n", fabric.namespace, "link", "set", interface, "mtu", str(UNDERLAY_MTU))
        netns.ip("-n", fabric.namespace, "addr", "add", str(address), "dev", interface)
        netns.ip("-n", fabric.namespace, "link", "set", interface, "up")
    logger.info(
        "link %s: %s %s <-> %s %s, %g ms one way",
        link.name, a.node, link.a_address, b.node, link.b_address, link.latency_ms,
    )  # fmt: skip


def install_routes(fabrics: Mapping[str, Fabric], links: Sequence[Link]) -> int:
    """Route every fabric to every VTEP it can reach, least latency first; routes installed."""
    installed = 0
    for node, fabric in fabrics.items():
        for destination, route in routes(node, links).items():
            if destination not in fabrics:
                continue
            netns.ip(
                "-n", fabric.namespace, "route", "replace", f"{fabrics[destination].vtep}/32",
                "via", str(route.link.far_address(node)), "dev", route.link.interface(node),
            )  # fmt: skip
            installed += 1
    return installed


def _wait_for_ends(link: Link, a: Fabric, wire: LabProcess) -> None:
    deadline = time.monotonic() + WIRE_READY_TIMEOUT
    wanted = {link.a_interface, link.b_interface}
    while True:
        if wanted <= _links(a.namespace):
            return
        if not wire.alive():
            raise UpstreamError(f"link {link.name}: the wire process died: {_tail(wire)}")
        if time.monotonic() > deadline:
            raise UpstreamError(f"link {link.name}: no interfaces after {WIRE_READY_TIMEOUT}s")
        time.sleep(0.05)


def _links(namespace: str) -> set[str]:
    output = netns.ip("-n", namespace, "-o", "link", "show")
    return {line.split(": ")[1].split("@")[0] for line in output.splitlines() if ": " in line}


def _tail(process: LabProcess) -> str:
    try:
        lines = process.log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(lines[-5:]) or "(empty log)"
