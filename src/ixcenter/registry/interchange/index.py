"""The registry rows an import may match, loaded once so matching needs no query per row.

Everything is loaded eagerly, so the importer can work under ``no_autoflush`` and nothing reaches
the database before every problem of the document is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ixcenter.core.errors import Problem, Problems
from ixcenter.registry.interchange.report import Tally
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Port,
    Switch,
)

AddressKey = tuple[PeeringLan, int, str]  # (LAN, family, compressed address)


@dataclass(slots=True)
class RegistryIndex:
    exchanges: list[ExchangeCenter] = field(default_factory=list)
    switches: dict[str, Switch] = field(default_factory=dict)  # by name (unique)
    node_codes: set[str] = field(default_factory=set)
    orgs_by_name: dict[str, Organisation] = field(default_factory=dict)
    orgs_by_peeringdb: dict[int, Organisation] = field(default_factory=dict)
    asns: dict[int, MemberAsn] = field(default_factory=dict)
    ports: dict[tuple[Switch, str], Port] = field(default_factory=dict)
    rows: dict[AddressKey, IpAssignment] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> RegistryIndex:
        index = cls()
        index.exchanges = list(
            session.scalars(
                select(ExchangeCenter).options(
                    selectinload(ExchangeCenter.lans),
                    selectinload(ExchangeCenter.nodes)
                    .selectinload(Node.switches)
                    .selectinload(Switch.ports),
                )
            )
        )
        for node in session.scalars(select(Node)):
            index.node_codes.add(node.code)
        for switch in session.scalars(select(Switch)):
            index.switches[switch.name] = switch
        for org in session.scalars(select(Organisation).options(selectinload(Organisation.asns))):
            index.orgs_by_name[org.name] = org
            if org.peeringdb_org_id is not None:
                index.orgs_by_peeringdb.setdefault(org.peeringdb_org_id, org)
            for member_asn in org.asns:
                index.asns[member_asn.asn] = member_asn
        ports = session.scalars(
            select(Port).options(
                selectinload(Port.macs),
                selectinload(Port.lag_members),
                selectinload(Port.assignments),
            )
        )
        for port in ports:
            index.ports[(port.switch, port.name)] = port
        lans = session.scalars(select(PeeringLan).options(selectinload(PeeringLan.assignments)))
        for lan in lans:
            for row in lan.assignments:
                index.add_row(row, lan)
        return index

    def add_row(self, row: IpAssignment, lan: PeeringLan) -> None:
        if row.ipv4:
            self.rows[(lan, 4, row.ipv4)] = row
        if row.ipv6:
            self.rows[(lan, 6, row.ipv6)] = row

    def exchange(
        self, *, ixf_id: int | None, peeringdb_id: int | None, code: str
    ) -> ExchangeCenter | None:
        """The exchange with this IX-F id, else this PeeringDB id, else this code."""
        for wanted, attribute in ((ixf_id, "ixf_id"), (peeringdb_id, "peeringdb_id")):
            if wanted is not None:
                for exchange in self.exchanges:
                    if getattr(exchange, attribute) == wanted:
                        return exchange
        return next((e for e in self.exchanges if e.code == code), None)


@dataclass(slots=True)
class ImportState:
    """What one import has matched or created so far, shared by its writers."""

    session: Session
    index: RegistryIndex
    allow_outside_prefix: bool
    problems: Problems = field(default_factory=Problems)
    warnings: list[Problem] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    exchanges: dict[int, ExchangeCenter] = field(default_factory=dict)
    lans: dict[tuple[int, int], PeeringLan] = field(default_factory=dict)
    switches: dict[tuple[int, int | None], Switch] = field(default_factory=dict)
    claimed_ports: set[Port] = field(default_factory=set)
    claimed_rows: set[IpAssignment] = field(default_factory=set)
    touched_orgs: set[Organisation] = field(default_factory=set)
