"""Writing an ``ImportPlan`` into the registry, inside the caller's transaction.

Matching, so that a second import of the same document changes nothing:

- exchange: by IX-F id, else PeeringDB id, else code (the document's short name);
- LAN: by VLAN id within the exchange (IX-F) or by an equal prefix (PeeringDB);
- switch: by name; node: by colo (facility) within the exchange;
- organisation: the owner of the ASN if the ASN exists, else by PeeringDB org id, else by name;
- connection: the port already carrying one of its addresses, else the port with the
  connection's deterministic name (``AS<asn>-<n>``) on its switch;
- address: the assignment already holding it on that LAN.

A connection with several interfaces becomes a LAG port with one physical member port per
interface. Values the document leaves out are kept; an import never deletes rows (except a port's
MAC addresses, when the document lists that port's MACs). Organisations keep their category,
licence and country. All work happens under ``no_autoflush``: when any problem is found,
``FormatError`` is raised before anything is flushed, and the caller's transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from ixcenter.core.errors import FormatError, Problems
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.interchange.connections import ConnectionWriter, update
from ixcenter.registry.interchange.index import ImportState, RegistryIndex
from ixcenter.registry.interchange.plan import (
    UNKNOWN_COUNTRY,
    ExchangePlan,
    ImportPlan,
    LanPlan,
    MemberPlan,
    SwitchPlan,
    fit,
)
from ixcenter.registry.interchange.report import ImportReport, Kind
from ixcenter.registry.models import (
    ExchangeCenter,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Switch,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def apply_plan(
    session: Session,
    plan: ImportPlan,
    progress: Progress | None = None,
    *,
    allow_outside_prefix: bool = False,
    problems: Problems | None = None,
) -> ImportReport:
    """Write ``plan``; raise ``FormatError`` with every problem before writing anything.

    ``problems`` are those the mapping already found: the plan is still checked against the
    registry, so the error lists the document's problems and the registry's together.
    """
    with session.no_autoflush:
        state = ImportState(session, RegistryIndex.load(session), allow_outside_prefix)
        if problems:
            state.problems.extend(problems.items)
        applier = _Applier(state)
        for exchange in plan.exchanges:
            applier.exchange(exchange)
        for done, member in enumerate(plan.members, start=1):
            applier.member(member)
            if progress is not None:
                progress(done, len(plan.members))
        state.problems.raise_if_any(FormatError)
    session.flush()
    report = state.tally.report(plan.source, plan.version, tuple(state.warnings))
    logger.info("%s %s import: %s", plan.source, plan.version, report.rows())
    return report


class _Applier:
    def __init__(self, state: ImportState) -> None:
        self.state = state
        self.session = state.session
        self.index = state.index
        self.problems = state.problems
        self.tally = state.tally
        self.exchanges = state.exchanges
        self.connections = ConnectionWriter(state)

    # -- topology --------------------------------------------------------------------------

    def exchange(self, plan: ExchangePlan) -> None:
        exchange = self.index.exchange(
            ixf_id=plan.ixf_id, peeringdb_id=plan.peeringdb_id, code=plan.code
        )
        if exchange is None:
            exchange = ExchangeCenter(
                code=plan.code,
                name=plan.name or plan.code,
                city=plan.city or "",
                province="",
                country=plan.country or UNKNOWN_COUNTRY,
                url=plan.url,
                ixf_id=plan.ixf_id,
                peeringdb_id=plan.peeringdb_id,
            )
            self.session.add(exchange)
            self.index.exchanges.append(exchange)
            self.tally.created(Kind.EXCHANGES, exchange)
        else:
            if exchange in self.exchanges.values():
                self.problems.add(plan.path, f"matches exchange {exchange.code} a second time")
            other = self.index.exchange(ixf_id=plan.ixf_id, peeringdb_id=None, code="")
            if plan.ixf_id is not None and other is not None and other is not exchange:
                self.problems.add(f"{plan.path}.ixf_id", f"IX-F id taken by {other.code}")
            changed = update(
                exchange,
                name=plan.name,
                country=plan.country,
                url=plan.url,
                ixf_id=plan.ixf_id,
                peeringdb_id=plan.peeringdb_id,
                city=plan.city if not exchange.city else None,
            )
            self.tally.touched(Kind.EXCHANGES, exchange, changed)
        self.exchanges[plan.key] = exchange
        for lan in plan.lans:
            self.lan(plan, exchange, lan)
        for switch in plan.switches:
            self.switch(plan, exchange, switch)

    def lan(self, owner: ExchangePlan, exchange: ExchangeCenter, plan: LanPlan) -> None:
        lan = self._find_lan(exchange, plan)
        if lan is None:
            if any(other.vlan == plan.vlan for other in exchange.lans):
                self.problems.add(owner.path, f"VLAN {plan.vlan} is taken by another LAN")
                return
            lan = PeeringLan(
                exchange=exchange,
                name=plan.name or f"vlan-{plan.vlan}",
                vlan=plan.vlan,
                ipv4_prefix=plan.ipv4_prefix,
                ipv6_prefix=plan.ipv6_prefix,
                mtu=plan.mtu or 1500,
            )
            self.session.add(lan)
            self.tally.created(Kind.LANS, lan)
        else:
            changed = update(
                lan,
                name=plan.name,
                ipv4_prefix=plan.ipv4_prefix,
                ipv6_prefix=plan.ipv6_prefix,
                mtu=plan.mtu,
            )
            self.tally.touched(Kind.LANS, lan, changed)
        self.state.lans[(owner.key, plan.key)] = lan

    @staticmethod
    def _find_lan(exchange: ExchangeCenter, plan: LanPlan) -> PeeringLan | None:
        lans = list(exchange.lans)
        if plan.match_by_vlan:
            found = next((lan for lan in lans if lan.vlan == plan.vlan), None)
            if found is not None:
                return found
        for lan in lans:
            if (plan.ipv4_prefix and lan.ipv4_prefix == plan.ipv4_prefix) or (
                plan.ipv6_prefix and lan.ipv6_prefix == plan.ipv6_prefix
            ):
                return lan
        if not plan.match_by_vlan and not (plan.ipv4_prefix or plan.ipv6_prefix) and len(lans) == 1:
            return lans[0]
        return None

    def switch(self, owner: ExchangePlan, exchange: ExchangeCenter, plan: SwitchPlan) -> None:
        default = f"{exchange.code}-switch" + ("" if plan.key is None else f"-{plan.key}")
        name = fit(plan.name or default, 100)
        switch = self.index.switches.get(name)
        if switch is not None and switch.node.exchange is not exchange:
            name = fit(f"{exchange.code}-{name}", 100)
            switch = self.index.switches.get(name)
            if switch is not None and switch.node.exchange is not exchange:
                self.problems.add(owner.path, f"switch name {name} is taken by another exchange")
                return
        if switch is None and plan.key is None:
            ours = sorted((s for n in exchange.nodes for s in n.switches), key=lambda s: s.name)
            switch = ours[0] if ours else None
        if switch is None:
            switch = Switch(
                node=self._node(exchange, plan),
                name=name,
                manufacturer=plan.manufacturer,
                model=plan.model,
            )
            self.session.add(switch)
            self.index.switches[name] = switch
        else:
            update(switch, manufacturer=plan.manufacturer, model=plan.model)
        self.state.switches[(owner.key, plan.key)] = switch

    def _node(self, exchange: ExchangeCenter, plan: SwitchPlan) -> Node:
        default_code = fit(f"{exchange.code}-node", 32)
        nodes = sorted(exchange.nodes, key=lambda n: n.code)
        for node in nodes:
            if (plan.colo and (node.facility or node.name) == plan.colo) or (
                not plan.colo and node.code == default_code
            ):
                return node
        if not plan.colo and nodes:
            return nodes[0]
        base = fit(f"{exchange.code}-{plan.colo}", 32) if plan.colo else default_code
        code, n = base, 1
        while code in self.index.node_codes:
            n += 1
            code = (
                fit(f"{base}-{n}", 32) if len(base) + len(str(n)) < 32 else fit(base + str(n), 32)
            )
        self.index.node_codes.add(code)
        node = Node(
            exchange=exchange,
            code=code,
            name=plan.colo or exchange.name,
            city=plan.city or exchange.city,
            province="",
            country=plan.country or exchange.country,
            facility=plan.colo,
        )
        self.session.add(node)
        return node

    # -- members ---------------------------------------------------------------------------

    def member(self, plan: MemberPlan) -> None:
        member_asn = self.index.asns.get(plan.asn)
        org = self._organisation(plan, member_asn)
        if member_asn is None:
            member_asn = MemberAsn(
                organisation=org,
                asn=plan.asn,
                name=plan.asn_name,
                as_set=plan.as_set,
                max_prefix_v4=100 if plan.max_prefix_v4 is None else plan.max_prefix_v4,
                max_prefix_v6=20 if plan.max_prefix_v6 is None else plan.max_prefix_v6,
                rs_participation=plan.rs_participation is not False,
                peeringdb_net_id=plan.peeringdb_net_id,
            )
            self.session.add(member_asn)
            self.index.asns[plan.asn] = member_asn
            self.tally.created(Kind.ASNS, member_asn)
        else:
            changed = update(
                member_asn,
                name=plan.asn_name,
                as_set=plan.as_set,
                max_prefix_v4=plan.max_prefix_v4,
                max_prefix_v6=plan.max_prefix_v6,
                rs_participation=plan.rs_participation,
                peeringdb_net_id=plan.peeringdb_net_id,
            )
            self.tally.touched(Kind.ASNS, member_asn, changed)
        for connection in plan.connections:
            self.connections.write(connection, org, member_asn)

    def _organisation(self, plan: MemberPlan, member_asn: MemberAsn | None) -> Organisation:
        org = member_asn.organisation if member_asn is not None else None
        if org is None and plan.org_peeringdb_id is not None:
            org = self.index.orgs_by_peeringdb.get(plan.org_peeringdb_id)
        if org is None:
            org = self.index.orgs_by_name.get(plan.org_name)
        if org is None:
            first = plan.connections[0].exchange_key if plan.connections else None
            exchange = self.exchanges.get(first) if first is not None else None
            org = Organisation(
                name=plan.org_name,
                category=OrgCategory.ISP,
                country=plan.org_country or (exchange.country if exchange else UNKNOWN_COUNTRY),
                url=plan.org_url,
                sme=False,
                peeringdb_org_id=plan.org_peeringdb_id,
            )
            self.session.add(org)
            self.index.orgs_by_name[org.name] = org
            if plan.org_peeringdb_id is not None:
                self.index.orgs_by_peeringdb[plan.org_peeringdb_id] = org
            self.tally.created(Kind.MEMBERS, org)
        elif org not in self.state.touched_orgs:
            changed = update(org, url=plan.org_url)
            if org.peeringdb_org_id is None:
                changed |= update(org, peeringdb_org_id=plan.org_peeringdb_id)
            self.tally.touched(Kind.MEMBERS, org, changed)
        self.state.touched_orgs.add(org)
        return org
