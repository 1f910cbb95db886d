"""Migrations: the newest schema is exactly what the models declare, and 0003 (portal accounts
and sessions) goes down and up again on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ixcenter.registry.db import Registry
from ixcenter.registry.migrate import downgrade, upgrade
from ixcenter.registry.models import Base

PORTAL_TABLES = {"user_accounts", "portal_session"}


def _tables(registry: Registry) -> set[str]:
    return set(inspect(registry.writer).get_table_names())


def test_the_migrated_schema_matches_the_models(registry: Registry) -> None:
    with registry.writer.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_0003_goes_down_and_up_again(registry: Registry) -> None:
    assert _tables(registry) >= PORTAL_TABLES
    downgrade(registry.writer, "0002")
    try:
        assert not PORTAL_TABLES & _tables(registry)
        assert "api_tokens" in _tables(registry)
    finally:
        upgrade(registry.writer)
    assert _tables(registry) >= PORTAL_TABLES
    columns = {c["name"] for c in inspect(registry.writer).get_columns("portal_session")}
    assert columns == {"id_hash", "account_id", "created_at", "expires_at", "last_seen_at"}
    checks = {c["name"] for c in inspect(registry.writer).get_check_constraints("user_accounts")}
    assert {
        "ck_user_accounts_not_public",
        "ck_user_accounts_member_organisation",
        "ck_user_accounts_failed_signins",
    } <= checks
