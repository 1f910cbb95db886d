from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import func, select

from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.db import Registry
from ixcenter.registry.interchange import ixf_schema
from ixcenter.registry.interchange.ixf_export import export_ixf
from ixcenter.registry.interchange.ixf_import import import_ixf, parse_ixf
from ixcenter.registry.models import ExchangeCenter, IpAssignment, Organisation, Port
from tests.registry.interchange import rich
from tests.registry_state import dump

GENERATED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def _export(registry: Registry) -> dict[str, Any]:
    with registry.read() as s:
        return export_ixf(s, generated=GENERATED)


def test_export_is_valid_ixf_1_0_and_deterministic(registry: Registry) -> None:
    rich.build(registry)
    document = _export(registry)
    jsonschema.Draft4Validator(ixf_schema.schema("1.0")).validate(document)
    assert ixf_schema.validate(document) == "1.0"
    assert document["timestamp"] == "2026-06-01T09:00:00Z"
    assert _export(registry) == document
    assert [m["asnum"] for m in document["member_list"]] == list(range(64500, 64512))


def test_export_carries_routing_data_lag_and_ixf_id_fallback(registry: Registry) -> None:
    rich.build(registry)
    document = _export(registry)
    ixps = {ixp["shortname"]: ixp for ixp in document["ixp_list"]}
    with registry.read() as s:
        sh_id = s.scalars(select(ExchangeCenter.id).where(ExchangeCenter.code == "SH-IX")).one()
    assert ixps["BJ-IX"]["ixf_id"] == 901
    assert ixps["SH-IX"]["ixf_id"] == -sh_id
    assert [v["id"] for v in ixps["BJ-IX"]["vlan"]] == [100, 101]
    assert ixps["BJ-IX"]["vlan"][0]["ipv6"] == {"prefix": "2001:db8:100::", "mask_length": 64}
    colos = {sw["name"]: (sw["colo"], sw["city"]) for sw in ixps["BJ-IX"]["switch"]}
    assert colos["bj1-sw1"] == ("DC Yizhuang", "Beijing")
    members = {m["asnum"]: m for m in document["member_list"]}
    lag = members[64500]["connection_list"][0]
    assert [i["if_speed"] for i in lag["if_list"]] == [100_000, 100_000]
    v4 = lag["vlan_list"][0]["ipv4"]
    assert v4 == {
        "address": "203.0.113.10",
        "routeserver": True,
        "max_prefix": 10,
        "mac_addresses": ["02:00:00:00:00:00"],
    }
    three = members[64503]["connection_list"][0]["vlan_list"][0]["ipv6"]
    assert (three["routeserver"], three["as_macro"], three["max_prefix"]) == (False, "AS-M3", 8)
    assert len(members[64504]["connection_list"]) == 2


def test_round_trip_into_an_empty_registry_keeps_members_connections_addresses(
    registry: Registry, tmp_path: Path
) -> None:
    source = Registry(f"sqlite:///{tmp_path / 'source.db'}", clock=registry.clock)
    source.migrate()
    try:
        rich.build(source)
        first = _export(source)
    finally:
        source.close()
    with registry.transaction("importer") as s:
        report = import_ixf(s, parse_ixf(json.dumps(first)))
    assert report.members.created == rich.MEMBERS
    assert report.addresses.created == 14
    second = _export(registry)
    assert rich.view(second) == rich.view(first)
    with registry.read() as s:
        assert s.scalar(select(func.count()).select_from(Port)) == 15  # 13 connections + 2 in a LAG
        assert set(s.scalars(select(Organisation.category))) == {OrgCategory.ISP}


def test_importing_own_export_back_changes_nothing(registry: Registry) -> None:
    rich.build(registry)
    document = _export(registry)
    before = dump(registry)
    with registry.transaction("importer") as s:
        report = import_ixf(s, document)
    assert dump(registry) == before
    assert not report.changed
    assert report.addresses.unchanged == 14


@pytest.mark.parametrize("naive", [dt.datetime(2026, 1, 1)])  # noqa: DTZ001
def test_export_refuses_naive_time(registry: Registry, naive: dt.datetime) -> None:
    with registry.read() as s, pytest.raises(ValueError, match="timezone"):
        export_ixf(s, generated=naive)


def test_counts_in_registry(registry: Registry) -> None:
    rich.build(registry)
    with registry.read() as s:
        assert s.scalar(select(func.count()).select_from(IpAssignment)) == 14
