"""What the demo exchange will hold, decided up front from one random generator (no database).

``demo_data`` builds these plans through the services. Planning first keeps the result a function of
the seed alone: the registry only numbers the objects.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ixcenter.core.asns import is_public
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.demo_names import (
    BRANDS,
    CENTERS,
    CITIES,
    FOREIGN_BRANDS,
    FOREIGN_COUNTRIES,
    NAME_PATTERNS,
    PORT_PREFIX,
    REGIONS,
    ROUTER_OUIS,
    CenterPlan,
    Site,
)
from ixcenter.registry.services.members import Onboarding

C = OrgCategory
# Relative frequency of each category among the members (ISPs, content and clouds are common).
CATEGORY_WEIGHTS: dict[OrgCategory, float] = {
    C.ISP: 22,
    C.CONTENT: 15,
    C.ENTERPRISE: 12,
    C.CLOUD: 10,
    C.VALUE_ADDED_TELECOM: 10,
    C.DATA_CENTER: 9,
    C.INTERNATIONAL_NETWORK: 8,
    C.AI_COMPUTING_CENTER: 5,
    C.GOVERNMENT_CLOUD: 4,
    C.BASIC_CARRIER: 2,
    C.SUPERCOMPUTING_CENTER: 1,
}
# Weights of the size tiers small, medium, large, huge per category.
TIERS: dict[OrgCategory, tuple[float, float, float, float]] = {
    C.BASIC_CARRIER: (0, 0, 0.3, 0.7),
    C.ISP: (0.45, 0.35, 0.15, 0.05),
    C.VALUE_ADDED_TELECOM: (0.5, 0.35, 0.15, 0),
    C.CLOUD: (0.1, 0.3, 0.4, 0.2),
    C.CONTENT: (0.3, 0.35, 0.25, 0.1),
    C.DATA_CENTER: (0.3, 0.5, 0.2, 0),
    C.AI_COMPUTING_CENTER: (0.1, 0.4, 0.4, 0.1),
    C.SUPERCOMPUTING_CENTER: (0, 0.3, 0.7, 0),
    C.ENTERPRISE: (0.7, 0.3, 0, 0),
    C.GOVERNMENT_CLOUD: (0.4, 0.6, 0, 0),
    C.INTERNATIONAL_NETWORK: (0.2, 0.4, 0.3, 0.1),
}
MAX_PREFIX_V4 = ((10, 20, 50), (100, 200, 500), (1_000, 2_000, 5_000), (10_000, 20_000, 50_000))
MAX_PREFIX_V6 = ((10,), (20, 50), (100, 200, 500), (2_000, 5_000, 10_000))
_SME_CATEGORIES = {C.ISP, C.VALUE_ADDED_TELECOM, C.CONTENT, C.ENTERPRISE, C.DATA_CENTER}
_BRANCHING = {C.BASIC_CARRIER, C.ISP, C.CLOUD, C.CONTENT, C.DATA_CENTER, C.INTERNATIONAL_NETWORK}
_INSTITUTIONS = {C.SUPERCOMPUTING_CENTER: "NSCC", C.GOVERNMENT_CLOUD: "EGOV"}
_TAGS = {C.AI_COMPUTING_CENTER: "AICC", **_INSTITUTIONS}

# Public ASN blocks to draw from (within what the RIRs hand out; never special-purpose).
_CN_TWO_BYTE = (
    (4_608, 4_865),
    (9_216, 10_239),
    (17_408, 18_431),
    (23_552, 24_575),
    (37_888, 38_911),
    (45_056, 46_079),
    (55_296, 56_319),
    (58_368, 59_391),
)
_CN_FOUR_BYTE = ((131_072, 141_625), (149_504, 153_599))
_FOREIGN = (
    (1_000, 3_999),
    (5_000, 7_999),
    (12_288, 13_311),
    (20_480, 21_503),
    (196_608, 213_403),
    (393_216, 399_260),
)

# Unified social credit code (GB 32100-2015): 31 symbols and the weights of the check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True, slots=True)
class Layout:
    """The chosen sites of one exchange center (the main one first) and their switch names."""

    plan: CenterPlan
    sites: tuple[Site, ...]
    switches: tuple[tuple[str, ...], ...]  # per site
    vlan: int
    rs_asn: int


@dataclass(frozen=True, slots=True)
class MemberPlan:
    """One onboarding, and the LAG to bundle first when the member connects over one."""

    request: Onboarding
    center: str
    vlan: int
    lag_ports: tuple[str, ...] = ()
    lag_port_speed: int = 100_000
    parent: str | None = None  # the member a branch company belongs to


class AsnPool:
    """Unique public ASNs drawn from realistic blocks."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[int] = set()

    def draw(self, blocks: Sequence[tuple[int, int]]) -> int:
        sizes = [high - low + 1 for low, high in blocks]
        while True:
            low, high = self._rng.choices(blocks, weights=sizes)[0]
            asn = self._rng.randint(low, high)
            if is_public(asn) and asn not in self._used:
                self._used.add(asn)
                return asn


def plan_layout(rng: random.Random, asns: AsnPool, centers: int = len(CENTERS)) -> list[Layout]:
    """Which sites of each of the first ``centers`` centers get a node (2-4) and how many
    switches (1-2) each has."""
    layouts: list[Layout] = []
    for index, plan in enumerate(CENTERS[:centers]):
        sites = plan.sites[: rng.randint(2, len(plan.sites))]
        switches = tuple(
            tuple(f"{site.code.lower()}-sw{n}" for n in range(1, rng.randint(1, 2) + 1))
            for site in sites
        )
        layouts.append(Layout(plan, sites, switches, 101 + index, asns.draw(_CN_TWO_BYTE)))
    return layouts


def uscc(rng: random.Random, kind: str, region: str) -> str:
    """A well-formed unified social credit code: the number on a Chinese business licence."""
    body = kind + region + "".join(rng.choice(_USCC_CHARS) for _ in range(9))
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=False))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


class _Planner:
    def __init__(self, rng: random.Random, layouts: Sequence[Layout], today: dt.date) -> None:
        self.rng = rng
        self.layouts = layouts
        self.today = today
        self.names: set[str] = set()
        self.tags: set[str] = set()
        self.macs: set[str] = set()
        self.port_numbers: dict[str, int] = {}
        self.lag_numbers: dict[str, int] = {}

    def place(self, exclude: str | None = None) -> tuple[Layout, Site, str]:
        layouts = [x for x in self.layouts if x.plan.code != exclude]
        layout = self.rng.choices(layouts, weights=[x.plan.weight for x in layouts])[0]
        weights = [3.0] + [1.0] * (len(layout.sites) - 1)
        index = self.rng.choices(range(len(layout.sites)), weights=weights)[0]
        return layout, layout.sites[index], self.rng.choice(layout.switches[index])

    def port_name(self, switch: str, speed: int) -> str:
        number = self.port_numbers.get(switch, 0)
        self.port_numbers[switch] = number + 1
        return f"{PORT_PREFIX[speed]}{1 + number // 48}/0/{1 + number % 48}"

    def lag_name(self, switch: str) -> str:
        number = self.lag_numbers.get(switch, 0) + 1
        self.lag_numbers[switch] = number
        return f"Eth-Trunk{number}"

    def name(self, category: OrgCategory) -> tuple[str, str, str | None]:
        """An unused name, a tag for the AS-SET and web address, and the city in the name."""
        foreign = category == C.INTERNATIONAL_NETWORK
        for attempt in range(100):
            pattern = self.rng.choice(NAME_PATTERNS[category])
            brand = self.rng.choice(FOREIGN_BRANDS if foreign else BRANDS)
            city = self.rng.choice(CITIES)
            name = pattern.format(brand=brand, city=city)
            if attempt >= 50:
                name = f"{name} (No. {attempt - 48})"
            if name not in self.names:
                break
        self.names.add(name)
        if "{brand}" in pattern:
            tag = brand.upper()
        else:
            tag = re.sub(r"[^A-Z]", "", city.upper()) + "-" + _TAGS[category]
        unique, n = tag, 1
        while unique in self.tags:
            n += 1
            unique = f"{tag}{n}"
        self.tags.add(unique)
        return name, unique, city if "{city}" in pattern else None

    def mac(self) -> str:
        while True:
            tail = ":".join(f"{self.rng.randrange(256):02x}" for _ in range(3))
            mac = f"{self.rng.choice(ROUTER_OUIS)}:{tail}"
            if mac not in self.macs:
                self.macs.add(mac)
                return mac

    def licence_expires(self) -> dt.date:
        soon = self.rng.random() < 0.02
        days = self.rng.randint(1, 30) if soon else self.rng.randint(90, 5 * 365)
        return self.today + dt.timedelta(days=days)


def _irr_sources(country: str, rng: random.Random) -> str:
    if country == "US":
        return "ARIN,RADB"
    if country in {"DE", "GB", "NL", "FR"}:
        return "RIPE"
    return "APNIC,RADB" if rng.random() < 0.3 else "APNIC"


def plan_members(
    rng: random.Random, layouts: Sequence[Layout], count: int, today: dt.date, asns: AsnPool
) -> list[MemberPlan]:
    """``count`` members: one of every category first, the rest by weight; ~5% branch companies."""
    branches = count // 20 if count >= 20 else 0
    primaries = count - branches
    every = list(OrgCategory)
    categories = every[:primaries] + rng.choices(
        list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=max(0, primaries - 11)
    )
    rng.shuffle(categories)
    tiers = [rng.choices(range(4), weights=TIERS[c])[0] for c in categories]
    lags = [tier == 3 and rng.random() < 0.5 for tier in tiers]
    if categories and not any(lags):
        lags[max(range(len(tiers)), key=lambda i: (tiers[i], -i))] = True
    planner = _Planner(rng, layouts, today)
    plans = [
        _primary(planner, asns, category, tier, lag)
        for category, tier, lag in zip(categories, tiers, lags, strict=True)
    ]
    bigger = [
        p for p, t in zip(plans, tiers, strict=True) if t >= 2 and p.request.category in _BRANCHING
    ]
    parents = rng.sample(bigger if len(bigger) >= branches else plans, branches)
    plans += [_branch(planner, asns, parent) for parent in parents]
    return plans


def _primary(
    planner: _Planner, asns: AsnPool, category: OrgCategory, tier: int, lag: bool
) -> MemberPlan:
    rng = planner.rng
    layout, site, switch = planner.place()
    name, tag, city = planner.name(category)
    foreign = category == C.INTERNATIONAL_NETWORK
    country = rng.choice(FOREIGN_COUNTRIES) if foreign else "CN"
    if foreign:
        asn = asns.draw(_FOREIGN)
    else:
        asn = asns.draw(_CN_TWO_BYTE if tier == 3 or rng.random() < 0.15 else _CN_FOUR_BYTE)
    region = REGIONS[city or site.city]
    kind = "12" if category in _INSTITUTIONS else "91"  # public institution or company
    lag_ports: tuple[str, ...] = ()
    if lag:
        lag_ports = tuple(planner.port_name(switch, 100_000) for _ in range(rng.choice((2, 2, 4))))
        port, speed = planner.lag_name(switch), None
    else:
        speed = (
            rng.choice((1_000, 10_000)),
            10_000,
            rng.choice((10_000, 100_000, 100_000, 100_000)),
            400_000,
        )[tier]
        port = planner.port_name(switch, speed)
    sme_share = (0.6, 0.2, 0.0, 0.0)[tier] if category in _SME_CATEGORIES else 0.0
    request = Onboarding(
        name=name,
        category=category,
        country=country,
        asn=asn,
        switch=switch,
        port=port,
        licence_number=uscc(rng, kind, region),
        licence_expires=planner.licence_expires(),
        sme=rng.random() < sme_share,
        url=f"https://www.{tag.lower()}.example",
        speed_mbps=speed,
        macs=tuple(planner.mac() for _ in range(2 if rng.random() < 0.05 else 1)),
        as_set=None if tier == 0 and rng.random() < 0.25 else f"AS-{tag}",
        irr_sources=_irr_sources(country, rng),
        max_prefix_v4=rng.choice(MAX_PREFIX_V4[tier]),
        max_prefix_v6=rng.choice(MAX_PREFIX_V6[tier]),
        rs_participation=rng.random() >= (0.3 if category == C.BASIC_CARRIER else 0.05),
        rs_blackhole=asn % 3 == 0,  # about a third opt in to blackholes (no draw: keeps seeds)
    )
    return MemberPlan(request, layout.plan.code, layout.vlan, lag_ports)


def _branch(planner: _Planner, asns: AsnPool, parent: MemberPlan) -> MemberPlan:
    """A branch company of ``parent`` at another center, with its own licence and ASN."""
    rng = planner.rng
    layout, site, switch = planner.place(exclude=parent.center)
    speed = rng.choice((10_000, 100_000))
    name = f"{parent.request.name} {site.city} Branch"
    planner.names.add(name)
    request = Onboarding(
        name=name,
        category=parent.request.category,
        country="CN",
        asn=asns.draw(_CN_FOUR_BYTE),
        switch=switch,
        port=planner.port_name(switch, speed),
        licence_number=uscc(rng, "91", REGIONS[site.city]),
        licence_expires=planner.licence_expires(),
        url=parent.request.url,
        speed_mbps=speed,
        macs=(planner.mac(),),
        as_set=parent.request.as_set,
        irr_sources=parent.request.irr_sources,
        max_prefix_v4=rng.choice(MAX_PREFIX_V4[1]),
        max_prefix_v6=rng.choice(MAX_PREFIX_V6[1]),
    )
    return MemberPlan(request, layout.plan.code, layout.vlan, parent=parent.request.name)
