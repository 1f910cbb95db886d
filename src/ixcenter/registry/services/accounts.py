"""Portal user accounts: created with a role (a member's names its organisation), a password kept
as an scrypt hash, disabled rather than deleted, and sign-in attempts throttled per login.

Passwords are hashed with the standard library's ``hashlib.scrypt`` (n=2**14, r=8, p=1, a random
16-byte salt, a 32-byte key); the stored text carries the parameters and the salt
(``scrypt$16384$8$1$<salt>$<key>``, base64), so the cost can be raised later without breaking old
hashes. Comparison is constant-time.

``authenticate`` does not raise on a refused password: the failure must be committed (the count
that locks a login for a minute after five failures in a row, and the audit entry), and a raise
would roll the transaction back. It returns an ``Attempt`` whose ``account_or_raise`` the caller
calls once the transaction has committed. The throttle counters and the time of the last sign-in
are written with plain UPDATE statements, so they do not fill the audit log with an update per
sign-in; the audit log gets one explicit entry per sign-in and per refused sign-in instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ixcenter.core.clock import Clock
from ixcenter.core.errors import AuthenticationFailed, NotFound, Problems, ValidationFailed
from ixcenter.core.kinds import Role
from ixcenter.registry.models import UserAccount
from ixcenter.registry.services import portal_sessions
from ixcenter.registry.services.credentials import checked_role

logger = logging.getLogger(__name__)

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # scrypt hashes any length; a bound keeps a sign-in request cheap
MAX_FAILURES = 5  # failures in a row that lock a login
LOCK_FOR = dt.timedelta(minutes=1)

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_SCHEME = "scrypt"

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
REFUSED = "wrong login or password"


# --- passwords ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=64 * 2**20
    )


def hash_password(password: str) -> str:
    """The stored form of ``password``: scheme, parameters, salt and key."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored`` (with the parameters ``stored`` names)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(actual, expected)


# hashed once, so an unknown login costs the same scrypt work as a known one
_NOBODY = hash_password(secrets.token_urlsafe(16))


def check_password(problems: Problems, password: str) -> None:
    problems.check(
        len(password) >= MIN_PASSWORD,
        "password",
        f"a password has at least {MIN_PASSWORD} characters",
        "too-short",
    )
    problems.check(
        len(password) <= MAX_PASSWORD,
        "password",
        f"a password has at most {MAX_PASSWORD} characters",
        "too-long",
    )


# --- accounts -------------------------------------------------------------------------------


def normal_login(login: str) -> str:
    """Logins are compared without case and surrounding blanks: ``" Alice "`` is ``alice``."""
    return login.strip().lower()


def find(session: Session, login: str) -> UserAccount:
    account = session.scalars(
        select(UserAccount).where(UserAccount.login == normal_login(login))
    ).first()
    if account is None:
        raise NotFound(f"no user account {login!r}")
    return account


def create(
    session: Session,
    login: str,
    display_name: str,
    role: Role | str,
    organisation_id: int | None,
    password: str,
    clock: Clock,
) -> UserAccount:
    """A new account. A member's names the organisation it acts for; operators and supervisors
    act for no single member; the public has no account. Every broken rule is reported at once."""
    key = normal_login(login)
    problems = Problems()
    problems.check(
        bool(_LOGIN.match(key)), "login", f"{login!r} is not a login (letters, digits, . _ @ -)"
    )
    if session.scalars(select(UserAccount.id).where(UserAccount.login == key)).first():
        problems.add("login", f"an account {key!r} exists already", "duplicate")
    name = display_name.strip()
    problems.check(0 < len(name) <= 200, "display_name", "a display name has 1 to 200 characters")
    kind = checked_role(
        session,
        problems,
        role,
        organisation_id,
        what="account",
        public="the public signs in to nothing",
    )
    check_password(problems, password)
    problems.raise_if_any()
    if kind is None:  # a problem was added above
        raise ValidationFailed(problems.items)
    account = UserAccount(
        login=key,
        display_name=name,
        role=kind,
        organisation_id=organisation_id,
        password_hash=hash_password(password),
        created_at=clock.now(),
        failed_signins=0,
    )
    session.add(account)
    session.flush()
    logger.info("user account %s created for role %s", key, kind)
    return account


def set_password(session: Session, login: str, password: str, clock: Clock) -> UserAccount:
    """A new password; it unlocks the login and signs the account out everywhere. The audit log
    gets a ``password-set`` entry (the hash itself is never logged)."""
    account = find(session, login)
    problems = Problems()
    check_password(problems, password)
    problems.raise_if_any()
    account.password_hash = hash_password(password)
    account.failed_signins = 0
    account.locked_until = None
    session.flush()
    ended = portal_sessions.end_all(session, account.id)
    details = {"login": account.login, "sessions_ended": ended}
    portal_sessions.record(session, "password-set", account.id, details, None, clock)
    logger.info("user account %s: password set, %d sessions ended", account.login, ended)
    return account


def disable(session: Session, login: str, clock: Clock) -> UserAccount:
    """The account signs in no more and its sessions end; it stays for the audit trail."""
    account = find(session, login)
    problems = Problems()
    problems.check(account.disabled_at is None, "login", f"{account.login!r} is disabled already")
    problems.raise_if_any()
    account.disabled_at = clock.now()
    session.flush()
    ended = portal_sessions.end_all(session, account.id)
    logger.info("user account %s disabled, %d sessions ended", account.login, ended)
    return account


def list_accounts(session: Session) -> list[UserAccount]:
    """Every account, disabled ones included, by login."""
    return list(session.scalars(select(UserAccount).order_by(UserAccount.login)).all())


# --- signing in -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one sign-in: the account, or why not (and until when a login is locked)."""

    account: UserAccount | None
    refusal: str | None = None
    locked_until: dt.datetime | None = None

    def account_or_raise(self) -> UserAccount:
        if self.account is None:
            raise AuthenticationFailed(self.refusal or REFUSED)
        return self.account


def authenticate(
    session: Session, login: str, password: str, clock: Clock, source: str | None = None
) -> Attempt:
    """Check ``password`` for ``login`` and record the attempt (see the module's docstring).

    Every refusal reads the same (``REFUSED``) whether the login exists, the password is wrong or
    the account is disabled; only a locked login says so, with the time it opens again.
    """
    key = normal_login(login)[:100]
    now = clock.now()
    account = session.scalars(select(UserAccount).where(UserAccount.login == key)).first()
    if account is None:
        verify_password(password, _NOBODY)
        _record(session, "sign-in-failed", None, key, "unknown login", source, clock)
        return Attempt(None, REFUSED)
    if account.locked_until is not None and now < account.locked_until:
        _record(session, "sign-in-failed", account.id, key, "locked", source, clock)
        until = account.locked_until
        why = f"too many failed sign-ins: try again after {until:%H:%M:%S} UTC"
        return Attempt(None, why, until)
    right = verify_password(password, account.password_hash)
    if account.disabled_at is not None:
        _record(session, "sign-in-failed", account.id, key, "disabled", source, clock)
        return Attempt(None, REFUSED)
    if not right:
        failures = account.failed_signins + 1
        locked = now + LOCK_FOR if failures >= MAX_FAILURES else None
        _set(session, account, failed_signins=0 if locked else failures, locked_until=locked)
        why = "wrong password" + (", login locked" if locked else "")
        _record(session, "sign-in-failed", account.id, key, why, source, clock)
        if locked:
            logger.warning("user account %s locked after %d failed sign-ins", key, failures)
        return Attempt(None, REFUSED)
    _set(session, account, failed_signins=0, locked_until=None, last_signin_at=now)
    _record(session, "sign-in", account.id, key, None, source, clock)
    return Attempt(account)


def _set(session: Session, account: UserAccount, **values: Any) -> None:
    """Operational state (throttle, last sign-in) written without an audited update."""
    session.execute(
        update(UserAccount)
        .where(UserAccount.id == account.id)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )


def _record(
    session: Session,
    action: str,
    account_id: int | None,
    login: str,
    why: str | None,
    source: str | None,
    clock: Clock,
) -> None:
    details: dict[str, Any] = {"login": login}
    if source:
        details["source"] = source
    portal_sessions.record(session, action, account_id, details, why, clock)
