"""Fixtures shared by the whole suite: registries on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Base
from tests.postgres_server import PostgresServer, PostgresUnavailable

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
STANDARDS = SHARED / "standards"
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output (review the diff before committing)",
    )


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def standards() -> Path:
    if not STANDARDS.is_dir():
        pytest.fail(f"shared standards not found beside the checkout: {STANDARDS}")
    return STANDARDS


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "registry.db"
    registry = Registry(f"sqlite:///{path}")
    registry.migrate()
    registry.close()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test process; fails (not skips) in CI if missing."""
    external = os.environ.get("IXC_TEST_POSTGRES_URL")
    server: PostgresServer | None = None
    if external:
        base_url = external
    else:
        try:
            server = PostgresServer.start()
        except PostgresUnavailable as exc:
            if _in_ci():
                pytest.fail(str(exc))
            pytest.skip(str(exc))
        base_url = server.url
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = f"ixc_test_{worker}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    url = base_url.rsplit("/", 1)[0] + "/" + database
    registry = Registry(url)
    registry.migrate()
    registry.close()
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


def _truncate_all(registry: Registry) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with registry.writer.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated registry database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "registry.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    registry = Registry(url)
    _truncate_all(registry)
    registry.close()
    return url


@pytest.fixture
def registry(registry_url: str, clock: FixedClock) -> Iterator[Registry]:
    registry = Registry(registry_url, clock=clock)
    try:
        yield registry
    finally:
        registry.close()
