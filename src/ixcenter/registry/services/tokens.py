"""API tokens: created with a role (and, for a member, its organisation), kept as a hash only.

The plaintext (``ixc_`` followed by 43 URL-safe characters, 256 bits of randomness) is returned once
by ``create`` and never stored: the registry keeps its SHA-256 digest, and ``authenticate`` hashes
what a caller presents and looks the digest up. A revoked token stays in the registry (for the
audit trail) but no longer authenticates.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import AuthenticationFailed, NotFound, Problems, ValidationFailed
from ixcenter.core.kinds import Role
from ixcenter.registry import audit
from ixcenter.registry.models import ApiToken
from ixcenter.registry.services.credentials import checked_role

logger = logging.getLogger(__name__)

PREFIX = "ixc_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def digest(plaintext: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create(
    session: Session,
    name: str,
    role: Role | str,
    organisation_id: int | None,
    clock: Clock,
) -> tuple[ApiToken, str]:
    """A new token; returns it with its plaintext, which is shown this once and never again.

    A member token names the organisation it acts for; operator and supervisor tokens do not.
    The public needs no token, so there is no public token.
    """
    problems = Problems()
    problems.check(
        bool(_NAME.match(name)), "name", f"{name!r} is not a token name (letters, digits, . _ @ -)"
    )
    if session.scalars(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        problems.add("name", f"a token named {name!r} exists already", "duplicate")
    kind = checked_role(
        session, problems, role, organisation_id, what="token", public="the public needs no token"
    )
    problems.raise_if_any()
    if kind is None:  # a problem was added above
        raise ValidationFailed(problems.items)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=digest(plaintext),
        role=kind,
        organisation_id=organisation_id if kind is Role.MEMBER else None,
        created_at=clock.now(),
    )
    session.add(token)
    session.flush()
    logger.info("token %s created for role %s", name, kind)
    return token, plaintext


def authenticate(session: Session, plaintext: str) -> ApiToken:
    """The live token whose plaintext this is; ``AuthenticationFailed`` otherwise."""
    if not plaintext.startswith(PREFIX):
        raise AuthenticationFailed("the bearer token is not an ixcenter token")
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest(plaintext))
    ).first()
    if token is None:
        raise AuthenticationFailed("the bearer token matches no token")
    if token.revoked_at is not None:
        raise AuthenticationFailed(f"token {token.name!r} was revoked")
    return token


def revoke(session: Session, name: str, clock: Clock | None = None) -> ApiToken:
    """Stop a token from authenticating; revoking twice is an error, not a silent success.

    Without ``clock`` the time comes from the transaction's own clock (``Registry.clock``).
    """
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if token is None:
        raise NotFound(f"no token {name!r}")
    problems = Problems()
    problems.check(token.revoked_at is None, "name", f"token {name!r} is revoked already")
    problems.raise_if_any()
    when: Clock = clock or session.info.get(audit.CLOCK_KEY) or SystemClock()
    token.revoked_at = when.now()
    session.flush()
    logger.info("token %s revoked", name)
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, by name."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)).all())
