from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from ixcenter.core.errors import PermissionDenied
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, Organisation


def _org(name: str = "Example Net") -> Organisation:
    return Organisation(name=name, category=OrgCategory.ISP, country="CN")


def test_every_change_is_audited_with_actor_before_and_after(registry: Registry) -> None:
    with registry.transaction("alice") as s:
        s.add(_org())
    with registry.transaction("bob") as s:
        org = s.scalars(select(Organisation)).one()
        org.sme = True
    with registry.read() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor, e.action, e.object_type) for e in entries] == [
        ("alice", "create", "organisations"),
        ("bob", "update", "organisations"),
    ]
    assert entries[0].before is None
    assert entries[0].after is not None and entries[0].after["name"] == "Example Net"
    assert entries[1].before is not None and entries[1].before["sme"] is False
    assert entries[1].after is not None and entries[1].after["sme"] is True
    assert entries[1].at == registry.clock.now()


def test_failed_transaction_leaves_nothing(registry: Registry) -> None:
    with pytest.raises(RuntimeError), registry.transaction("alice") as s:
        s.add(_org())
        s.flush()
        raise RuntimeError("boom")
    with registry.read() as s:
        assert s.scalars(select(Organisation)).all() == []
        assert s.scalars(select(AuditEntry)).all() == []


def test_audit_log_refuses_updates_in_orm(registry: Registry) -> None:
    with registry.transaction("alice") as s:
        s.add(_org())
    with pytest.raises(PermissionDenied), registry.transaction("mallory") as s:
        entry = s.scalars(select(AuditEntry)).one()
        entry.actor = "nobody"


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_audit_log_refuses_changes_in_database(registry: Registry, statement: str) -> None:
    with registry.transaction("alice") as s:
        s.add(_org())
    with pytest.raises(DBAPIError, match="append-only"), registry.writer.begin() as conn:
        if statement == "update":
            conn.execute(update(AuditEntry).values(actor="nobody"))
        else:
            conn.execute(text("DELETE FROM audit_log"))
    with registry.read() as s:
        assert s.scalars(select(AuditEntry.actor)).all() == ["alice"]
