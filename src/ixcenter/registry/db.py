"""Opening the registry: engines, transactions and schema migrations.

``Registry(url)`` is the only way the product reaches the database. ``transaction(actor)`` is one
unit of work: it commits when the block ends and rolls back, leaving nothing behind, when it raises.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.registry import audit

logger = logging.getLogger(__name__)


class AuditedSession(Session):
    """A session whose every flushed change lands in the audit log."""


audit.install(AuditedSession)


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def make_engines(url: str) -> tuple[Engine, Engine]:
    """A (writer, reader) pair; on SQLite writers take the lock at BEGIN, so they queue."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, "BEGIN IMMEDIATE"), _sqlite_engine(url, "BEGIN")
    if parsed.get_backend_name() != "postgresql":
        raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine, engine


class Registry:
    """The exchange's source of truth, opened on one database URL."""

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.url = url
        self.clock: Clock = clock or SystemClock()
        self.writer, self.reader = make_engines(url)
        self._write_sessions = sessionmaker(
            self.writer, class_=AuditedSession, expire_on_commit=False
        )
        self._read_sessions = sessionmaker(self.reader, class_=AuditedSession)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def forked(self) -> None:
        """In a child process just forked: forget the parent's pooled connections without
        closing them (they are the parent's), so this process opens its own."""
        self.writer.dispose(close=False)
        if self.reader is not self.writer:
            self.reader.dispose(close=False)

    @contextmanager
    def transaction(self, actor: str, reason: str | None = None) -> Iterator[Session]:
        """One unit of work, recorded in the audit log under ``actor``."""
        with self._write_sessions() as session:
            session.info[audit.ACTOR_KEY] = actor
            session.info[audit.CLOCK_KEY] = self.clock
            session.info[audit.REASON_KEY] = reason
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only view: nothing in it is ever committed, and loaded objects stay readable."""
        with self._read_sessions() as session:
            yield session

    def is_migrated(self) -> bool:
        return inspect(self.reader).has_table("alembic_version")

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        from ixcenter.registry.migrate import upgrade

        upgrade(self.writer)

    def close(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()
