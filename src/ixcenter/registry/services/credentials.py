"""The rule every credential (API token, portal account) follows about its role: a member's
names the organisation it acts for; operators and supervisors act for no single member; the
public has none."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ixcenter.core.errors import Problems
from ixcenter.core.kinds import Role
from ixcenter.registry.models import Organisation


def checked_role(
    session: Session,
    problems: Problems,
    role: Role | str,
    organisation_id: int | None,
    *,
    what: str,
    public: str,
) -> Role | None:
    """``role`` as a ``Role``, every broken rule added to ``problems`` (``what`` names the
    credential in messages, ``public`` says why the public has none); None if not a role."""
    try:
        kind: Role | None = Role(role)
    except ValueError:
        problems.add("role", f"{role!r} is not a role", "invalid-role")
        kind = None
    if kind is Role.PUBLIC:
        problems.add("role", public, "invalid-role")
    if kind is Role.MEMBER:
        if organisation_id is None:
            problems.add("organisation_id", f"a member {what} names its member", "member-required")
        elif session.get(Organisation, organisation_id) is None:
            problems.add("organisation_id", f"no member #{organisation_id}", "not-found")
    elif kind is not None and organisation_id is not None:
        problems.add(
            "organisation_id", f"a {kind} {what} acts for no single member", "member-forbidden"
        )
    return kind
