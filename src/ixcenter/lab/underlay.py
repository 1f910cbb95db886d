"""The lab's underlay: the routed IPv4 network between fabric namespaces that VXLAN rides on.

Plain values and arithmetic, no I/O (``fabric.py`` applies them):

- every fabric ``i`` (in the order the lab made them) has a VTEP address ``198.18.0.0 + i + 1``
  on its loopback, from the benchmarking range (RFC 2544) that no real network routes;
- every link ``k`` is a point-to-point /31 from ``198.19.0.0/16``: ``2k`` on side ``a``,
  ``2k + 1`` on side ``b``, on interfaces ``lk<k>a`` and ``lk<k>b``;
- each fabric routes to every other fabric's VTEP along the path of least total latency
  (Dijkstra; ties go to the link made first), so two fabrics without a direct link still reach
  each other through the fabrics between them and the delay adds up along the way.

A link's ``latency_ms`` is the registry's ``LongDistanceLink.latency_ms``: the one-way
propagation delay (the demo data computes it from the fibre distance at 200 km/ms). Each
direction of the link delays every frame by exactly that, so a round trip over one link takes
at least twice the latency.
"""

from __future__ import annotations

import heapq
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from ixcenter.core.errors import Problem, ValidationFailed

VTEPS = ipaddress.IPv4Network("198.18.0.0/16")
LINKS = ipaddress.IPv4Network("198.19.0.0/16")
VXLAN_PORT = 4789
UNDERLAY_MTU = 1600  # a 1500-byte LAN frame plus VXLAN's 50 bytes, with room to spare
LAN_MTU = 1500


def vtep(index: int) -> ipaddress.IPv4Address:
    """The VTEP (loopback) address of the fabric made ``index``-th (from 0)."""
    if not 0 <= index < VTEPS.num_addresses - 2:
        raise ValidationFailed([Problem("fabric", f"fabric number {index} out of range")])
    return VTEPS.network_address + index + 1


@dataclass(frozen=True, slots=True)
class Link:
    """Link number ``index`` between fabrics ``a`` and ``b`` (node names), one-way latency."""

    index: int
    name: str
    a: str
    b: str
    latency_ms: float

    def __post_init__(self) -> None:
        problems = []
        if self.a == self.b:
            problems.append(Problem("link", f"{self.name}: both ends are {self.a}"))
        if not self.latency_ms >= 0:
            problems.append(Problem("latency_ms", f"{self.name}: {self.latency_ms} is negative"))
        if not 0 <= self.index < LINKS.num_addresses // 2:
            problems.append(Problem("link", f"link number {self.index} out of range"))
        if problems:
            raise ValidationFailed(problems)

    @property
    def a_interface(self) -> str:
        return f"lk{self.index}a"

    @property
    def b_interface(self) -> str:
        return f"lk{self.index}b"

    @property
    def a_address(self) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{LINKS.network_address + 2 * self.index}/31")

    @property
    def b_address(self) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{LINKS.network_address + 2 * self.index + 1}/31")

    def interface(self, fabric: str) -> str:
        """The interface of this link inside ``fabric``."""
        return self.a_interface if self._end(fabric) == self.a else self.b_interface

    def far_address(self, fabric: str) -> ipaddress.IPv4Address:
        """The address of the other end, seen from ``fabric``: the next hop over this link."""
        return (self.b_address if self._end(fabric) == self.a else self.a_address).ip

    def far_end(self, fabric: str) -> str:
        return self.b if self._end(fabric) == self.a else self.a

    def _end(self, fabric: str) -> str:
        if fabric not in (self.a, self.b):
            raise ValidationFailed([Problem("fabric", f"{fabric} is not an end of {self.name}")])
        return fabric


@dataclass(frozen=True, slots=True)
class Route:
    """From one fabric to ``destination``: leave over ``link``; ``latency_ms`` is the whole path."""

    destination: str
    link: Link
    latency_ms: float


def routes(source: str, links: Sequence[Link]) -> dict[str, Route]:
    """The least-latency route from ``source`` to every fabric it can reach over ``links``."""
    adjacent: dict[str, list[Link]] = {}
    for link in links:
        adjacent.setdefault(link.a, []).append(link)
        adjacent.setdefault(link.b, []).append(link)
    best: dict[str, Route] = {}
    # (latency so far, order of discovery, fabric, first link on the path)
    frontier: list[tuple[float, int, str, Link | None]] = [(0.0, 0, source, None)]
    settled: set[str] = set()
    order = 0
    while frontier:
        latency, _, fabric, first = heapq.heappop(frontier)
        if fabric in settled:
            continue
        settled.add(fabric)
        if first is not None:
            best[fabric] = Route(fabric, first, latency)
        for link in adjacent.get(fabric, []):
            far = link.far_end(fabric)
            if far not in settled:
                order += 1
                heapq.heappush(frontier, (latency + link.latency_ms, order, far, first or link))
    return best


def path_latency(a: str, b: str, links: Sequence[Link]) -> float | None:
    """One-way latency of the least-latency path from ``a`` to ``b``; None if unreachable."""
    if a == b:
        return 0.0
    route = routes(a, links).get(b)
    return None if route is None else route.latency_ms
