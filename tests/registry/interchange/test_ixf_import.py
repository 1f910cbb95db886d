from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ixcenter.core.errors import FormatError
from ixcenter.core.kinds import OrgCategory, PortKind
from ixcenter.registry.db import Registry
from ixcenter.registry.interchange.ixf_import import import_ixf, parse_ixf
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Organisation,
    PeeringLan,
    Port,
    PortMac,
)
from tests.registry_state import dump

EXAMPLES = ["bcix.json", "gr-ix.json", "official_basic_example.json"]


def _counts_in_file(document: dict[str, Any]) -> tuple[int, int, int, int]:
    members = document["member_list"]
    connections = sum(len(m["connection_list"]) for m in members)
    entries = [v for m in members for c in m["connection_list"] for v in c.get("vlan_list", [])]
    v4 = sum(1 for v in entries if v.get("ipv4", {}).get("address"))
    v6 = sum(1 for v in entries if v.get("ipv6", {}).get("address"))
    return len(members), connections, v4, v6


def _counts_in_registry(registry: Registry) -> tuple[int, int, int, int]:
    with registry.read() as s:
        return (
            s.scalar(select(func.count()).select_from(MemberAsn)) or 0,
            s.scalar(select(func.count()).select_from(Port).where(Port.lag_id.is_(None))) or 0,
            s.scalar(select(func.count(IpAssignment.ipv4))) or 0,
            s.scalar(select(func.count(IpAssignment.ipv6))) or 0,
        )


def _load(standards: Path, name: str) -> dict[str, Any]:
    return parse_ixf((standards / "ixf-examples" / name).read_bytes())


@pytest.mark.parametrize("name", EXAMPLES)
def test_real_export_imports_every_member_connection_and_address(
    registry: Registry, standards: Path, name: str
) -> None:
    document = _load(standards, name)
    with registry.transaction("importer") as s:
        report = import_ixf(s, document)
    assert _counts_in_registry(registry) == _counts_in_file(document)
    assert report.members.created + report.members.updated >= 1
    assert report.version == "0.6"


def test_member_counts_match_the_readme(standards: Path) -> None:
    counts = [len(_load(standards, n)["member_list"]) for n in [*EXAMPLES, _COMPLEX]]
    assert counts == [81, 28, 4, 1]


_COMPLEX = "official_more_complex_example.json"


def test_official_complex_example_has_addresses_outside_its_lan(
    registry: Registry, standards: Path
) -> None:
    """Its IPv4 addresses are not in the ISP LAN it declares; strict import says so, exactly."""
    document = _load(standards, _COMPLEX)
    before = dump(registry)
    with pytest.raises(FormatError) as caught, registry.transaction("importer") as s:
        import_ixf(s, document)
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("$.member_list[0].connection_list[0].vlan_list[0].ipv4.address", "outside-prefix"),
        ("$.member_list[0].connection_list[1].vlan_list[0].ipv4.address", "outside-prefix"),
    ]
    assert dump(registry) == before
    with registry.transaction("importer") as s:
        report = import_ixf(s, document, allow_outside_prefix=True)
    assert len(report.warnings) == 2
    assert _counts_in_registry(registry) == _counts_in_file(document) == (1, 2, 2, 2)
    with registry.read() as s:
        macs = s.scalars(select(PortMac.mac)).all()
        colos = s.scalars(select(ExchangeCenter)).one().nodes
    assert macs == ["00:0a:95:9d:68:16", "00:0a:95:9d:68:16"]
    assert sorted(n.facility or "" for n in colos) == ["Global Switch", "Telecity 5"]


@pytest.mark.parametrize("name", [*EXAMPLES, _COMPLEX])
def test_second_import_of_the_same_file_changes_nothing(
    registry: Registry, standards: Path, name: str
) -> None:
    document = _load(standards, name)
    with registry.transaction("importer") as s:
        import_ixf(s, document, allow_outside_prefix=True)
    before = dump(registry)
    with registry.transaction("importer") as s:
        report = import_ixf(s, document, allow_outside_prefix=True)
    assert dump(registry) == before
    assert not report.changed
    assert report.members.unchanged == len(document["member_list"])


def _small() -> dict[str, Any]:
    return {
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:00Z",
        "ixp_list": [
            {
                "ixp_id": 1,
                "ixf_id": 77,
                "shortname": "LAB-IX",
                "country": "DE",
                "switch": [{"id": 5, "name": "lab-sw1", "colo": "DC One", "city": "Berlin"}],
                "vlan": [
                    {
                        "id": 10,
                        "name": "public",
                        "ipv4": {"prefix": "192.0.2.0", "mask_length": 24},
                        "ipv6": {"prefix": "2001:db8::", "mask_length": 64},
                    }
                ],
            }
        ],
        "member_list": [
            {
                "asnum": 64501,
                "name": "Alpha",
                "connection_list": [
                    {
                        "ixp_id": 1,
                        "if_list": [
                            {"switch_id": 5, "if_speed": 10000},
                            {"switch_id": 5, "if_speed": 10000},
                        ],
                        "vlan_list": [
                            {
                                "vlan_id": 10,
                                "ipv4": {
                                    "address": "192.0.2.1",
                                    "routeserver": False,
                                    "max_prefix": 50,
                                    "as_macro": "AS-ALPHA",
                                    "mac_addresses": ["00-1B-21-3A-4F-10"],
                                },
                                "ipv6": {"address": "2001:DB8:0:0::1", "max_prefix": 9},
                            }
                        ],
                    }
                ],
            },
            {
                "asnum": 64502,
                "name": "Beta",
                "connection_list": [
                    {"ixp_id": 1, "vlan_list": [{"ipv4": {"address": "192.0.2.2"}}]}
                ],
            },
        ],
    }


def test_small_document_with_a_lag_imports_once_and_reports_progress(registry: Registry) -> None:
    calls: list[tuple[int, int]] = []
    with registry.transaction("importer") as s:
        import_ixf(s, _small(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    before = dump(registry)
    with registry.transaction("importer") as s:
        report = import_ixf(s, _small())
    assert dump(registry) == before
    assert report.ports.unchanged == 4  # the LAG, its two members and Beta's port


def test_small_document_maps_to_the_registry(registry: Registry) -> None:
    with registry.transaction("importer") as s:
        import_ixf(s, _small())
    with registry.read() as s:
        exchange = s.scalars(select(ExchangeCenter)).one()
        alpha = s.scalars(select(MemberAsn).where(MemberAsn.asn == 64501)).one()
        rows = {r.ipv4: r for r in s.scalars(select(IpAssignment))}
        lag = rows["192.0.2.1"].port
        members = lag.lag_members
        org = alpha.organisation
        beta_lan = rows["192.0.2.2"].lan
        assert (exchange.code, exchange.ixf_id, exchange.country, exchange.city) == (
            "LAB-IX",
            77,
            "DE",
            "Berlin",
        )
        assert (alpha.as_set, alpha.max_prefix_v4, alpha.max_prefix_v6) == ("AS-ALPHA", 50, 9)
        assert alpha.rs_participation is False
        assert (org.name, org.category, org.country) == ("Alpha", OrgCategory.ISP, "DE")
        assert rows["192.0.2.1"].ipv6 == "2001:db8::1"
        assert (lag.kind, lag.speed_mbps, lag.name) == (PortKind.LAG, 20000, "AS64501-1")
        assert [(p.name, p.speed_mbps) for p in members] == [
            ("AS64501-1-1", 10000),
            ("AS64501-1-2", 10000),
        ]
        assert [m.mac for m in lag.macs] == ["00:1b:21:3a:4f:10"]
        assert beta_lan.vlan == 10  # no vlan_id: found by the prefix holding the address
        assert rows["192.0.2.2"].port.speed_mbps == 1000  # no if_speed: the default


def test_changed_values_are_updated_and_org_category_kept(registry: Registry) -> None:
    with registry.transaction("importer") as s:
        import_ixf(s, _small())
    with registry.transaction("operator") as s:
        org = s.scalars(select(Organisation).where(Organisation.name == "Alpha")).one()
        org.category, org.licence_number = OrgCategory.CLOUD, "LIC-1"
    changed = copy.deepcopy(_small())
    entry = changed["member_list"][0]["connection_list"][0]["vlan_list"][0]
    entry["ipv4"]["max_prefix"] = 75
    entry["ipv4"]["mac_addresses"] = ["00:1b:21:3a:4f:11"]
    entry["ipv6"]["address"] = "2001:db8::a"
    changed["ixp_list"][0]["vlan"][0]["name"] = "renamed"
    with registry.transaction("importer") as s:
        report = import_ixf(s, changed)
    assert (report.asns.updated, report.addresses.updated, report.lans.updated) == (1, 1, 1)
    assert report.members.unchanged == 2
    with registry.read() as s:
        org = s.scalars(select(Organisation).where(Organisation.name == "Alpha")).one()
        assert (org.category, org.licence_number) == (OrgCategory.CLOUD, "LIC-1")
        assert org.asns[0].max_prefix_v4 == 75
        assert s.scalars(select(PortMac.mac)).all() == ["00:1b:21:3a:4f:11"]
        assert set(s.scalars(select(IpAssignment.ipv6))) == {"2001:db8::a", None}
        assert s.scalars(select(PeeringLan.name)).one() == "renamed"


def test_bad_document_lists_every_problem_and_changes_nothing(registry: Registry) -> None:
    with registry.transaction("importer") as s:
        import_ixf(s, _small())
    before = dump(registry)
    bad = copy.deepcopy(_small())
    members = bad["member_list"]
    members[0]["connection_list"][0]["vlan_list"][0]["ipv4"]["address"] = "198.51.100.1"
    members[1]["connection_list"][0]["vlan_list"][0]["ipv4"]["address"] = "192.0.2.9"
    members.append(copy.deepcopy(members[1]))
    members[2]["asnum"] = 4294967295
    members[2]["name"] = "Gamma"
    with pytest.raises(FormatError) as caught, registry.transaction("importer") as s:
        import_ixf(s, bad)
    fields = {p.field: p.code for p in caught.value.problems}
    assert fields == {
        "$.member_list[2].connection_list[0].vlan_list[0].ipv4.address": "duplicate",
        "$.member_list[2].asnum": "invalid-asn",
        "$.member_list[0].connection_list[0].vlan_list[0].ipv4.address": "outside-prefix",
    }
    assert "claimed at $.member_list[1]" in str(caught.value)
    assert dump(registry) == before


def test_schema_invalid_document_changes_nothing(registry: Registry) -> None:
    before = dump(registry)
    bad = _small()
    bad["member_list"][0]["asnum"] = "64501"
    with pytest.raises(FormatError) as caught, registry.transaction("importer") as s:
        import_ixf(s, bad)
    assert [p.field for p in caught.value.problems] == ["$.member_list[0].asnum"]
    assert dump(registry) == before


def test_text_and_bytes_parse_alike() -> None:
    raw = json.dumps(_small())
    assert parse_ixf(raw) == parse_ixf(raw.encode()) == _small()
