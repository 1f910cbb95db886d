"""An emulated peering LAN: a Linux bridge in a fabric namespace, one veth pair per router.

A LAN may span several fabrics (sites): it then has a bridge in each (a ``Segment``) and, in
each, one VXLAN device with the LAN's VNI as a port of that bridge. Every VXLAN device floods
to every other segment's VTEP directly (a full mesh of head-end replication, ``bridge fdb
append 00:00:00:00:00:00 ... dst VTEP``) and learns unicast MACs from what it receives. There
is no forwarding loop however many fabrics carry the LAN, and with no spanning tree: a frame
that came in over VXLAN enters the bridge through the VXLAN port and a bridge never sends a
frame back out of the port it came in on (split horizon), so it only reaches local routers.
The underlay between the VTEPs is routed (``underlay.py``), not bridged.

The bridge and the fabric side of every veth pair live in the fabric namespace; the router
side is created directly inside the router's namespace, so no interface of the lab ever
appears in the host's namespace and deleting the namespaces removes them all. The fabric has
no addresses (IPv6 is off there); routers get theirs inside their own namespace only. IPv6
addresses are added with ``nodad`` (and DAD is off on the interface, for the link-local
address too), so a BGP daemon can bind to them at once.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from ixcenter.core.errors import NotFound, Problem, ValidationFailed
from ixcenter.lab import netns
from ixcenter.lab.underlay import LAN_MTU, VXLAN_PORT

logger = logging.getLogger(__name__)

IPv4 = ipaddress.IPv4Address
IPv6 = ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Attachment:
    """One router's port on the LAN: its namespace and interface, and the fabric-side port."""

    namespace: str
    interface: str
    port: str
    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface | None
    mac: str | None = None
    fabric: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """The part of a LAN in one fabric namespace: its bridge there."""

    fabric: str
    bridge: str


@dataclass(slots=True)
class EmulatedLan:
    """A bridge named ``bridge`` inside namespace ``fabric``, with its IPv4 and IPv6 prefixes.

    ``fabric`` and ``bridge`` name the LAN's first segment; ``segments`` lists all of them, the
    first included, once ``create`` has run. ``vni`` identifies the LAN on the underlay (0: it
    cannot span fabrics).
    """

    fabric: str
    bridge: str
    ipv4: ipaddress.IPv4Network | None
    ipv6: ipaddress.IPv6Network | None
    attachments: list[Attachment] = field(default_factory=list)
    vni: int = 0
    segments: list[Segment] = field(default_factory=list)

    @property
    def vxlan(self) -> str:
        """The name of the LAN's VXLAN device, the same in every fabric."""
        return f"vx{self.vni}"

    def create(self) -> EmulatedLan:
        """Make the bridge (the fabric namespace must exist); returns itself."""
        _bridge(self.fabric, self.bridge)
        self.segments = [Segment(self.fabric, self.bridge)]
        logger.info("LAN %s/%s: bridge up (%s, %s)", self.fabric, self.bridge, self.ipv4, self.ipv6)
        return self

    def segment(self, fabric: str) -> Segment:
        """The LAN's segment in namespace ``fabric``."""
        for segment in self.segments:
            if segment.fabric == fabric:
                return segment
        raise NotFound(f"LAN {self.bridge} (VNI {self.vni}) is not present in {fabric}")

    def span(self, fabric: str, bridge: str, vteps: Mapping[str, ipaddress.IPv4Address]) -> Segment:
        """Extend the LAN into namespace ``fabric`` with a new bridge named ``bridge`` there.

        ``vteps`` maps each fabric namespace of the LAN (the new one included) to its VTEP
        address; those must reach each other over the underlay for frames to pass.
        """
        if self.vni <= 0:
            raise ValidationFailed([Problem("vni", f"LAN {self.bridge} has no VNI to span with")])
        if any(s.fabric == fabric for s in self.segments):
            raise ValidationFailed([Problem("fabric", f"LAN {self.vni} is in {fabric} already")])
        missing = [
            s.fabric for s in (*self.segments, Segment(fabric, bridge)) if s.fabric not in vteps
        ]
        if missing:
            raise ValidationFailed([Problem("fabric", f"no VTEP address for {missing}")])
        existing = list(self.segments)
        _bridge(fabric, bridge)
        segment = Segment(fabric, bridge)
        self.segments.append(segment)
        if len(existing) == 1:
            self._vxlan(existing[0], vteps[existing[0].fabric])
        self._vxlan(segment, vteps[fabric])
        for other in existing:
            self._flood(other, vteps[fabric])
            self._flood(segment, vteps[other.fabric])
        logger.info("LAN VNI %d: spans %s", self.vni, ", ".join(s.fabric for s in self.segments))
        return segment

    def _vxlan(self, segment: Segment, local: ipaddress.IPv4Address) -> None:
        device, namespace = self.vxlan, segment.fabric
        netns.ip(
            "-n", namespace, "link", "add", device, "type", "vxlan", "id", str(self.vni),
            "local", str(local), "dstport", str(VXLAN_PORT), "ttl", "64",
        )  # fmt: skip
        netns.ip("-n", namespace, "link", "set", device, "mtu", str(LAN_MTU))
        netns.ip("-n", namespace, "link", "set", device, "master", segment.bridge, "up")

    def _flood(self, segment: Segment, remote: ipaddress.IPv4Address) -> None:
        netns.bridge(
            "-n", segment.fabric, "fdb", "append", "00:00:00:00:00:00",
            "dev", self.vxlan, "dst", str(remote),
        )  # fmt: skip

    def attach(
        self,
        namespace: str,
        *,
        ipv4: str | IPv4 | None = None,
        ipv6: str | IPv6 | None = None,
        interface: str = "lan0",
        mac: str | None = None,
        fabric: str | None = None,
    ) -> Attachment:
        """Connect ``namespace`` through ``interface`` with the given addresses to the LAN's
        bridge in namespace ``fabric`` (the first segment's if None)."""
        v4 = self._v4(ipv4)
        v6 = self._v6(ipv6)
        if fabric is None or fabric == self.fabric:
            fabric, bridge = self.fabric, self.bridge
        else:
            bridge = self.segment(fabric).bridge
        port = f"{bridge}p{len(self.attachments) + 1}"
        if len(port) > 15 or len(interface) > 15:
            raise ValidationFailed([Problem("interface", f"{port}/{interface}: over 15 chars")])
        netns.ip(
            "-n", fabric, "link", "add", port, "type", "veth",
            "peer", "name", interface, "netns", namespace,
        )  # fmt: skip
        netns.ip("-n", fabric, "link", "set", port, "master", bridge, "up")
        if mac is not None:
            netns.ip("-n", namespace, "link", "set", interface, "address", mac)
        if v4 is not None:
            netns.ip("-n", namespace, "addr", "add", str(v4), "dev", interface)
        if v6 is not None:
            netns.sysctl(namespace, f"net.ipv6.conf.{interface}.accept_dad", "0")  # link-local too
            netns.ip("-n", namespace, "-6", "addr", "add", str(v6), "dev", interface, "nodad")
        netns.ip("-n", namespace, "link", "set", interface, "up")
        attachment = Attachment(namespace, interface, port, v4, v6, mac, fabric)
        self.attachments.append(attachment)
        logger.info(
            "LAN %s: %s attached as %s/%s (%s, %s)", bridge, namespace, fabric, port, v4, v6
        )
        return attachment

    def _v4(self, address: str | IPv4 | None) -> ipaddress.IPv4Interface | None:
        if address is None:
            return None
        if self.ipv4 is None:
            raise ValidationFailed([Problem("ipv4", f"LAN {self.bridge} has no IPv4 prefix")])
        _check_inside(address, self.ipv4, "ipv4")
        return ipaddress.IPv4Interface(f"{address}/{self.ipv4.prefixlen}")

    def _v6(self, address: str | IPv6 | None) -> ipaddress.IPv6Interface | None:
        if address is None:
            return None
        if self.ipv6 is None:
            raise ValidationFailed([Problem("ipv6", f"LAN {self.bridge} has no IPv6 prefix")])
        _check_inside(address, self.ipv6, "ipv6")
        return ipaddress.IPv6Interface(f"{address}/{self.ipv6.prefixlen}")


def _bridge(fabric: str, name: str) -> None:
    netns.ip("-n", fabric, "link", "add", name, "type", "bridge")
    netns.ip("-n", fabric, "link", "set", name, "up")


def _check_inside(
    address: object, network: ipaddress.IPv4Network | ipaddress.IPv6Network, what: str
) -> None:
    try:
        parsed = ipaddress.ip_address(str(address))
    except ValueError as exc:
        raise ValidationFailed([Problem(what, str(exc))]) from None
    if parsed.version != network.version or parsed not in network:
        raise ValidationFailed([Problem(what, f"{parsed} is not inside {network}")])
