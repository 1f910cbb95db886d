"""Portal accounts and sessions: scrypt hashes, the rules of an account, throttled sign-ins, and
sessions that end by time, by signing out, by a new password or by disabling the account."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import AuthenticationFailed, NotFound, ValidationFailed
from ixcenter.core.kinds import OrgCategory, Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, Organisation, PortalSession, UserAccount
from ixcenter.registry.services import accounts, portal_sessions

PASSWORD = "correct horse battery"


def _member(registry: Registry, name: str = "Alpha Net") -> int:
    with registry.transaction("test") as s:
        org = Organisation(name=name, category=OrgCategory.ISP, country="CN")
        s.add(org)
        s.flush()
        return org.id


def _account(registry: Registry, login: str = "alice", role: Role = Role.OPERATOR) -> int:
    org_id = _member(registry) if role is Role.MEMBER else None
    with registry.transaction("test") as s:
        return accounts.create(s, login, login.title(), role, org_id, PASSWORD, registry.clock).id


def _sign_in(registry: Registry, login: str, password: str) -> accounts.Attempt:
    with registry.transaction(f"portal:{login}") as s:
        return accounts.authenticate(s, login, password, registry.clock, "192.0.2.7")


def _entries(registry: Registry, action: str) -> list[AuditEntry]:
    with registry.read() as s:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(s.scalars(query).all())


# --- passwords -------------------------------------------------------------------------------


def test_a_hash_names_scrypt_its_parameters_and_a_fresh_salt() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert first != second and salt != second.split("$")[4]
    assert PASSWORD not in first
    assert accounts.verify_password(PASSWORD, first)
    assert accounts.verify_password(PASSWORD, second)
    assert not accounts.verify_password(PASSWORD + "!", first)


def test_a_hash_is_verified_with_the_parameters_it_names() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=4, p=2, dklen=32)
    stored = f"scrypt$1024$4$2${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert accounts.verify_password(PASSWORD, stored)
    assert not accounts.verify_password("wrong password!", stored)


@pytest.mark.parametrize(
    "stored", ["", "scrypt$1$2", "bcrypt$16384$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA", "$$$$$"]
)
def test_a_malformed_hash_verifies_nothing(stored: str) -> None:
    assert not accounts.verify_password(PASSWORD, stored)


# --- accounts --------------------------------------------------------------------------------


def test_create_stores_a_hash_and_normalises_the_login(registry: Registry) -> None:
    org_id = _member(registry)
    with registry.transaction("test") as s:
        account = accounts.create(
            s, " Bob@Alpha ", "Bob", "member", org_id, PASSWORD, registry.clock
        )
        assert account.login == "bob@alpha"
    with registry.read() as s:
        stored = s.scalars(select(UserAccount)).one()
        assert (stored.role, stored.organisation_id) == (Role.MEMBER, org_id)
        assert stored.created_at == registry.clock.now()
        assert stored.password_hash.startswith("scrypt$")
        assert accounts.verify_password(PASSWORD, stored.password_hash)
        assert accounts.find(s, "BOB@ALPHA").id == stored.id


def test_create_reports_every_broken_rule_at_once(registry: Registry) -> None:
    with registry.transaction("test") as s, pytest.raises(ValidationFailed) as caught:
        accounts.create(s, "-bad login", " ", "member", None, "short", registry.clock)
    codes = {(p.field, p.code) for p in caught.value.problems}
    assert codes == {
        ("login", "invalid"),
        ("display_name", "invalid"),
        ("organisation_id", "member-required"),
        ("password", "too-short"),
    }


@pytest.mark.parametrize(
    ("role", "with_org", "field", "code"),
    [
        ("operator", True, "organisation_id", "member-forbidden"),
        ("supervisor", True, "organisation_id", "member-forbidden"),
        ("public", False, "role", "invalid-role"),
        ("root", False, "role", "invalid-role"),
    ],
)
def test_roles_and_organisations(
    registry: Registry, role: str, with_org: bool, field: str, code: str
) -> None:
    org_id = _member(registry) if with_org else None
    with registry.transaction("test") as s, pytest.raises(ValidationFailed) as caught:
        accounts.create(s, "carol", "Carol", role, org_id, PASSWORD, registry.clock)
    assert [(p.field, p.code) for p in caught.value.problems] == [(field, code)]


def test_a_member_account_names_an_existing_member(registry: Registry) -> None:
    with registry.transaction("test") as s, pytest.raises(ValidationFailed, match="no member #42"):
        accounts.create(s, "carol", "Carol", "member", 42, PASSWORD, registry.clock)


def test_a_login_is_taken_once(registry: Registry) -> None:
    _account(registry, "alice")
    with registry.transaction("test") as s, pytest.raises(ValidationFailed, match="exists already"):
        accounts.create(s, "ALICE", "Alice 2", "operator", None, PASSWORD, registry.clock)


def test_the_database_refuses_a_member_without_organisation(registry: Registry) -> None:
    with pytest.raises(IntegrityError), registry.transaction("test") as s:
        s.add(
            UserAccount(
                login="dave",
                display_name="Dave",
                role=Role.MEMBER,
                organisation_id=None,
                password_hash="x",
                created_at=registry.clock.now(),
                failed_signins=0,
            )
        )
        s.flush()


def test_the_audit_log_never_holds_a_password_hash(registry: Registry) -> None:
    _account(registry, "alice")
    with registry.transaction("test") as s:
        accounts.set_password(s, "alice", "another long password", registry.clock)
    with registry.read() as s:
        hashes = [a.password_hash for a in s.scalars(select(UserAccount))]
        logged = repr([(e.before, e.after) for e in s.scalars(select(AuditEntry))])
    assert hashes and all(h not in logged for h in hashes)
    assert "password_hash" not in logged


# --- signing in ------------------------------------------------------------------------------


def test_a_right_password_signs_in_and_is_audited(registry: Registry) -> None:
    account_id = _account(registry)
    attempt = _sign_in(registry, " Alice ", PASSWORD)
    assert attempt.account_or_raise().id == account_id
    with registry.read() as s:
        stored = s.get(UserAccount, account_id)
        assert stored is not None and stored.last_signin_at == registry.clock.now()
    [entry] = _entries(registry, "sign-in")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        "portal: Alice ",
        "user_accounts",
        account_id,
    )
    assert entry.after == {"login": "alice", "source": "192.0.2.7"}


def test_wrong_password_unknown_login_and_disabled_read_the_same(registry: Registry) -> None:
    _account(registry, "alice")
    _account(registry, "bob")
    with registry.transaction("test") as s:
        accounts.disable(s, "bob", registry.clock)
    attempts = [
        _sign_in(registry, "alice", "not the password"),
        _sign_in(registry, "mallory", PASSWORD),
        _sign_in(registry, "bob", PASSWORD),
    ]
    assert [a.refusal for a in attempts] == [accounts.REFUSED] * 3
    for attempt in attempts:
        with pytest.raises(AuthenticationFailed, match=accounts.REFUSED):
            attempt.account_or_raise()
    reasons = [(e.object_id is None, e.reason) for e in _entries(registry, "sign-in-failed")]
    assert reasons == [(False, "wrong password"), (True, "unknown login"), (False, "disabled")]


def test_five_failures_lock_the_login_for_a_minute(registry: Registry) -> None:
    clock = registry.clock
    assert isinstance(clock, FixedClock)
    _account(registry, "alice")
    _account(registry, "bob")
    for _ in range(accounts.MAX_FAILURES):
        assert _sign_in(registry, "alice", "not the password").account is None
    locked = _sign_in(registry, "alice", PASSWORD)  # the right password, too soon
    assert locked.account is None
    assert locked.locked_until == clock.now() + accounts.LOCK_FOR
    assert locked.refusal is not None and "too many failed sign-ins" in locked.refusal
    assert _sign_in(registry, "bob", PASSWORD).account is not None  # per login, not global
    clock.advance(accounts.LOCK_FOR - dt.timedelta(seconds=1))
    assert _sign_in(registry, "alice", PASSWORD).locked_until is not None
    clock.advance(dt.timedelta(seconds=1))
    assert _sign_in(registry, "alice", PASSWORD).account is not None
    with registry.read() as s:
        alice = accounts.find(s, "alice")
        assert (alice.failed_signins, alice.locked_until) == (0, None)
    reasons = [e.reason for e in _entries(registry, "sign-in-failed")]
    assert reasons == ["wrong password"] * 4 + ["wrong password, login locked", "locked", "locked"]


def test_a_success_resets_the_count_of_failures(registry: Registry) -> None:
    _account(registry)
    for _ in range(accounts.MAX_FAILURES - 1):
        _sign_in(registry, "alice", "not the password")
    assert _sign_in(registry, "alice", PASSWORD).account is not None
    for _ in range(accounts.MAX_FAILURES - 1):
        _sign_in(registry, "alice", "not the password")
    assert _sign_in(registry, "alice", PASSWORD).account is not None


def test_sign_in_state_does_not_fill_the_audit_log_with_updates(registry: Registry) -> None:
    _account(registry)
    _sign_in(registry, "alice", "not the password")
    _sign_in(registry, "alice", PASSWORD)
    with registry.read() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["create", "sign-in-failed", "sign-in"]


def test_a_new_password_replaces_the_old_and_unlocks(registry: Registry) -> None:
    _account(registry)
    for _ in range(accounts.MAX_FAILURES):
        _sign_in(registry, "alice", "not the password")
    with registry.transaction("test") as s, pytest.raises(ValidationFailed, match="at least 12"):
        accounts.set_password(s, "alice", "too short", registry.clock)
    with registry.transaction("test") as s:
        accounts.set_password(s, "alice", "a brand new passphrase", registry.clock)
    assert _sign_in(registry, "alice", PASSWORD).account is None
    assert _sign_in(registry, "alice", "a brand new passphrase").account is not None


def test_unknown_accounts_are_not_found(registry: Registry) -> None:
    with registry.transaction("test") as s:
        with pytest.raises(NotFound, match="no user account 'zed'"):
            accounts.set_password(s, "zed", PASSWORD, registry.clock)
        with pytest.raises(NotFound):
            accounts.disable(s, "zed", registry.clock)


def test_disabling_twice_is_an_error(registry: Registry) -> None:
    _account(registry)
    with registry.transaction("test") as s:
        assert accounts.disable(s, "alice", registry.clock).disabled_at == registry.clock.now()
    with registry.transaction("test") as s, pytest.raises(ValidationFailed, match="already"):
        accounts.disable(s, "alice", registry.clock)


# --- sessions --------------------------------------------------------------------------------


def _open(registry: Registry, login: str = "alice") -> str:
    with registry.transaction("test") as s:
        return portal_sessions.open_session(s, accounts.find(s, login), registry.clock)


def test_a_session_is_stored_as_a_digest_only(registry: Registry) -> None:
    _account(registry, "alice", Role.MEMBER)
    session_id = _open(registry)
    assert len(session_id) >= 43
    with registry.read() as s:
        stored = s.scalars(select(PortalSession)).one()
        assert stored.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
        assert stored.expires_at == registry.clock.now() + dt.timedelta(hours=12)
    found = portal_sessions.identify(registry, session_id)
    assert found is not None
    assert (found.login, found.role) == ("alice", Role.MEMBER)
    assert found.organisation_id is not None
    assert portal_sessions.identify(registry, session_id + "x") is None
    assert portal_sessions.identify(registry, "") is None


def test_a_session_ends_after_twelve_hours(registry: Registry) -> None:
    clock = registry.clock
    assert isinstance(clock, FixedClock)
    _account(registry)
    session_id = _open(registry)
    clock.advance(dt.timedelta(hours=12) - dt.timedelta(seconds=1))
    assert portal_sessions.identify(registry, session_id) is not None
    clock.advance(dt.timedelta(seconds=1))
    assert portal_sessions.identify(registry, session_id) is None
    _open(registry)  # opening a session clears the ended ones
    with registry.read() as s:
        assert len(s.scalars(select(PortalSession)).all()) == 1


def test_last_seen_is_written_at_most_once_a_minute(registry: Registry) -> None:
    clock = registry.clock
    assert isinstance(clock, FixedClock)
    _account(registry)
    session_id = _open(registry)
    opened = clock.now()

    def last_seen() -> dt.datetime:
        with registry.read() as s:
            return s.scalars(select(PortalSession.last_seen_at)).one()

    clock.advance(dt.timedelta(seconds=30))
    portal_sessions.identify(registry, session_id)
    assert last_seen() == opened
    clock.advance(dt.timedelta(seconds=30))
    portal_sessions.identify(registry, session_id)
    assert last_seen() == clock.now()


def test_sign_out_password_and_disable_end_sessions(registry: Registry) -> None:
    _account(registry)
    first, second = _open(registry), _open(registry)
    with registry.transaction("test") as s:
        assert portal_sessions.end(s, first, registry.clock)
        assert not portal_sessions.end(s, first, registry.clock)
    assert portal_sessions.identify(registry, first) is None
    assert portal_sessions.identify(registry, second) is not None
    assert [e.after for e in _entries(registry, "sign-out")] == [{"login": "alice"}]
    with registry.transaction("test") as s:
        accounts.set_password(s, "alice", "a brand new passphrase", registry.clock)
    assert portal_sessions.identify(registry, second) is None
    [changed] = _entries(registry, "password-set")
    assert changed.after == {"login": "alice", "sessions_ended": 1}
    assert changed.actor == "test" and changed.at == registry.clock.now()
    third = _open(registry)
    with registry.transaction("test") as s:
        accounts.disable(s, "alice", registry.clock)
        assert portal_sessions.live_sessions(s, accounts.find(s, "alice").id, registry.clock) == 0
    assert portal_sessions.identify(registry, third) is None
