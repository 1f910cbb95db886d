from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ixcenter.registry.db import Registry
from ixcenter.registry.migrate import downgrade, upgrade
from ixcenter.registry.models import Base


def test_newest_migration_matches_the_models(registry: Registry) -> None:
    with registry.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrations_go_down_and_up_again(registry: Registry) -> None:
    downgrade(registry.writer, "base")
    assert set(inspect(registry.writer).get_table_names()) <= {"alembic_version"}
    upgrade(registry.writer)
    tables = set(inspect(registry.writer).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
