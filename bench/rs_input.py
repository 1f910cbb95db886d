"""A synthetic exchange for the route-server benchmark, the same for every seed and size.

``generate(members=1000, seed=1)`` builds one peering LAN with its member routers and their IRR
and RPKI data, shaped like a large exchange:

* routers: one per member, two for ~4% of them; IPv4 for all, IPv6 for ~86% of the members,
  so ~1.9 sessions per member;
* route objects: ~275 route and ~38 route6 objects per member on average, heavy-tailed (member
  weights are quantiles of a log-normal: a few members with tens of thousands, most with a
  handful), split between the member's own ASN and its customers' ASNs;
* AS-SETs: per member a customer cone (sets of customers inside the member's set, in two
  levels when large), ~1% of the members with a chain of sets ``DEEP_DEPTH`` levels deep (the
  first chain also loops back to its root), ~5% including another member's set and ~5% with no
  AS-SET at all; an aut-num per ASN;
* VRPs: ~100 per member; about a third of the IRR origins covered by ROAs, a few of those
  making their routes RPKI-invalid (another origin ASN, or a maxLength that rules out more
  specifics), the rest ROAs for address space outside the IRR data (the rest of the Internet);
* per-member max-prefix limits: 1.2 times the route (route6) objects of the expanded set, + 10.

``write_all`` writes the RPSL dump, the VRP JSON (as rpki-client writes it), arouteserver's
``general.yml`` and ``clients.yml`` (``arouteserver_env.py``) and the same routers as
ixcenter's plain compiler inputs (``RouteServerInputs`` of ``ixcenter.routing.policy.inputs``)
in JSON.

Run from the repository root to write the files alone::

    .venv/bin/python -m bench.rs_input --members 1000 --seed 1 --out /tmp/rs-input
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import logging
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

from bench import arouteserver_env
from ixcenter.core.prefixes import bogon_blocks
from ixcenter.routing.policy.inputs import (
    LanInputs,
    MemberRouter,
    Reservation,
    RouteServerInputs,
)
from ixcenter.routing.policy.model import MaxPrefixAction, PolicySettings

logger = logging.getLogger(__name__)

SOURCE = "BENCH"  # the one IRR source of the dump
RS_ASN = 59999
EXCHANGE = "BENCH"
LAN_V4 = ipaddress.IPv4Address("100.64.0.0")
LAN_V6 = ipaddress.IPv6Network("2001:db8:100::/64")
FIRST_ROUTER = 10  # host number of the first member router on the LAN
DEEP_DEPTH = 8
SIGMA = 2.5  # spread of the log-normal member weights
VRP_BUILDTIME = "2026-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class Sizes:
    members: int = 1000
    routes_per_member: float = 275.0
    route6_per_member: float = 38.0
    vrps_per_member: float = 100.0
    two_routers: float = 0.04
    ipv6: float = 0.86
    no_as_set: float = 0.05
    includes_member: float = 0.05
    deep: float = 0.01
    roa_covered: float = 0.35
    roa_invalid: float = 0.06  # of the covered origins: half wrong ASN, half short maxLength
    blackhole_opt_in: float = 0.3


@dataclass(frozen=True, slots=True)
class Exchange:
    """Everything generated; prefixes are ``(version, network as int, length)``."""

    seed: int
    sizes: Sizes
    lan: LanInputs
    routers: tuple[MemberRouter, ...]
    as_sets: tuple[tuple[str, tuple[str, ...]], ...]
    aut_nums: tuple[int, ...]
    routes: tuple[tuple[int, int, int, int], ...]  # version, network, length, origin
    vrps: tuple[tuple[int, int, int, int, int], ...]  # version, network, length, maxLength, ASN
    deep_sets: tuple[str, ...] = ()  # roots of the deep chains; the first one loops

    def counts(self) -> dict[str, int]:
        return {
            "members": len({r.asn for r in self.routers}),
            "routers": len(self.routers),
            "sessions": sum(len(r.addresses) for r in self.routers),
            "route": sum(1 for r in self.routes if r[0] == 4),
            "route6": sum(1 for r in self.routes if r[0] == 6),
            "as-set": len(self.as_sets),
            "aut-num": len(self.aut_nums),
            "vrps": len(self.vrps),
        }


def prefix_text(version: int, network: int, length: int) -> str:
    if version == 4:
        octets = (network >> 24, network >> 16 & 255, network >> 8 & 255, network & 255)
        return f"{'.'.join(map(str, octets))}/{length}"
    return f"{ipaddress.IPv6Address(network).compressed}/{length}"


class _Space:
    """Aligned IPv4 blocks of /24s, handed out in order over the /8s that hold no bogon."""

    def __init__(self) -> None:
        bogons = [b.network for b in bogon_blocks(4)]
        self.eights = [
            n
            for n in range(1, 224)
            if not any(ipaddress.IPv4Network((n << 24, 8)).overlaps(b) for b in bogons)
        ]
        self.next = 0  # in /24s

    def take(self, size: int) -> tuple[int, int]:
        """A block of ``size`` /24s (a power of two): (network, length)."""
        start = -(-self.next // size) * size
        self.next = start + size
        eight, offset = divmod(start, 1 << 16)
        return (self.eights[eight] << 24) + (offset << 8), 25 - size.bit_length()


@dataclass(slots=True)
class _Builder:
    sizes: Sizes
    rng: random.Random
    space: _Space = field(default_factory=_Space)
    v6_next: int = int(ipaddress.IPv6Address("2a00::")) >> 96  # next /32
    next_customer: int = 300_000
    routes: list[tuple[int, int, int, int]] = field(default_factory=list)
    vrps: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    as_sets: dict[str, list[str]] = field(default_factory=dict)
    aut_nums: list[int] = field(default_factory=list)
    objects: dict[int, tuple[int, int]] = field(default_factory=dict)  # route, route6 per ASN

    def origin(self, asn: int, v4: int, v6: int) -> None:
        """Route objects of one origin: an aggregate and /24 (/48) more specifics; its ROAs."""
        self.aut_nums.append(asn)
        self.objects[asn] = (v4, v6)
        blocks: list[tuple[int, int, int]] = []
        if v4:
            size = max(2, 1 << (v4 - 1).bit_length()) if v4 > 1 else 1
            network, length = self.space.take(size)
            self.routes.append((4, network, length, asn))
            self.routes.extend((4, network + (i << 8), 24, asn) for i in range(v4 - 1))
            blocks.append((4, network, length))
        if v6:
            network = self.v6_next << 96
            self.v6_next += 1
            self.routes.append((6, network, 32, asn))
            self.routes.extend((6, network + (i << 80), 48, asn) for i in range(v6 - 1))
            blocks.append((6, network, 32))
        if blocks and self.rng.random() < self.sizes.roa_covered:
            kind = self.rng.random()
            for version, network, length in blocks:
                longest = 24 if version == 4 else 48
                if kind < self.sizes.roa_invalid / 2:  # another origin: every route invalid
                    self.vrps.append((version, network, length, longest, asn + 1))
                elif kind < self.sizes.roa_invalid:  # maxLength: more specifics invalid
                    self.vrps.append((version, network, length, length, asn))
                else:
                    self.vrps.append((version, network, length, longest, asn))

    def customers(self, total4: int, total6: int) -> list[int]:
        """Customer origins sharing ``total4``/``total6`` route objects; their ASNs."""
        found: list[int] = []
        left4, left6 = total4, total6
        while left4 > 0 or left6 > 0:
            v4 = min(left4, max(1, int(self.rng.paretovariate(1.5) * 3)))
            v6 = min(left6, round(v4 * self.sizes.route6_per_member / self.sizes.routes_per_member))
            if left4 <= 0:
                v6 = left6
            asn = self.next_customer
            self.next_customer += 1
            self.origin(asn, v4, v6)
            left4, left6 = left4 - v4, left6 - v6
            found.append(asn)
        return found

    def cone(self, root: str, own: str, customers: list[str], depth: int) -> None:
        """The member's set ``root``: its ASN, customers, and sub-sets (a chain if ``depth``)."""
        if depth > 1:
            levels = [root] + [f"{root}-L{n}" for n in range(1, depth)]
            share = max(1, -(-len(customers) // depth))
            for n, name in enumerate(levels):
                members = customers[n * share : (n + 1) * share]
                if n + 1 < depth:
                    members = [*members, levels[n + 1]]
                self.as_sets[name] = [own, *members] if n == 0 else members
            return
        direct, rest = customers[:10], customers[10:]
        groups = [rest[i : i + 50] for i in range(0, len(rest), 50)]
        subsets = [f"{root}-C{n}" for n in range(1, len(groups) + 1)]
        for name, group in zip(subsets, groups, strict=True):
            self.as_sets[name] = group
        if len(subsets) > 20:
            tops = [f"{root}-G{n}" for n in range(1, -(-len(subsets) // 20) + 1)]
            for n, name in enumerate(tops):
                self.as_sets[name] = subsets[n * 20 : (n + 1) * 20]
            subsets = tops
        self.as_sets[root] = [own, *direct, *subsets]

    def cone_objects(self, asn: int, as_set: str | None) -> tuple[int, int]:
        """Route and route6 objects of every origin in the member's expanded set."""
        origins, seen, todo = {asn}, set(), [as_set] if as_set else []
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for member in self.as_sets[name]:
                if member.startswith("AS-"):
                    todo.append(member)
                else:
                    origins.add(int(member[2:]))
        counts = [self.objects.get(origin, (0, 0)) for origin in origins]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def filler_vrps(self, count: int) -> None:
        """ROAs for space no route object covers, as the rest of the Internet has."""
        v6_next = int(ipaddress.IPv6Address("2600::")) >> 96
        for _ in range(count):
            asn = self.rng.randrange(400_000, 500_000)
            if self.rng.random() < 0.8:
                length = self.rng.choice((16, 18, 20, 22, 23, 24, 24, 24))
                network, _ = self.space.take(1 << (24 - length))
                longest = self.rng.choice((length, 24))
                self.vrps.append((4, network, length, longest, asn))
            else:
                length = self.rng.choice((32, 36, 40, 44, 48))
                self.vrps.append((6, v6_next << 96, length, self.rng.choice((length, 48)), asn))
                v6_next += 1


def _weights(count: int, mean: float, rng: random.Random) -> list[int]:
    """Heavy-tailed whole numbers with the given mean: log-normal quantiles, shuffled."""
    normal = NormalDist()
    raw = [math.exp(SIGMA * normal.inv_cdf((r + 0.5) / count)) for r in range(count)]
    scale = mean * count / sum(raw)
    values = [max(1, round(w * scale)) for w in raw]
    rng.shuffle(values)
    return values


def _member_asn(index: int) -> int:
    return 20_000 + index // 2 if index % 2 == 0 else 200_000 + index // 2


def _lan(routers: int) -> LanInputs:
    length = min(24, 32 - (FIRST_ROUTER + routers + 1).bit_length())
    v4 = ipaddress.IPv4Network((LAN_V4, length))
    reserved = (
        Reservation(LAN_V4 + 1, "rs1"),
        Reservation(LAN_V4 + 2, "rs2"),
        Reservation(LAN_V4 + 3, "blackhole next hop"),
        Reservation(LAN_V6[1], "rs1"),
        Reservation(LAN_V6[2], "rs2"),
        Reservation(LAN_V6[3], "blackhole next hop"),
    )
    return LanInputs(EXCHANGE, RS_ASN, v4, LAN_V6, reserved, (v4, LAN_V6))


def generate(members: int = 1000, seed: int = 1, sizes: Sizes | None = None) -> Exchange:
    """The synthetic exchange for ``members`` members; equal seeds give equal exchanges."""
    sizes = dataclasses.replace(sizes or Sizes(), members=members)
    rng = random.Random(seed)
    build = _Builder(sizes, rng)
    weights4 = _weights(members, sizes.routes_per_member, rng)
    ratio6 = sizes.route6_per_member / sizes.routes_per_member
    weights6 = [round(w * ratio6 + rng.random() - 0.5) for w in weights4]
    large = [i for i in range(members) if weights4[i] >= 4 * DEEP_DEPTH] or list(range(members))
    deep = set(rng.sample(large, min(len(large), max(1, round(members * sizes.deep)))))
    plans: list[tuple[int, str | None, int, int]] = []  # asn, set, routers, cone routes
    for index in range(members):
        asn = _member_asn(index)
        w4, w6 = weights4[index], max(0, weights6[index])
        has_set = index in deep or rng.random() >= sizes.no_as_set
        own4 = w4 if not has_set or w4 <= 3 else max(1, round(w4 * rng.uniform(0.1, 0.5)))
        own6 = w6 if not has_set else round(w6 * own4 / w4)
        build.origin(asn, own4, own6)
        as_set = None
        if has_set:
            as_set = f"AS-BENCH{asn}"
            cone = [f"AS{c}" for c in build.customers(w4 - own4, w6 - own6)]
            build.cone(as_set, f"AS{asn}", cone, DEEP_DEPTH if index in deep else 1)
        plans.append((asn, as_set, 2 if rng.random() < sizes.two_routers else 1, w4))
    deep_roots = [f"AS-BENCH{_member_asn(i)}" for i in sorted(deep)]
    if deep_roots:  # the one loop: the deepest set of the first chain contains its root
        build.as_sets[f"{deep_roots[0]}-L{DEEP_DEPTH - 1}"].append(deep_roots[0])
    by_size = sorted(range(members), key=lambda i: plans[i][3])
    for rank, index in enumerate(by_size):  # a member includes a smaller member's set
        root = plans[index][1]
        if root and rank and rng.random() < sizes.includes_member:
            other = plans[by_size[rng.randrange(rank)]][1]
            if other and other != root:
                build.as_sets[root].append(other)
    routers: list[MemberRouter] = []
    for index, (asn, as_set, count, _) in enumerate(plans):
        w4, w6 = build.cone_objects(asn, as_set)
        has_v6 = rng.random() < sizes.ipv6
        opt_in = rng.random() < sizes.blackhole_opt_in
        for _ in range(count):
            host = FIRST_ROUTER + len(routers)
            routers.append(
                MemberRouter(
                    asn=asn,
                    name=f"Bench Network {index + 1}",
                    organisation_id=index + 1,
                    ipv4=LAN_V4 + host,
                    ipv6=LAN_V6[host] if has_v6 else None,
                    as_set=as_set,
                    max_prefix_v4=max(10, math.ceil(w4 * 1.2) + 10),
                    max_prefix_v6=max(10, math.ceil(w6 * 1.2) + 10),
                    blackhole_opt_in=opt_in,
                )
            )
    build.filler_vrps(max(0, round(members * sizes.vrps_per_member) - len(build.vrps)))
    exchange = Exchange(
        seed=seed,
        sizes=sizes,
        lan=_lan(len(routers)),
        routers=tuple(routers),
        as_sets=tuple((name, tuple(m)) for name, m in build.as_sets.items()),
        aut_nums=tuple(build.aut_nums),
        routes=tuple(build.routes),
        vrps=tuple(build.vrps),
        deep_sets=tuple(deep_roots),
    )
    logger.info("synthetic exchange (seed %d): %s", seed, exchange.counts())
    return exchange


def ixcenter_settings() -> PolicySettings:
    """ixcenter's policy knobs set as ``general.yml`` sets arouteserver's (same behaviour)."""
    return PolicySettings(
        transit_free_asns=frozenset(arouteserver_env.TRANSIT_FREE),
        irr_more_specifics=True,  # allow_longer_prefixes
        rpki_valid_bypasses_irr_prefix=True,  # use_rpki_roas_as_route_objects
        max_prefix_action=MaxPrefixAction.SHUTDOWN,
    )


def _plain(value: object) -> object:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def write_ixcenter_inputs(exchange: Exchange, path: Path) -> None:
    """The LAN and the member routers as JSON, field for field (``read_ixcenter_inputs``)."""
    lan = exchange.lan
    document = {
        "lan": {
            "exchange": lan.exchange,
            "rs_asn": lan.rs_asn,
            "ipv4_prefix": str(lan.ipv4_prefix),
            "ipv6_prefix": str(lan.ipv6_prefix),
            "reserved": [[str(r.address), r.purpose] for r in lan.reserved],
            "bogon_lans": [str(p) for p in lan.bogon_lans],
        },
        "routers": [
            {f.name: _plain(getattr(r, f.name)) for f in dataclasses.fields(r)}
            for r in exchange.routers
        ],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def read_ixcenter_inputs(path: Path) -> RouteServerInputs:
    document = json.loads(path.read_text(encoding="utf-8"))
    raw = document["lan"]
    lan = LanInputs(
        exchange=raw["exchange"],
        rs_asn=raw["rs_asn"],
        ipv4_prefix=ipaddress.IPv4Network(raw["ipv4_prefix"]),
        ipv6_prefix=ipaddress.IPv6Network(raw["ipv6_prefix"]),
        reserved=tuple(Reservation(ipaddress.ip_address(a), p) for a, p in raw["reserved"]),
        bogon_lans=tuple(ipaddress.ip_network(p) for p in raw["bogon_lans"]),
    )
    routers = tuple(
        MemberRouter(
            **{
                **item,
                "ipv4": ipaddress.IPv4Address(item["ipv4"]) if item["ipv4"] else None,
                "ipv6": ipaddress.IPv6Address(item["ipv6"]) if item["ipv6"] else None,
                "irr_sources": tuple(item["irr_sources"]),
            }
        )
        for item in document["routers"]
    )
    return RouteServerInputs(lan, routers)


def write_rpsl(exchange: Exchange, path: Path) -> None:
    with path.open("w", encoding="ascii") as out:
        for asn in exchange.aut_nums:
            out.write(f"aut-num:   AS{asn}\nas-name:   BENCH-{asn}\nsource:    {SOURCE}\n\n")
        for name, members in exchange.as_sets:
            out.write(f"as-set:    {name}\n")
            for i in range(0, len(members), 10):
                out.write(f"members:   {', '.join(members[i : i + 10])}\n")
            out.write(f"source:    {SOURCE}\n\n")
        for version, network, length, origin in exchange.routes:
            kind = "route: " if version == 4 else "route6:"
            text = prefix_text(version, network, length)
            out.write(f"{kind}    {text}\norigin:    AS{origin}\nsource:    {SOURCE}\n\n")


def write_vrps(exchange: Exchange, path: Path) -> None:
    """The VRPs as rpki-client writes its JSON (numeric ASNs)."""
    roas = [
        {"asn": asn, "prefix": prefix_text(v, n, length), "maxLength": longest, "ta": "bench"}
        for v, n, length, longest, asn in exchange.vrps
    ]
    document = {"metadata": {"buildtime": VRP_BUILDTIME, "vrps": len(roas)}, "roas": roas}
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="ascii")


@dataclass(frozen=True, slots=True)
class Files:
    rpsl: Path
    vrps: Path
    general: Path  # arouteserver general.yml
    clients: Path  # arouteserver clients.yml
    ixcenter: Path  # ixcenter compiler inputs (JSON)


def write_all(exchange: Exchange, directory: Path) -> Files:
    """Every input file of the benchmark, into ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = Files(
        rpsl=directory / "irr.db",
        vrps=directory / "vrps.json",
        general=directory / "general.yml",
        clients=directory / "clients.yml",
        ixcenter=directory / "ixcenter-inputs.json",
    )
    write_rpsl(exchange, files.rpsl)
    write_vrps(exchange, files.vrps)
    arouteserver_env.write_inputs(exchange, files.general, files.clients)
    write_ixcenter_inputs(exchange, files.ixcenter)
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    exchange = generate(args.members, args.seed)
    write_all(exchange, args.out)


if __name__ == "__main__":
    main()
