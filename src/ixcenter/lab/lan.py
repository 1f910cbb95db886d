"""An emulated peering LAN: a Linux bridge in a fabric namespace, one veth pair per router.

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
from dataclasses import dataclass, field

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.lab import netns

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


@dataclass(slots=True)
class EmulatedLan:
    """A bridge named ``bridge`` inside namespace ``fabric``, with its IPv4 and IPv6 prefixes."""

    fabric: str
    bridge: str
    ipv4: ipaddress.IPv4Network | None
    ipv6: ipaddress.IPv6Network | None
    attachments: list[Attachment] = field(default_factory=list)

    def create(self) -> EmulatedLan:
        """Make the bridge (the fabric namespace must exist); returns itself."""
        netns.ip("-n", self.fabric, "link", "add", self.bridge, "type", "bridge")
        netns.ip("-n", self.fabric, "link", "set", self.bridge, "up")
        logger.info("LAN %s/%s: bridge up (%s, %s)", self.fabric, self.bridge, self.ipv4, self.ipv6)
        return self

    def attach(
        self,
        namespace: str,
        *,
        ipv4: str | IPv4 | None = None,
        ipv6: str | IPv6 | None = None,
        interface: str = "lan0",
        mac: str | None = None,
    ) -> Attachment:
        """Connect ``namespace`` to the bridge through ``interface`` with the given addresses."""
        v4 = self._v4(ipv4)
        v6 = self._v6(ipv6)
        port = f"{self.bridge}p{len(self.attachments) + 1}"
        if len(port) > 15 or len(interface) > 15:
            raise ValidationFailed([Problem("interface", f"{port}/{interface}: over 15 chars")])
        netns.ip(
            "-n", self.fabric, "link", "add", port, "type", "veth",
            "peer", "name", interface, "netns", namespace,
        )  # fmt: skip
        netns.ip("-n", self.fabric, "link", "set", port, "master", self.bridge, "up")
        if mac is not None:
            netns.ip("-n", namespace, "link", "set", interface, "address", mac)
        if v4 is not None:
            netns.ip("-n", namespace, "addr", "add", str(v4), "dev", interface)
        if v6 is not None:
            netns.sysctl(namespace, f"net.ipv6.conf.{interface}.accept_dad", "0")  # link-local too
            netns.ip("-n", namespace, "-6", "addr", "add", str(v6), "dev", interface, "nodad")
        netns.ip("-n", namespace, "link", "set", interface, "up")
        attachment = Attachment(namespace, interface, port, v4, v6, mac)
        self.attachments.append(attachment)
        logger.info("LAN %s: %s attached as %s (%s, %s)", self.bridge, namespace, port, v4, v6)
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


def _check_inside(
    address: object, network: ipaddress.IPv4Network | ipaddress.IPv6Network, what: str
) -> None:
    try:
        parsed = ipaddress.ip_address(str(address))
    except ValueError as exc:
        raise ValidationFailed([Problem(what, str(exc))]) from None
    if parsed.version != network.version or parsed not in network:
        raise ValidationFailed([Problem(what, f"{parsed} is not inside {network}")])
