"""The audit trail: every insert, update and delete of a registry object, recorded automatically.

The hook runs after each flush, so no service can forget to record a change: it writes one
``AuditEntry`` per changed object with the actor of the transaction and the object's column values
before and after. Audit entries themselves are append-only (enforced here and by database triggers).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import PermissionDenied
from ixcenter.registry.models import ApiToken, AuditEntry, Base, MemberAsn, UserAccount

ACTOR_KEY = "ixc.actor"
CLOCK_KEY = "ixc.clock"
REASON_KEY = "ixc.reason"
REDACTED: dict[type[Base], set[str]] = {
    ApiToken: {"token_hash"},
    MemberAsn: {"bgp_password"},
    UserAccount: {"password_hash"},
}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _columns(obj: Base) -> list[str]:
    hidden = REDACTED.get(type(obj), set())
    return [a.key for a in inspect(type(obj)).column_attrs if a.key not in hidden]


def snapshot(obj: Base) -> dict[str, Any]:
    """The object's column values as JSON-ready data."""
    return {key: _plain(getattr(obj, key)) for key in _columns(obj)}


def _before(obj: Base) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in _columns(obj):
        history = get_history(obj, key)
        if history.deleted:
            values[key] = _plain(history.deleted[0])
        elif history.unchanged:
            values[key] = _plain(history.unchanged[0])
        else:
            values[key] = _plain(getattr(obj, key))
    return values


def _entry(session: Session, action: str, obj: Base, before: Any, after: Any) -> AuditEntry:
    clock: Clock = session.info.get(CLOCK_KEY) or SystemClock()
    return AuditEntry(
        at=clock.now(),
        actor=session.info.get(ACTOR_KEY, "system"),
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        before=before,
        after=after,
        reason=session.info.get(REASON_KEY),
    )


def _record(session: Session, flush_context: UOWTransaction) -> None:
    entries: list[AuditEntry] = []
    for obj in session.new:
        if isinstance(obj, Base) and not isinstance(obj, AuditEntry):
            entries.append(_entry(session, "create", obj, None, snapshot(obj)))
    for obj in session.dirty:
        if not isinstance(obj, Base) or isinstance(obj, AuditEntry):
            continue
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _before(obj), snapshot(obj)
        if before != after:
            entries.append(_entry(session, "update", obj, before, after))
    for obj in session.deleted:
        if isinstance(obj, Base) and not isinstance(obj, AuditEntry):
            entries.append(_entry(session, "delete", obj, _before(obj), None))
    # the session's sets have no order: sort, so the same work always writes the same log
    entries.sort(key=lambda e: (e.object_type, e.object_id or 0, e.action))
    session.add_all(entries)


def _refuse_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise PermissionDenied("the audit log is append-only")


def install(session_class: type[Session]) -> None:
    """Record every change made through sessions of ``session_class``."""
    event.listen(session_class, "after_flush", _record)


event.listen(AuditEntry, "before_update", _refuse_change)
event.listen(AuditEntry, "before_delete", _refuse_change)
