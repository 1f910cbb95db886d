"""IP assignments on the peering LANs: listing, one assignment, and who holds an address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api import policy
from ixcenter.api.paging import Limit, Offset, page
from ixcenter.api.policy import Operator, Reader, RegistryDep
from ixcenter.api.schemas.numbers import PathId
from ixcenter.api.schemas.ports import AssignIn, AssignmentOut
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.registry.models import IpAssignment, PeeringLan
from ixcenter.registry.services import addresses

router = APIRouter(tags=["ips"], responses=ERRORS)


@router.get("/ips", response_model=list[AssignmentOut])
def list_assignments(
    caller: Reader, registry: RegistryDep, limit: Limit = 1000, offset: Offset = 0
) -> list[AssignmentOut]:
    query = (
        select(IpAssignment)
        .options(
            selectinload(IpAssignment.lan).selectinload(PeeringLan.exchange),
            selectinload(IpAssignment.member_asn),
        )
        .order_by(IpAssignment.id)
    )
    with registry.read() as session:
        found = session.scalars(page(policy.assignments_query(caller, query), limit, offset))
        return [AssignmentOut.of(a) for a in found.all()]


@router.post("/ips", response_model=AssignmentOut, status_code=status.HTTP_201_CREATED)
def assign_addresses(body: AssignIn, caller: Operator, registry: RegistryDep) -> AssignmentOut:
    """One more router address pair on a LAN for the member on a port."""
    with registry.transaction(caller.actor) as session:
        done = addresses.assign_to_port(
            session, body.port_id, body.exchange, body.vlan, body.asn, body.ipv4, body.ipv6
        )
        return AssignmentOut.of(done)


@router.get("/ips/lookup", response_model=AssignmentOut)
def find_address(
    caller: Reader,
    registry: RegistryDep,
    address: Annotated[str, Query(description="an IPv4 or IPv6 address on a peering LAN")],
) -> AssignmentOut:
    with registry.read() as session:
        return AssignmentOut.of(policy.assignment_at(caller, session, address))


@router.get("/ips/{assignment_id}", response_model=AssignmentOut)
def get_assignment(assignment_id: PathId, caller: Reader, registry: RegistryDep) -> AssignmentOut:
    with registry.read() as session:
        return AssignmentOut.of(policy.assignment(caller, session, assignment_id))
