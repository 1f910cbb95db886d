from __future__ import annotations

import pytest

from ixcenter.core.errors import ValidationFailed
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, MemberAsn
from ixcenter.registry.services import lookups, routing_data
from tests.registry.services.builders import onboard, small_exchange
from tests.registry_state import dump


@pytest.fixture
def member_registry(registry: Registry) -> Registry:
    small_exchange(registry)
    onboard(registry, "Example Net", 131100, "Ethernet1/1", as_set="as-example")
    return registry


def _asn(registry: Registry) -> MemberAsn:
    with registry.read() as s:
        return lookups.member_asn(s, "AS131100")


def test_onboarding_stores_the_as_set_in_upper_case(member_registry: Registry) -> None:
    found = _asn(member_registry)
    assert found.as_set == "AS-EXAMPLE"
    assert (found.rs_blackhole, found.bgp_password) == (False, None)


def test_a_change_sets_every_route_server_option(member_registry: Registry) -> None:
    change = routing_data.RoutingChange(
        as_set="AS131100:AS-CUSTOMERS",
        irr_sources="ripe, apnic",
        max_prefix_v4=250,
        max_prefix_v6=0,
        rs_participation=False,
        rs_blackhole=True,
        bgp_password="s3cr3t!",
    )
    with member_registry.transaction("noc") as s:
        routing_data.change_routing(s, lookups.member_asn(s, 131100), change)
    found = _asn(member_registry)
    assert (found.as_set, found.irr_sources) == ("AS131100:AS-CUSTOMERS", "RIPE,APNIC")
    assert (found.max_prefix_v4, found.max_prefix_v6) == (250, 0)
    assert (found.rs_participation, found.rs_blackhole, found.bgp_password) == (
        False,
        True,
        "s3cr3t!",
    )


def test_empty_text_clears_and_none_keeps(member_registry: Registry) -> None:
    with member_registry.transaction("noc") as s:
        member_asn = lookups.member_asn(s, 131100)
        routing_data.change_routing(s, member_asn, routing_data.RoutingChange(as_set=""))
    found = _asn(member_registry)
    assert found.as_set is None
    assert found.max_prefix_v4 == 100


def test_the_password_never_reaches_the_audit_log(member_registry: Registry) -> None:
    change = routing_data.RoutingChange(bgp_password="hunter2-hunter2", rs_blackhole=True)
    with member_registry.transaction("noc") as s:
        routing_data.change_routing(s, lookups.member_asn(s, 131100), change)
    with member_registry.read() as s:
        entries = s.query(AuditEntry).all()
        text = repr([(e.before, e.after) for e in entries])
    assert "rs_blackhole" in text
    assert "hunter2" not in text
    assert "bgp_password" not in text


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("as_set", "AS-EXAMPLE\nprotocol x", "invalid-as-set"),
        ("as_set", "EXAMPLE", "invalid-as-set"),
        ("as_set", "AS-A;AS-B", "invalid-as-set"),
        ("irr_sources", "RIPE,AP NIC", "invalid-source"),
        ("bgp_password", 'pass"word', "invalid-password"),
        ("bgp_password", "with space", "invalid-password"),
        ("bgp_password", "x" * 81, "invalid-password"),
        ("max_prefix_v4", -1, "invalid"),
    ],
)
def test_bad_values_change_nothing(
    member_registry: Registry, field: str, value: object, code: str
) -> None:
    before = dump(member_registry)
    change = routing_data.RoutingChange(**{field: value})  # type: ignore[arg-type]
    with (
        pytest.raises(ValidationFailed) as raised,
        member_registry.transaction("noc") as s,
    ):
        routing_data.change_routing(s, lookups.member_asn(s, 131100), change)
    assert [(p.field, p.code) for p in raised.value.problems] == [(field, code)]
    assert dump(member_registry) == before


def test_onboarding_refuses_a_malformed_as_set(registry: Registry) -> None:
    small_exchange(registry)
    before = dump(registry)
    with pytest.raises(ValidationFailed) as raised:
        onboard(registry, "Bad Net", 131101, "Ethernet1/2", as_set="AS-OK}", bgp_password="a b")
    assert sorted(p.field for p in raised.value.problems) == ["as_set", "bgp_password"]
    assert dump(registry) == before
