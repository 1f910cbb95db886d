"""Members: the list (public fields for the public), one member, onboarding and changes.

Onboarding is the operator's; a member may change its own web site (see ``policy``).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api import policy
from ixcenter.api.paging import Limit, Offset, page
from ixcenter.api.policy import AnyCaller, MemberWriter, Operator, Reader, RegistryDep
from ixcenter.api.schemas.members import (
    MemberChangeIn,
    MemberDetail,
    MemberEntry,
    MemberPublic,
    OnboardedOut,
    OnboardingIn,
)
from ixcenter.api.schemas.numbers import PathId
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.core.kinds import Role
from ixcenter.registry.models import Organisation
from ixcenter.registry.services import members

logger = logging.getLogger(__name__)

router = APIRouter(tags=["members"], responses=ERRORS)


@router.get("/members", response_model=list[MemberEntry])
def list_members(
    caller: AnyCaller, registry: RegistryDep, limit: Limit = 1000, offset: Offset = 0
) -> list[MemberPublic | MemberDetail]:
    """Public fields for the public; the full view for tokens (a member: only itself)."""
    query = select(Organisation).options(selectinload(Organisation.asns)).order_by(Organisation.id)
    query = page(policy.members_query(caller, query), limit, offset)
    with registry.read() as session:
        if caller.role is Role.PUBLIC:
            return [MemberPublic.of(o) for o in session.scalars(query).all()]
        query = query.options(selectinload(Organisation.ports))
        return [MemberDetail.of(o) for o in session.scalars(query).all()]


@router.get("/members/{member_id}", response_model=MemberDetail)
def get_member(member_id: PathId, caller: Reader, registry: RegistryDep) -> MemberDetail:
    with registry.read() as session:
        return MemberDetail.of(policy.organisation(caller, session, member_id))


@router.post("/members", response_model=OnboardedOut, status_code=status.HTTP_201_CREATED)
def onboard_member(body: OnboardingIn, caller: Operator, registry: RegistryDep) -> OnboardedOut:
    """Onboard a member in one step: organisation, ASN, port, MACs, addresses, public peering."""
    with registry.transaction(caller.actor) as session:
        done = members.onboard(session, body.to_request(), registry.clock)
        logger.info("AS%d onboarded by %s", done.asn, caller.actor)
        org = policy.organisation(caller, session, done.organisation_id)
        return OnboardedOut(
            organisation_id=done.organisation_id,
            asn=done.asn,
            port_id=done.port_id,
            lan_id=done.lan_id,
            ipv4=done.ipv4,
            ipv6=done.ipv6,
            member=MemberDetail.of(org),
        )


@router.patch("/members/{member_id}", response_model=MemberDetail)
def update_member(
    member_id: PathId, body: MemberChangeIn, caller: MemberWriter, registry: RegistryDep
) -> MemberDetail:
    with registry.transaction(caller.actor) as session:
        org = policy.organisation(caller, session, member_id)
        policy.check_member_change(caller, set(body.model_fields_set))
        members.update(session, org, body.to_change())
        return MemberDetail.of(org)
