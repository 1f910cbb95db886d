"""A small exchange with two members and a token per role, built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ixcenter.core.kinds import OrgCategory, PortStatus, Role, ServiceKind
from ixcenter.registry.db import Registry
from ixcenter.registry.models import IpAssignment, Port
from ixcenter.registry.services import interconnects, members, ports, tokens, topology
from tests.registry.services.builders import small_exchange

LICENCE_OK = dt.date(2030, 1, 1)


@dataclass(frozen=True)
class Member:
    org_id: int
    asn: int
    port_id: int
    second_port_id: int
    ip_id: int
    ipv4: str
    service_id: int  # a private interconnect between its own two ports


@dataclass(frozen=True)
class World:
    alpha: Member
    beta: Member
    spare_ports: tuple[int, int]
    shared_service_id: int  # an interconnect between alpha and beta
    secrets: dict[str, str]  # role -> plaintext token

    def headers(self, role: str) -> dict[str, str]:
        if role == "public":
            return {}
        return {"Authorization": f"Bearer {self.secrets[role]}"}


def _topology(registry: Registry) -> None:
    small_exchange(registry)
    with registry.transaction("test") as s:
        topology.add_link(s, topology.NewLink("BJ-SH-1", "BJ", 400_000, 11.5, b_exchange="SH"))


def _member(registry: Registry, name: str, asn: int, port: str, vlan: int) -> Member:
    with registry.transaction("test") as s:
        done = members.onboard(
            s,
            members.Onboarding(
                name=name,
                category=OrgCategory.ISP,
                country="CN",
                asn=asn,
                switch="bj1-sw1",
                port=port,
                speed_mbps=10_000,
                licence_number=f"B1-{asn}",
                licence_expires=LICENCE_OK,
                macs=(f"02:00:00:00:{asn % 256:02x}:01",),
            ),
            registry.clock,
        )
        # no service connects a second port to an existing member: do it by hand
        second = ports.add_port(s, "bj1-sw1", f"{port}b", 10_000)
        second.organisation_id = done.organisation_id
        second.status = PortStatus.CONNECTED
        s.flush()
        service = interconnects.add(
            s,
            interconnects.Interconnect(
                ServiceKind.ENTERPRISE_CLOUD, f"{name} DCI", 100, (done.port_id, second.id), vlan
            ),
            registry.clock,
        )
        ip = s.scalars(select(IpAssignment).where(IpAssignment.port_id == done.port_id)).one()
        return Member(
            done.organisation_id, asn, done.port_id, second.id, ip.id, ip.ipv4 or "", service.id
        )


def build(registry: Registry) -> World:
    _topology(registry)
    alpha = _member(registry, "Alpha Net", 131072, "Eth1", 300)
    beta = _member(registry, "Beta Net", 131073, "Eth2", 301)
    with registry.transaction("test") as s:
        spare = tuple(ports.add_port(s, "bj1-sw1", f"Eth{n}", 10_000).id for n in (10, 11))
        shared = interconnects.add(
            s,
            interconnects.Interconnect(
                ServiceKind.MULTI_CLOUD, "Alpha-Beta cloud", 100, (alpha.port_id, beta.port_id), 400
            ),
            registry.clock,
        )
        secrets = {
            "operator": tokens.create(s, "noc", Role.OPERATOR, None, registry.clock)[1],
            "supervisor": tokens.create(s, "regulator", Role.SUPERVISOR, None, registry.clock)[1],
            "member": tokens.create(s, "alpha", Role.MEMBER, alpha.org_id, registry.clock)[1],
            "beta": tokens.create(s, "beta", Role.MEMBER, beta.org_id, registry.clock)[1],
        }
        assert s.get(Port, spare[0]) is not None
        return World(alpha, beta, (spare[0], spare[1]), shared.id, secrets)
