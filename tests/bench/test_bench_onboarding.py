"""The onboarding benchmark compares like with like: its plain-SQL baseline writes the rows the
service writes. (No timing is asserted here; numbers live in bench/RESULTS.md.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from bench import bench_onboarding
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, Base

WRITTEN = ("organisations", "member_asns", "ports", "port_macs", "ip_assignments",
           "service_endpoints")  # fmt: skip


def _rows(registry: Registry) -> dict[str, list[tuple[object, ...]]]:
    tables = Base.metadata.tables
    with registry.reader.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(tables[name]).order_by(tables[name].c.id))]
            for name in WRITTEN
        }


def test_plain_sql_baseline_writes_what_the_service_writes(
    tmp_path: Path, sqlite_template: Path
) -> None:
    count = 260  # enough to cross an IPv4 octet and the hex digits of IPv6
    registries = []
    for path in ("service", "sql"):
        file = tmp_path / f"{path}.db"
        shutil.copyfile(sqlite_template, file)
        registry = Registry(f"sqlite:///{file}")
        bench_onboarding.build_exchange(registry, count)
        bench_onboarding.RUNNERS[path](registry, count)
        registries.append(registry)
    service, sql = registries
    try:
        assert _rows(service) == _rows(sql)
        assert len(_rows(sql)["ip_assignments"]) == count
        with service.read() as s, sql.read() as t:
            assert len(s.scalars(select(AuditEntry)).all()) > 6 * count
            assert len(t.scalars(select(AuditEntry)).all()) < 20  # only the topology
    finally:
        for registry in registries:
            registry.close()
