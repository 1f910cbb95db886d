"""The audit log page's data: the entries ``GET /api/v1/audit`` lists, a page at a time.

The same query as the API (newest first, by id; ``actor`` and the object type, here called the
kind, filter by exact match) and the same entries. Secrets never reach the log: the audit hook
leaves the password hash of an account, the hash of an API token and a member's BGP password
out of every entry it writes (``registry.audit``). The page leaves the same fields out of what
it shows, too, so an entry written by some other way would not show them either.

An entry is shown as its changes: the fields that differ for an update, every field for a
creation or a deletion.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ixcenter.registry.audit import REDACTED
from ixcenter.registry.models import AuditEntry

PAGE_SIZE = 50
HIDDEN = "[redacted]"
# The fields the audit hook never records, by object type (table name).
SECRET_FIELDS: dict[str, frozenset[str]] = {
    model.__tablename__: frozenset(fields) for model, fields in REDACTED.items()
}


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: str | None  # None: the field was not there (a creation)
    after: str | None  # None: not there any more (a deletion)


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    kind: str  # the object type
    object_id: int | None
    reason: str | None
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[Entry, ...]
    offset: int
    more: bool  # older entries follow
    kinds: tuple[str, ...]  # every object type in the log, for the filter


def audit_query(actor: str | None = None, kind: str | None = None) -> Select[AuditEntry]:
    """The audit entries, newest first, of ``actor`` and object type ``kind`` (when given)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if kind:
        query = query.where(AuditEntry.object_type == kind)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return query


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def redacted(kind: str, values: dict[str, Any] | None) -> dict[str, Any] | None:
    """``values`` with the secret fields of ``kind`` hidden."""
    if values is None:
        return None
    secret = SECRET_FIELDS.get(kind, frozenset())
    return {k: HIDDEN if k in secret else v for k, v in values.items()}


def changes(
    kind: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[Change, ...]:
    """What an entry changed, field by field, secrets hidden."""
    old, new = redacted(kind, before) or {}, redacted(kind, after) or {}
    out = []
    for field in sorted(old.keys() | new.keys()):
        was, now = old.get(field), new.get(field)
        if (
            before is not None
            and after is not None
            and field in old
            and field in new
            and was == now
        ):
            continue
        out.append(
            Change(
                field,
                _text(was) if field in old else None,
                _text(now) if field in new else None,
            )
        )
    return tuple(out)


def audit_page(
    session: Session, actor: str | None, kind: str | None, offset: int, limit: int = PAGE_SIZE
) -> AuditPage:
    """One page of the log from ``offset``."""
    found = session.scalars(audit_query(actor, kind).limit(limit + 1).offset(offset)).all()
    entries = tuple(
        Entry(
            e.id,
            e.at,
            e.actor,
            e.action,
            e.object_type,
            e.object_id,
            e.reason,
            changes(e.object_type, e.before, e.after),
        )
        for e in found[:limit]
    )
    kinds = session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    return AuditPage(entries, offset, len(found) > limit, tuple(kinds))
