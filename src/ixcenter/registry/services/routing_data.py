"""A member ASN's routing data: AS-SET, IRR sources, max-prefix and route-server options.

These values end up in route-server configurations, so they are checked strictly here: an AS-SET
is an RPSL set name (``AS-EXAMPLE``, ``AS64500:AS-CUSTOMERS``) or an ASN (``AS64500``); IRR
sources are RPSL source names; a session password is printable ASCII without quotes, backslashes
or spaces (what both route-server daemons accept inside a quoted string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ixcenter.core.errors import Problems
from ixcenter.registry.models import MemberAsn

_SET_PART = r"AS-[A-Za-z0-9_-]+"
_AS_SET = re.compile(rf"^(?:AS\d+|{_SET_PART})(?::(?:AS\d+|{_SET_PART}))*$", re.IGNORECASE)
_PLAIN_ASN = re.compile(r"^AS\d+$", re.IGNORECASE)
_SOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,31}$")
_PASSWORD = re.compile(r"^[!#-&(-\[\]-~]{1,80}$")  # printable ASCII except space " ' \

_ALLOWED_CHARACTERS = "1-80 printable ASCII characters without spaces, quotes or backslashes"


def check_as_set(problems: Problems, field_name: str, value: str | None) -> str | None:
    """The AS-SET as stored (upper case), or ``None``; adds a problem when malformed."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    valid = bool(_AS_SET.match(text)) and (
        _PLAIN_ASN.match(text) is not None or "AS-" in text.upper()
    )
    if not valid:
        problems.add(
            field_name,
            f"{text!r} is not an AS-SET name (AS-EXAMPLE, AS64500:AS-CUSTOMERS) or an ASN",
            "invalid-as-set",
        )
        return None
    return text.upper()


def check_irr_sources(problems: Problems, field_name: str, value: str | None) -> str | None:
    """Comma-separated IRR source names, in preference order, as stored (upper case)."""
    if value is None or not value.strip():
        return None
    names = [part.strip() for part in value.split(",") if part.strip()]
    bad = [name for name in names if not _SOURCE.match(name)]
    if bad:
        problems.add(field_name, f"not IRR source names: {', '.join(bad)}", "invalid-source")
        return None
    return ",".join(name.upper() for name in names)


def check_password(problems: Problems, field_name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _PASSWORD.match(value):
        problems.add(field_name, f"use {_ALLOWED_CHARACTERS}", "invalid-password")
        return None
    return value


@dataclass(frozen=True, slots=True)
class RoutingChange:
    """Fields to change; ``None`` leaves a field as it is, ``""`` clears a text field."""

    as_set: str | None = None
    irr_sources: str | None = None
    max_prefix_v4: int | None = None
    max_prefix_v6: int | None = None
    rs_participation: bool | None = None
    rs_blackhole: bool | None = None
    bgp_password: str | None = None


def change_routing(session: Session, member_asn: MemberAsn, change: RoutingChange) -> MemberAsn:
    """Apply ``change`` to ``member_asn`` after checking every field; nothing changes on error."""
    problems = Problems()
    as_set = check_as_set(problems, "as_set", change.as_set)
    sources = check_irr_sources(problems, "irr_sources", change.irr_sources)
    password = check_password(problems, "bgp_password", change.bgp_password)
    for name, limit in (
        ("max_prefix_v4", change.max_prefix_v4),
        ("max_prefix_v6", change.max_prefix_v6),
    ):
        problems.check(limit is None or limit >= 0, name, "cannot be negative")
    problems.raise_if_any()
    if change.as_set is not None:
        member_asn.as_set = as_set
    if change.irr_sources is not None:
        member_asn.irr_sources = sources
    if change.bgp_password is not None:
        member_asn.bgp_password = password
    if change.max_prefix_v4 is not None:
        member_asn.max_prefix_v4 = change.max_prefix_v4
    if change.max_prefix_v6 is not None:
        member_asn.max_prefix_v6 = change.max_prefix_v6
    if change.rs_participation is not None:
        member_asn.rs_participation = change.rs_participation
    if change.rs_blackhole is not None:
        member_asn.rs_blackhole = change.rs_blackhole
    session.flush()
    return member_asn
