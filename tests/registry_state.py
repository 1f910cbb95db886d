"""The whole registry as plain data, to prove that a failed operation changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ixcenter.registry.db import Registry
from ixcenter.registry.models import Base


def dump(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    state: dict[str, list[tuple[Any, ...]]] = {}
    with registry.reader.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            state[table.name] = [tuple(row) for row in rows]
    return state
