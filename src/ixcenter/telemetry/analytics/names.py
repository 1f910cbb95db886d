"""Names for the ids the flow store keeps: members, ASNs, ports, nodes, centers, links."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.registry.models import (
    ExchangeCenter,
    LongDistanceLink,
    MemberAsn,
    Node,
    Organisation,
    Port,
    Switch,
)


@dataclass(frozen=True, slots=True)
class Directory:
    members: dict[int, str]
    asns: dict[int, tuple[int, ...]]  # organisation -> its ASNs
    ports: dict[int, str]  # "switch port"
    nodes: dict[int, str]
    centers: dict[int, str]
    links_between: dict[frozenset[int], tuple[str, ...]]

    @classmethod
    def load(cls, session: Session) -> Directory:
        asns: dict[int, list[int]] = {}
        for org, asn in session.execute(
            select(MemberAsn.organisation_id, MemberAsn.asn).order_by(MemberAsn.asn)
        ):
            asns.setdefault(org, []).append(asn)
        links: dict[frozenset[int], list[str]] = {}
        for name, a, b in session.execute(
            select(
                LongDistanceLink.name,
                LongDistanceLink.a_exchange_id,
                LongDistanceLink.b_exchange_id,
            ).order_by(LongDistanceLink.name)
        ):
            if b is not None:
                links.setdefault(frozenset((a, b)), []).append(name)
        return cls(
            members={i: n for i, n in session.execute(select(Organisation.id, Organisation.name))},
            asns={org: tuple(v) for org, v in asns.items()},
            ports={
                pid: f"{switch} {name}"
                for pid, switch, name in session.execute(
                    select(Port.id, Switch.name, Port.name).join(Switch)
                )
            },
            nodes={i: c for i, c in session.execute(select(Node.id, Node.code))},
            centers={
                i: c for i, c in session.execute(select(ExchangeCenter.id, ExchangeCenter.code))
            },
            links_between={k: tuple(v) for k, v in links.items()},
        )

    def member(self, org: int) -> str:
        return self.members.get(org, f"#{org}")

    def asn_text(self, org: int) -> str:
        return ", ".join(f"AS{a}" for a in self.asns.get(org, ()))

    def port(self, port: int) -> str:
        return self.ports.get(port, f"#{port}")

    def center(self, center: int) -> str:
        return self.centers.get(center, f"#{center}")
