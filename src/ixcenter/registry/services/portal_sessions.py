"""Signed-in portal sessions, kept on the server.

A session is opened after a successful sign-in: its id is 32 random bytes
(``secrets.token_urlsafe(32)``) that only the browser's cookie holds; the registry stores the id's
SHA-256 digest, the account, and when the session was opened, was last seen and ends (12 hours
after it opened, however active it is). Signing out, a new password or a disabled account ends
sessions at once.

Sessions are operational state, not registry data: they are written with plain INSERT, UPDATE and
DELETE statements that the automatic audit trail does not see (the last-seen time would otherwise
log an update per page view). What matters for the audit trail, sign-in, refused sign-in and
sign-out, is recorded explicitly with ``record``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ixcenter.core.clock import Clock
from ixcenter.core.kinds import Role
from ixcenter.registry import audit
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, PortalSession, UserAccount

logger = logging.getLogger(__name__)

LIFETIME = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last-seen is written at most this often per session
_MAX_ID = 100  # a cookie longer than any id we hand out is not looked up


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a live session belongs to."""

    account_id: int
    login: str
    display_name: str
    role: Role
    organisation_id: int | None
    expires_at: dt.datetime


def digest(session_id: str) -> str:
    """The SHA-256 hex digest under which a session is stored."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(session: Session, account: UserAccount, clock: Clock) -> str:
    """A new session for ``account``; returns its id, which only the cookie keeps.

    Sessions that have ended by time are removed on the way, so the table holds live ones only.
    """
    now = clock.now()
    session.execute(delete(PortalSession).where(PortalSession.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.execute(
        insert(PortalSession).values(
            id_hash=digest(session_id),
            account_id=account.id,
            created_at=now,
            expires_at=now + LIFETIME,
            last_seen_at=now,
        )
    )
    logger.info("user account %s signed in", account.login)
    return session_id


def identify(registry: Registry, session_id: str) -> SignedIn | None:
    """The account of a live session; ``None`` for an unknown, ended or expired one, or one whose
    account is disabled. Marks the session as seen (at most once a minute)."""
    if not session_id or len(session_id) > _MAX_ID:
        return None
    key = digest(session_id)
    now = registry.clock.now()
    with registry.read() as s:
        row = s.execute(
            select(PortalSession, UserAccount)
            .join(UserAccount, PortalSession.account_id == UserAccount.id)
            .where(PortalSession.id_hash == key)
        ).first()
        if row is None:
            return None
        found, account = row
        if found.expires_at <= now or account.disabled_at is not None:
            return None
        stale = now - found.last_seen_at >= TOUCH_EVERY
        signed_in = SignedIn(
            account.id,
            account.login,
            account.display_name,
            account.role,
            account.organisation_id,
            found.expires_at,
        )
    if stale:
        with registry.transaction(f"portal:{signed_in.login}") as s:
            s.execute(
                update(PortalSession).where(PortalSession.id_hash == key).values(last_seen_at=now)
            )
    return signed_in


def end(session: Session, session_id: str, clock: Clock) -> bool:
    """Sign out: the session ends (recorded in the audit log); ``False`` if it was not live."""
    key = digest(session_id)
    found = session.get(PortalSession, key)
    if found is None:
        return False
    account = session.get(UserAccount, found.account_id)
    session.execute(delete(PortalSession).where(PortalSession.id_hash == key))
    login = account.login if account is not None else None
    record(session, "sign-out", found.account_id, {"login": login}, None, clock)
    logger.info("user account %s signed out", login)
    return True


def end_all(session: Session, account_id: int) -> int:
    """End every session of an account; returns how many there were."""
    ended = session.scalars(
        delete(PortalSession)
        .where(PortalSession.account_id == account_id)
        .returning(PortalSession.id_hash)
    ).all()
    return len(ended)


def live_sessions(session: Session, account_id: int, clock: Clock) -> int:
    """How many sessions of an account have not ended."""
    found = session.scalars(
        select(PortalSession.id_hash).where(
            PortalSession.account_id == account_id, PortalSession.expires_at > clock.now()
        )
    ).all()
    return len(found)


def record(
    session: Session,
    action: str,
    account_id: int | None,
    details: dict[str, Any],
    reason: str | None,
    clock: Clock,
) -> None:
    """One explicit audit entry about an account (``sign-in``, ``sign-in-failed``, ``sign-out``)."""
    session.add(
        AuditEntry(
            at=clock.now(),
            actor=session.info.get(audit.ACTOR_KEY, "system"),
            action=action,
            object_type=UserAccount.__tablename__,
            object_id=account_id,
            before=None,
            after=details,
            reason=reason,
        )
    )
    session.flush()
