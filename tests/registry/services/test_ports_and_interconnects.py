from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ixcenter.core.errors import ValidationFailed
from ixcenter.core.kinds import PortKind, PortStatus, ServiceKind, ServiceStatus
from ixcenter.registry.db import Registry
from ixcenter.registry.models import IpAssignment, Port, PortMac, Service, ServiceEndpoint
from ixcenter.registry.services import addresses, interconnects, lookups, members, ports
from tests.registry.services.builders import onboard, onboarding, small_exchange, spare_port
from tests.registry_state import dump


@pytest.fixture
def exchange(registry: Registry) -> Registry:
    small_exchange(registry)
    return registry


def _pair(registry: Registry) -> tuple[int, int]:
    return onboard(registry, "Alpha", 131072, "Eth1"), onboard(registry, "Beta", 131073, "Eth2")


def _interconnect(
    registry: Registry,
    port_ids: tuple[int, ...],
    vlan: int = 300,
    mbps: int = 1000,
    kind: ServiceKind = ServiceKind.MULTI_CLOUD,
) -> Service:
    with registry.transaction("test") as s:
        return interconnects.add(
            s, interconnects.Interconnect(kind, "cloud link", mbps, port_ids, vlan), registry.clock
        )


def _codes(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return sorted(p.code for p in exc.value.problems)


@pytest.mark.parametrize("kind", [k for k in ServiceKind if k.is_private])
def test_private_interconnect_of_every_kind(exchange: Registry, kind: ServiceKind) -> None:
    a, b = _pair(exchange)
    service = _interconnect(exchange, (a, b), kind=kind)
    with exchange.read() as s:
        endpoints = s.scalars(
            select(ServiceEndpoint).where(ServiceEndpoint.service_id == service.id)
        ).all()
        assert sorted((e.port_id, e.vlan) for e in endpoints) == [(a, 300), (b, 300)]
        assert interconnects.committed_on(s, a) == 1000


@pytest.mark.parametrize(
    ("vlan", "mbps", "code"),
    [
        (100, 1000, "vlan-clash"),  # the peering LAN's VLAN is on both ports
        (300, 10_001, "over-capacity"),
        (4095, 1000, "vlan-range"),
    ],
)
def test_bad_interconnect_changes_nothing(
    exchange: Registry, vlan: int, mbps: int, code: str
) -> None:
    a, b = _pair(exchange)
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc:
        _interconnect(exchange, (a, b), vlan=vlan, mbps=mbps)
    assert set(_codes(exc)) == {code}
    assert dump(exchange) == before


def test_capacity_counts_what_is_committed_already(exchange: Registry) -> None:
    a, b = _pair(exchange)
    _interconnect(exchange, (a, b), vlan=300, mbps=6000)
    with pytest.raises(ValidationFailed) as exc:
        _interconnect(exchange, (a, b), vlan=301, mbps=5000)
    assert _codes(exc) == ["over-capacity", "over-capacity"]
    assert "4000 of 10000 Mbit/s left" in str(exc.value)


def test_vlan_is_free_again_after_cease(exchange: Registry) -> None:
    a, b = _pair(exchange)
    first = _interconnect(exchange, (a, b))
    with exchange.transaction("test") as s:
        assert interconnects.cease(s, first.id).status == ServiceStatus.CEASED
    _interconnect(exchange, (a, b))


def test_expired_licence_blocks_new_services(exchange: Registry) -> None:
    a, b = _pair(exchange)
    with exchange.transaction("test") as s:
        org = lookups.member(s, "Beta")
        members.update(s, org, members.MemberChange(licence_expires=dt.date(2026, 5, 1)))
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc:
        _interconnect(exchange, (a, b))
    assert _codes(exc) == ["licence-expired"]
    assert "Beta" in str(exc.value)
    assert dump(exchange) == before


def test_unassigned_or_missing_ports_are_refused(exchange: Registry) -> None:
    a, _ = _pair(exchange)
    free = spare_port(exchange, "bj1-sw1", "Eth40")
    with pytest.raises(ValidationFailed) as exc:
        _interconnect(exchange, (a, free, 99999, a))
    assert _codes(exc) == ["invalid", "not-found", "port-unassigned"]


def test_move_keeps_addresses_macs_and_services(exchange: Registry) -> None:
    a, b = _pair(exchange)
    _interconnect(exchange, (a, b))
    with exchange.read() as s:
        before_ips = s.execute(
            select(IpAssignment.ipv4, IpAssignment.ipv6).where(IpAssignment.port_id == a)
        ).one()
    with exchange.transaction("test") as s:
        moved = ports.move(s, ports.Move(a, "bj1-sw1", "Eth7", speed_mbps=100_000))
    with exchange.read() as s:
        old = s.get(Port, a)
        new = s.get(Port, moved.id)
        assert old is not None and new is not None
        assert (old.status, old.organisation_id, old.macs) == (PortStatus.AVAILABLE, None, [])
        assert new.organisation is not None and new.organisation.name == "Alpha"
        assert [m.mac for m in new.macs] == ["02:00:00:00:00:01"]
        (assignment,) = new.assignments
        assert (assignment.ipv4, assignment.ipv6) == tuple(before_ips)
        assert sorted(e.vlan for e in new.endpoints) == [100, 300]


def test_move_refuses_a_port_too_small_for_the_services(exchange: Registry) -> None:
    a, b = _pair(exchange)
    _interconnect(exchange, (a, b), mbps=5000)
    small = spare_port(exchange, "bj1-sw1", "Eth8", speed=1000)
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        ports.move(s, ports.Move(a, "bj1-sw1", "Eth8"))
    assert _codes(exc) == ["over-capacity"]
    assert small and dump(exchange) == before


def test_move_stays_within_the_exchange_center(exchange: Registry) -> None:
    a, _ = _pair(exchange)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        ports.move(s, ports.Move(a, "sh1-sw1", "Eth1"))
    assert _codes(exc) == ["wrong-exchange"]


def test_decommission_releases_addresses(exchange: Registry) -> None:
    a, b = _pair(exchange)
    _interconnect(exchange, (a, b))
    with exchange.transaction("test") as s:
        port = ports.decommission(s, a)
        assert port.status == PortStatus.DECOMMISSIONED
    with exchange.read() as s:
        assert s.scalars(select(IpAssignment).where(IpAssignment.port_id == a)).all() == []
        assert s.scalars(select(ServiceEndpoint).where(ServiceEndpoint.port_id == a)).all() == []
        assert s.scalars(select(PortMac).where(PortMac.port_id == a)).all() == []
    # the released address is the next one handed out
    onboard(exchange, "Gamma", 131074, "Eth3")
    with exchange.read() as s:
        gamma = s.scalars(select(IpAssignment).where(IpAssignment.ipv4 == "198.51.100.3")).one()
        assert gamma.member_asn.asn == 131074
    with pytest.raises(ValidationFailed), exchange.transaction("test") as s:
        ports.decommission(s, a)


def test_lag_bundles_available_ports(exchange: Registry) -> None:
    ids = [spare_port(exchange, "bj1-sw1", f"Eth{n}", speed=100_000) for n in (10, 11)]
    with exchange.transaction("test") as s:
        lag = ports.add_lag(s, "bj1-sw1", "ae0", ids)
        assert (lag.kind, lag.speed_mbps) == (PortKind.LAG, 200_000)
    onboard(exchange, "Big", 131080, "ae0", speed_mbps=None)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        ports.add_lag(s, "bj1-sw1", "ae1", [ids[0]])
    assert _codes(exc) == ["invalid", "invalid"]


def test_set_macs_refuses_a_mac_of_another_port(exchange: Registry) -> None:
    a, b = _pair(exchange)
    with exchange.transaction("test") as s:
        port = ports.set_macs(s, lookups.port(s, b), ["02-00-00-00-00-AA", "0200.0000.00bb"])
        assert [m.mac for m in port.macs] == ["02:00:00:00:00:aa", "02:00:00:00:00:bb"]
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        ports.set_macs(s, lookups.port(s, b), ["02:00:00:00:00:01"])
    assert _codes(exc) == ["mac-in-use"]
    assert a


def test_an_existing_member_connects_at_a_second_center(exchange: Registry) -> None:
    a, _ = _pair(exchange)
    second = spare_port(exchange, "sh1-sw1", "Eth1", speed=100_000)
    with exchange.transaction("test") as s:
        alpha = lookups.member(s, "Alpha")
        port = ports.connect(s, second, alpha, ["02:00:00:00:0a:02"], exchange.clock)
        done = addresses.assign(s, lookups.lan(s, "SH", 200), port, alpha.asns[0])
        assert (done.ipv4, done.ipv6) == ("203.0.113.1", "2001:db8:200::1")
    with exchange.read() as s:
        alpha = lookups.member(s, "Alpha")
        assert sorted(p.id for p in alpha.ports) == [a, second]
        endpoints = s.scalars(select(ServiceEndpoint).where(ServiceEndpoint.port_id == second))
        assert [(e.vlan, e.service.kind) for e in endpoints] == [(200, ServiceKind.PUBLIC_PEERING)]


def test_connect_refuses_taken_ports_and_expired_licences(exchange: Registry) -> None:
    a, b = _pair(exchange)
    with exchange.transaction("test") as s:
        members.update(
            s, lookups.member(s, "Alpha"), members.MemberChange(licence_expires=dt.date(2026, 1, 1))
        )
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        ports.connect(s, b, lookups.member(s, "Alpha"), ["02:00:00:00:00:01"], exchange.clock)
    assert _codes(exc) == ["licence-expired", "mac-in-use", "port-taken"]
    assert a and dump(exchange) == before


def test_ports_bundled_in_a_lag_cannot_be_taken_alone(exchange: Registry) -> None:
    ids = [spare_port(exchange, "bj1-sw1", f"Eth{n}", speed=100_000) for n in (10, 11)]
    with exchange.transaction("test") as s:
        ports.add_lag(s, "bj1-sw1", "ae0", ids)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        members.onboard(s, onboarding("Sneaky", 131090, "Eth10", speed_mbps=None), exchange.clock)
    assert _codes(exc) == ["port-in-lag"]
