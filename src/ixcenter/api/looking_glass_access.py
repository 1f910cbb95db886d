"""Who sees what of the looking glass: one decision for the JSON API and the portal's pages.

Accepted paths, sessions and route servers are public. A member's **filtered** paths and their
reasons are that member's and the staff's only, as ``Rule.READ`` would decide: the public is
refused with 401, another member with 404 worded the same whether the member and its routes exist
or not, the operator and the supervisor see everything (``check_filtered``). Where a route shows
both kinds (look-ups, searches, session lists) a ``View`` says which filtered paths a caller may
see. Both ``api.routes.looking_glass`` and ``portal.looking_glass_pages`` decide with these
functions and nothing else, so a page never shows what the API would refuse.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from fastapi import HTTPException, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ixcenter.api.policy import Caller, registry_of
from ixcenter.core.errors import AuthenticationFailed, NotFound, Problem, ValidationFailed
from ixcenter.core.kinds import Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import MemberAsn, Organisation
from ixcenter.routing.lg_index import LgPath
from ixcenter.routing.lg_snapshot import EMPTY, Snapshot, SnapshotRefresher

RETRY_AFTER_S = 5


def current_snapshot(request: Request) -> Snapshot | None:
    """The snapshot of the moment, or None before the route servers were read the first time;
    an app without a looking glass has no route servers (``EMPTY``)."""
    refresher = getattr(request.app.state, "looking_glass", None)
    if refresher is None:
        return EMPTY
    refresher = cast(SnapshotRefresher, refresher)
    if not refresher.ready.is_set():
        return None
    return refresher.current


def snapshot_of(request: Request) -> Snapshot:
    """``current_snapshot``, or 503 with ``Retry-After`` before the first read."""
    snapshot = current_snapshot(request)
    if snapshot is None:
        raise HTTPException(
            503,
            "the looking glass is reading the route servers for the first time",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    return snapshot


@dataclasses.dataclass(frozen=True, slots=True)
class View:
    """Which filtered paths a caller may see: all (staff), its own ASNs' (member), none."""

    everything: bool
    asns: frozenset[int] = frozenset()

    def sees(self, path: LgPath) -> bool:
        return path.accepted or self.everything or path.peer_asn in self.asns

    def sees_filtered_of(self, asn: int | None) -> bool:
        return self.everything or asn in self.asns


def view_of(caller: Caller, registry: Registry) -> View:
    if caller.sees_everything:
        return View(True)
    if caller.role is not Role.MEMBER or caller.organisation_id is None:
        return View(False)
    query = select(MemberAsn.asn).where(MemberAsn.organisation_id == caller.organisation_id)
    with registry.read() as session:
        return View(False, frozenset(session.scalars(query).all()))


async def view_for(caller: Caller, request: Request) -> View:
    """``view_of`` for async routes: only a member's view needs the registry (on a thread)."""
    if caller.role is Role.MEMBER:
        return await run_in_threadpool(view_of, caller, registry_of(request))
    return view_of(caller, registry_of(request))


def is_number(text: str) -> bool:
    """Decimal digits 0-9 only (``str.isdigit`` also takes "²" and other digits ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def member_asns(
    registry: Registry, member: str, *, owner: bool
) -> tuple[frozenset[int], int | None]:
    """(ASNs, organisation id) of ``AS<n>`` or a member id; the registry is asked for the
    organisation of an ASN only when ``owner`` is wanted (public pages need no query)."""
    text = member.strip()
    if text[:2].upper() == "AS" and is_number(text[2:]):
        asn = int(text[2:])
        if not owner:
            return frozenset({asn}), None
        with registry.read() as session:
            holder = session.scalars(
                select(MemberAsn.organisation_id).where(MemberAsn.asn == asn)
            ).first()
        return frozenset({asn}), holder
    if is_number(text):
        with registry.read() as session:
            found = session.get(Organisation, int(text))
            if found is None:
                raise NotFound(f"no member #{text}")
            return frozenset(a.asn for a in found.asns), found.id
    raise ValidationFailed(
        [Problem("member", f"{member!r} is neither AS<number> nor a member id", "syntax")]
    )


async def member_of(
    request: Request, member: str, *, owner: bool
) -> tuple[frozenset[int], int | None]:
    """``member_asns`` without a thread where no registry query is needed (public pages)."""
    if not owner and member[:2].upper() == "AS" and is_number(member[2:]):
        return frozenset({int(member[2:])}), None
    return await run_in_threadpool(member_asns, registry_of(request), member, owner=owner)


def sees_filtered(caller: Caller, owner: int | None) -> bool:
    """True when ``caller`` may see the filtered paths of organisation ``owner`` (None: an
    ASN no member holds, the staff's only)."""
    return caller.sees(owner)


def check_filtered(caller: Caller, owner: int | None, what: str) -> None:
    """Refuse the filtered paths of ``owner`` as ``Rule.READ`` scopes them (module docstring)."""
    if caller.role is Role.PUBLIC:
        raise AuthenticationFailed("filtered routes and their reasons need a bearer token")
    if not sees_filtered(caller, owner):
        raise caller.hidden(what)
