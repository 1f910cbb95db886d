from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from ixcenter.core.errors import ValidationFailed
from ixcenter.core.kinds import PortStatus, ServiceKind
from ixcenter.registry.db import Registry
from ixcenter.registry.models import IpAssignment, MemberAsn, Port, ServiceEndpoint
from ixcenter.registry.services import members
from tests.registry.services.builders import onboard, onboarding, small_exchange
from tests.registry_state import dump


@pytest.fixture
def exchange(registry: Registry) -> Registry:
    small_exchange(registry)
    return registry


def _codes(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return sorted(p.code for p in exc.value.problems)


def test_onboarding_connects_a_member_in_one_step(exchange: Registry) -> None:
    port_id = onboard(exchange, "Alpha Net", 131072, "Eth1")
    with exchange.read() as s:
        port = s.get(Port, port_id)
        assert port is not None
        assert port.status == PortStatus.CONNECTED
        assert port.organisation is not None and port.organisation.name == "Alpha Net"
        assert [m.mac for m in port.macs] == ["02:00:00:00:00:01"]
        (assignment,) = port.assignments
        # .1 and .2 are the route servers' and ::/::1/::2 are taken: the first free ones follow
        assert (assignment.ipv4, assignment.ipv6) == ("198.51.100.3", "2001:db8:100::3")
        (endpoint,) = port.endpoints
        assert endpoint.vlan == 100
        assert endpoint.service.kind == ServiceKind.PUBLIC_PEERING
        asn = s.scalars(select(MemberAsn)).one()
        assert (asn.asn, asn.max_prefix_v4, asn.rs_participation) == (131072, 100, True)


def test_addresses_are_never_handed_out_twice(exchange: Registry) -> None:
    for index in range(5):
        onboard(exchange, f"Member {index}", 131072 + index, f"Eth{index}")
    with exchange.read() as s:
        rows = s.execute(select(IpAssignment.ipv4, IpAssignment.ipv6)).all()
    assert sorted(v4 for v4, _ in rows) == [f"198.51.100.{i}" for i in range(3, 8)]
    assert len({v6 for _, v6 in rows}) == 5


def test_explicit_addresses_are_kept(exchange: Registry) -> None:
    onboard(exchange, "Alpha", 131072, "Eth1", ipv4="198.51.100.200", ipv6="2001:db8:100::a")
    with exchange.read() as s:
        assignment = s.scalars(select(IpAssignment)).one()
    assert (assignment.ipv4, assignment.ipv6) == ("198.51.100.200", "2001:db8:100::a")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ipv4": "192.0.2.10"}, "outside-lan"),
        ({"ipv6": "2001:db8:999::1"}, "outside-lan"),
        ({"ipv4": "198.51.100.0"}, "unusable"),
        ({"ipv4": "198.51.100.255"}, "unusable"),
        ({"ipv4": "198.51.100.1"}, "reserved"),
        ({"ipv6": "2001:db8:100::2"}, "reserved"),
        ({"ipv4": "not-an-ip"}, "invalid-address"),
        ({"ipv4": "2001:db8:100::5"}, "invalid-address"),
        ({"asn": 64512}, "special-asn"),
        ({"asn": "AS-NOPE"}, "invalid-asn"),
        ({"licence_number": None}, "licence-missing"),
        ({"licence_expires": dt.date(2026, 5, 31)}, "licence-expired"),
        ({"macs": ("zz:zz",)}, "invalid-mac"),
        ({"switch": "nowhere"}, "not-found"),
        ({"vlan": 999}, "no-lan"),
        ({"country": "China"}, "invalid"),
    ],
)
def test_bad_onboarding_changes_nothing(
    exchange: Registry, changes: dict[str, object], code: str
) -> None:
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        request = replace(onboarding("Bad Net", 131072, "Eth9"), **changes)
        members.onboard(s, request, exchange.clock)
    assert code in _codes(exc)
    assert dump(exchange) == before


def test_duplicate_asn_and_address_in_use_are_refused(exchange: Registry) -> None:
    onboard(exchange, "Alpha", 131072, "Eth1")
    before = dump(exchange)
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        members.onboard(
            s,
            onboarding("Beta", 131072, "Eth2", ipv4="198.51.100.3", macs=("02:00:00:00:00:01",)),
            exchange.clock,
        )
    assert _codes(exc) == ["duplicate-asn", "in-use", "mac-in-use"]
    assert dump(exchange) == before


def test_every_problem_is_reported_at_once(exchange: Registry) -> None:
    onboard(exchange, "Alpha", 131072, "Eth1")
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        members.onboard(
            s,
            onboarding("Alpha", 131072, "Eth1", licence_number=None, ipv4="10.0.0.1"),
            exchange.clock,
        )
    assert _codes(exc) == [
        "duplicate-asn",
        "duplicate-name",
        "licence-missing",
        "mac-in-use",
        "outside-lan",
        "port-taken",
    ]
    assert "Alpha" in str(exc.value)


def test_full_lan_is_reported(exchange: Registry) -> None:
    # SH's /28 has 14 usable addresses
    for index in range(14):
        onboard(exchange, f"M{index}", 131072 + index, f"Eth{index}", switch="sh1-sw1")
    with pytest.raises(ValidationFailed) as exc, exchange.transaction("test") as s:
        members.onboard(s, onboarding("Late", 140000, "Eth99", switch="sh1-sw1"), exchange.clock)
    assert _codes(exc) == ["lan-full"]


def test_expired_member_is_flagged_by_update(exchange: Registry) -> None:
    onboard(exchange, "Alpha", 131072, "Eth1")
    with exchange.transaction("test") as s:
        org = members.lookups.member(s, "AS131072")
        members.update(s, org, members.MemberChange(licence_expires=dt.date(2026, 1, 1)))
    with exchange.read() as s:
        org = members.lookups.member(s, "Alpha")
        assert not org.licence_valid_on(exchange.clock.today())
        assert s.scalars(select(ServiceEndpoint)).one().port.organisation_id == org.id
