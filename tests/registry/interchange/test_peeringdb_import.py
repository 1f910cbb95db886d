from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ixcenter.core.errors import FormatError
from ixcenter.registry.db import Registry
from ixcenter.registry.interchange.peeringdb_import import import_peeringdb, parse_peeringdb
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    MemberAsn,
    Organisation,
    PeeringLan,
    Port,
)
from tests.registry_state import dump


def _dump_document() -> dict[str, Any]:
    return {
        "org": {"data": [{"id": 8, "name": "Example Org", "country": "NL", "zipcode": "1"}]},
        "ix": {
            "data": [
                {
                    "id": 26,
                    "name": "AMS-IX",
                    "name_long": "Amsterdam Internet Exchange",
                    "city": "Amsterdam",
                    "country": "NL",
                    "media": "Ethernet",
                }
            ]
        },
        "ixlan": {"data": [{"id": 26, "ix_id": 26, "name": "", "mtu": 1500}]},
        "ixpfx": {
            "data": [
                {"id": 1, "ixlan_id": 26, "protocol": "IPv4", "prefix": "80.249.208.0/21"},
                {"id": 2, "ixlan_id": 26, "protocol": "IPv6", "prefix": "2001:7f8:1::/64"},
            ]
        },
        "net": {
            "data": [
                {
                    "id": 5,
                    "org_id": 8,
                    "name": "Example Net",
                    "asn": 64500,
                    "irr_as_set": "AS-EXAMPLE",
                    "info_prefixes4": 40,
                    "info_prefixes6": 0,
                }
            ]
        },
        "netixlan": {
            "data": [
                {
                    "id": 100,
                    "net_id": 5,
                    "ix_id": 26,
                    "ixlan_id": 26,
                    "name": "AMS-IX",
                    "asn": 64500,
                    "speed": 100000,
                    "ipaddr4": "80.249.208.10",
                    "ipaddr6": "2001:7f8:1::a506:4500:1",
                    "is_rs_peer": False,
                },
                {
                    "id": 101,
                    "net_id": 5,
                    "ix_id": 26,
                    "ixlan_id": 26,
                    "name": "AMS-IX",
                    "asn": 64500,
                    "speed": 10000,
                    "ipaddr4": "80.249.208.11",
                    "ipaddr6": None,
                    "is_rs_peer": True,
                },
            ]
        },
    }


def test_api_response_with_nets_creates_orgs_and_asns(registry: Registry, standards: Path) -> None:
    raw = (standards / "peeringdb-examples" / "net_3333_10745.json").read_bytes()
    document = parse_peeringdb(raw)
    with registry.transaction("importer") as s:
        report = import_peeringdb(s, document)
    assert (report.asns.created, report.members.created) == (3, 2)
    with registry.read() as s:
        asns = {a.asn: a for a in s.scalars(select(MemberAsn))}
        ripe = asns[3333]
        assert (ripe.name, ripe.as_set, ripe.max_prefix_v4, ripe.max_prefix_v6) == (
            "RIPE NCC",
            "AS-RIPENCC",
            30,
            20,
        )
        assert ripe.peeringdb_net_id == 5104
        assert asns[197000].organisation.name == "RIPE NCC"  # same org as AS3333
        assert asns[10745].as_set is None and asns[10745].max_prefix_v6 == 0
        assert ripe.organisation.peeringdb_org_id == 8829
    before = dump(registry)
    with registry.transaction("importer") as s:
        again = import_peeringdb(s, parse_peeringdb(raw))
    assert dump(registry) == before
    assert not again.changed


def test_combined_dump_maps_ix_lan_ports_and_addresses(registry: Registry) -> None:
    document = parse_peeringdb(json.dumps(_dump_document()))
    with registry.transaction("importer") as s:
        report = import_peeringdb(s, document)
    assert [tuple(row.values()) for row in report.rows()] == [
        ("exchanges", 1, 0, 0),
        ("lans", 1, 0, 0),
        ("members", 1, 0, 0),
        ("asns", 1, 0, 0),
        ("ports", 2, 0, 0),
        ("addresses", 2, 0, 0),
    ]
    assert list(report.rows()[0]) == ["kind", "created", "updated", "unchanged"]
    with registry.read() as s:
        exchange = s.scalars(select(ExchangeCenter)).one()
        lan = s.scalars(select(PeeringLan)).one()
        ports = {p.name: p for p in s.scalars(select(Port))}
        rows = s.scalars(select(IpAssignment).order_by(IpAssignment.ipv4)).all()
        member = s.scalars(select(MemberAsn)).one()
        org = s.scalars(select(Organisation)).one()
        assert (exchange.code, exchange.peeringdb_id, exchange.country) == ("AMS-IX", 26, "NL")
        assert (lan.ipv4_prefix, lan.ipv6_prefix) == ("80.249.208.0/21", "2001:7f8:1::/64")
        assert sorted(ports) == ["AS64500-pdb100", "AS64500-pdb101"]
        assert ports["AS64500-pdb100"].speed_mbps == 100000
        assert ports["AS64500-pdb100"].switch.name == "AMS-IX-switch"
        assert [(r.ipv4, r.ipv6) for r in rows] == [
            ("80.249.208.10", "2001:7f8:1::a506:4500:1"),
            ("80.249.208.11", None),
        ]
        assert member.rs_participation is True
        assert (org.name, org.country) == ("Example Org", "NL")
    before = dump(registry)
    with registry.transaction("importer") as s:
        import_peeringdb(s, parse_peeringdb(json.dumps(_dump_document())))
    assert dump(registry) == before


def test_changed_speed_is_updated(registry: Registry) -> None:
    with registry.transaction("importer") as s:
        import_peeringdb(s, parse_peeringdb(json.dumps(_dump_document())))
    changed = _dump_document()
    changed["netixlan"]["data"][1]["speed"] = 40000
    with registry.transaction("importer") as s:
        report = import_peeringdb(s, parse_peeringdb(json.dumps(changed)))
    assert (report.ports.updated, report.ports.unchanged) == (1, 1)
    with registry.read() as s:
        port = s.scalars(select(Port).where(Port.name == "AS64500-pdb101")).one()
        assert port.speed_mbps == 40000


def test_bad_objects_are_all_reported_and_nothing_changes(registry: Registry) -> None:
    before = dump(registry)
    bad = _dump_document()
    bad["netixlan"]["data"][0]["ipaddr4"] = "10.0.0.1"  # outside the LAN
    bad["netixlan"]["data"][1]["ipaddr6"] = "2001:7f8:1::a506:4500:1"  # claimed twice
    bad["net"]["data"][0]["asn"] = 0
    bad["netixlan"]["data"].append(
        {
            "id": 102,
            "ix_id": 26,
            "ixlan_id": 26,
            "asn": 64501,
            "ipaddr4": "80.249.208.12",
            "speed": "fast",
        }
    )
    with pytest.raises(FormatError) as caught:
        parse_peeringdb(json.dumps(bad))
    assert [p.field for p in caught.value.problems] == ["$.netixlan.data[2].speed"]
    del bad["netixlan"]["data"][2]
    with pytest.raises(FormatError) as caught, registry.transaction("importer") as s:
        import_peeringdb(s, parse_peeringdb(json.dumps(bad)))
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("$.net[id=5].asn", "invalid-asn"),
        ("$.netixlan[id=101].ipaddr6", "duplicate"),
        ("$.netixlan[id=100].ipv4.address", "outside-prefix"),
    }
    assert dump(registry) == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nope", "not JSON"),
        ('{"data": {}}', "expected a list"),
        ('{"data": [{"id": 1}]}', "cannot tell"),
        ('{"fac": {"data": []}}', "unknown object type"),
        ('{"net": {"data": [{"id": 1, "asn": 1, "info_type": ""}]}}', "name"),
    ],
)
def test_malformed_peeringdb_is_a_format_error(raw: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_peeringdb(raw)
