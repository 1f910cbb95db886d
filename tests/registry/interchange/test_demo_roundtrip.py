"""Demo data -> IX-F export -> import into an empty registry -> export again: nothing is lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select

from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.registry.interchange import ixf_schema
from ixcenter.registry.interchange.ixf_export import export_ixf
from ixcenter.registry.interchange.ixf_import import import_ixf, parse_ixf
from ixcenter.registry.models import IpAssignment, MemberAsn
from tests.registry.interchange import rich

GENERATED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_demo_exchange_survives_an_ixf_round_trip(registry: Registry, tmp_path: Path) -> None:
    source = Registry(f"sqlite:///{tmp_path / 'demo.db'}", clock=registry.clock)
    source.migrate()
    try:
        summary = demo_data.generate(source, seed=7, members=40)
        with source.read() as s:
            first = export_ixf(s, generated=GENERATED)
            source_addresses = s.execute(
                select(MemberAsn.asn, IpAssignment.ipv4, IpAssignment.ipv6).join(MemberAsn)
            ).all()
    finally:
        source.close()
    ixf_schema.validate(first)
    assert len(first["member_list"]) == summary.members == 40
    assert len(first["ixp_list"]) == 3

    with registry.transaction("importer") as s:
        report = import_ixf(s, parse_ixf(json.dumps(first)))
    assert report.members.created == 40
    with registry.read() as s:
        second = export_ixf(s, generated=GENERATED)
        imported = s.execute(
            select(MemberAsn.asn, IpAssignment.ipv4, IpAssignment.ipv6).join(MemberAsn)
        ).all()
        assert s.scalar(select(func.count()).select_from(IpAssignment)) == summary.assignments
    assert sorted(imported) == sorted(source_addresses)
    assert rich.view(second) == rich.view(first)
