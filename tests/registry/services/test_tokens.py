"""API tokens: the plaintext is shown once and never stored; revoked tokens stop working."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from ixcenter.core.errors import AuthenticationFailed, NotFound, ValidationFailed
from ixcenter.core.kinds import OrgCategory, Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import ApiToken, AuditEntry, Organisation
from ixcenter.registry.services import tokens
from tests.registry_state import dump


def _member(registry: Registry) -> int:
    with registry.transaction("test") as s:
        org = Organisation(name="Alpha Net", category=OrgCategory.ISP, country="CN")
        s.add(org)
        s.flush()
        return org.id


def test_only_the_hash_is_stored(registry: Registry) -> None:
    with registry.transaction("test") as s:
        _, secret = tokens.create(s, "noc", Role.OPERATOR, None, registry.clock)
    assert secret.startswith("ixc_") and len(secret) >= 40
    with registry.read() as s:
        stored = s.scalars(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.created_at == registry.clock.now()
        audit = s.scalars(select(AuditEntry)).one()
        assert audit.after is not None and "token_hash" not in audit.after
    assert secret not in repr(dump(registry))


def test_each_token_is_new(registry: Registry) -> None:
    with registry.transaction("test") as s:
        first = tokens.create(s, "a", Role.OPERATOR, None, registry.clock)[1]
        second = tokens.create(s, "b", Role.OPERATOR, None, registry.clock)[1]
    assert first != second


def test_authenticate_and_revoke(registry: Registry) -> None:
    org_id = _member(registry)
    with registry.transaction("test") as s:
        _, secret = tokens.create(s, "alpha", "member", org_id, registry.clock)
    with registry.read() as s:
        found = tokens.authenticate(s, secret)
        assert (found.name, found.role, found.organisation_id) == ("alpha", Role.MEMBER, org_id)
        with pytest.raises(AuthenticationFailed, match="matches no token"):
            tokens.authenticate(s, secret + "x")
        with pytest.raises(AuthenticationFailed, match="not an ixcenter token"):
            tokens.authenticate(s, "hunter2")
    with registry.transaction("test") as s:
        revoked = tokens.revoke(s, "alpha")
        assert revoked.revoked_at == registry.clock.now()
    with registry.read() as s, pytest.raises(AuthenticationFailed, match="revoked"):
        tokens.authenticate(s, secret)
    with pytest.raises(ValidationFailed, match="revoked already"), registry.transaction("t") as s:
        tokens.revoke(s, "alpha")
    with pytest.raises(NotFound), registry.transaction("test") as s:
        tokens.revoke(s, "nobody")


def test_list_tokens_by_name(registry: Registry) -> None:
    with registry.transaction("test") as s:
        tokens.create(s, "zeta", Role.SUPERVISOR, None, registry.clock)
        tokens.create(s, "noc", Role.OPERATOR, None, registry.clock)
    with registry.read() as s:
        assert [(t.name, t.role) for t in tokens.list_tokens(s)] == [
            ("noc", Role.OPERATOR),
            ("zeta", Role.SUPERVISOR),
        ]


@pytest.mark.parametrize(
    ("name", "role", "org", "codes"),
    [
        ("alpha", Role.MEMBER, None, ["member-required"]),
        ("alpha", Role.MEMBER, 999, ["not-found"]),
        ("noc", Role.OPERATOR, "own", ["member-forbidden"]),
        ("anyone", Role.PUBLIC, None, ["invalid-role"]),
        ("bad name!", "admin", None, ["invalid", "invalid-role"]),
        ("taken", Role.SUPERVISOR, None, ["duplicate"]),
    ],
)
def test_bad_tokens_are_refused_with_every_problem(
    registry: Registry, name: str, role: str, org: int | str | None, codes: list[str]
) -> None:
    org_id = _member(registry)
    with registry.transaction("test") as s:
        tokens.create(s, "taken", Role.OPERATOR, None, registry.clock)
    before = dump(registry)
    organisation = org_id if org == "own" else org
    assert not isinstance(organisation, str)
    with pytest.raises(ValidationFailed) as caught, registry.transaction("test") as s:
        tokens.create(s, name, role, organisation, registry.clock)
    assert sorted(p.code for p in caught.value.problems) == sorted(codes)
    assert dump(registry) == before
