"""Ports: listing, adding ports and LAGs, moving a member, decommissioning, and MAC addresses.

Adding, moving and decommissioning are the operator's; a member sets the MACs of its own ports.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api import policy
from ixcenter.api.paging import Limit, Offset, page
from ixcenter.api.policy import MemberWriter, Operator, Reader, RegistryDep
from ixcenter.api.schemas.numbers import PathId
from ixcenter.api.schemas.ports import ConnectIn, LagIn, MacsIn, MoveIn, PortIn, PortOut
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.registry.models import Port
from ixcenter.registry.services import lookups, ports

logger = logging.getLogger(__name__)

router = APIRouter(tags=["ports"], responses=ERRORS)


@router.get("/ports", response_model=list[PortOut])
def list_ports(
    caller: Reader, registry: RegistryDep, limit: Limit = 1000, offset: Offset = 0
) -> list[PortOut]:
    query = (
        select(Port)
        .options(
            selectinload(Port.switch),
            selectinload(Port.macs),
            selectinload(Port.lag_members),
        )
        .order_by(Port.id)
    )
    with registry.read() as session:
        found = session.scalars(page(policy.ports_query(caller, query), limit, offset)).all()
        return [PortOut.of(p) for p in found]


@router.get("/ports/{port_id}", response_model=PortOut)
def get_port(port_id: PathId, caller: Reader, registry: RegistryDep) -> PortOut:
    with registry.read() as session:
        return PortOut.of(policy.port(caller, session, port_id))


@router.post("/ports", response_model=PortOut, status_code=status.HTTP_201_CREATED)
def add_port(body: PortIn, caller: Operator, registry: RegistryDep) -> PortOut:
    with registry.transaction(caller.actor) as session:
        return PortOut.of(ports.add_port(session, body.switch, body.name, body.speed_mbps))


@router.post("/lags", response_model=PortOut, status_code=status.HTTP_201_CREATED)
def add_lag(body: LagIn, caller: Operator, registry: RegistryDep) -> PortOut:
    with registry.transaction(caller.actor) as session:
        return PortOut.of(ports.add_lag(session, body.switch, body.name, list(body.port_ids)))


@router.post("/ports/{port_id}/move", response_model=PortOut)
def move_port(port_id: PathId, body: MoveIn, caller: Operator, registry: RegistryDep) -> PortOut:
    """Move the member on this port (MACs, addresses, service VLANs) to another port."""
    with registry.transaction(caller.actor) as session:
        target = ports.move(session, body.to_move(port_id))
        logger.info("port %d moved to %d by %s", port_id, target.id, caller.actor)
        return PortOut.of(target)


@router.post("/ports/{port_id}/connect", response_model=PortOut)
def connect_port(
    port_id: PathId, body: ConnectIn, caller: Operator, registry: RegistryDep
) -> PortOut:
    """Give an existing member this available port (addresses follow with ``POST /ips``)."""
    with registry.transaction(caller.actor) as session:
        member = lookups.member(session, f"#{body.member_id}")
        clock = registry.clock
        return PortOut.of(ports.connect(session, port_id, member, list(body.macs), clock))


@router.post("/ports/{port_id}/decommission", response_model=PortOut)
def decommission_port(port_id: PathId, caller: Operator, registry: RegistryDep) -> PortOut:
    with registry.transaction(caller.actor) as session:
        return PortOut.of(ports.decommission(session, port_id))


@router.put("/ports/{port_id}/macs", response_model=PortOut)
def set_macs(port_id: PathId, body: MacsIn, caller: MemberWriter, registry: RegistryDep) -> PortOut:
    """Replace the MAC addresses allowed on the port."""
    with registry.transaction(caller.actor) as session:
        port = policy.port(caller, session, port_id)
        return PortOut.of(ports.set_macs(session, port, list(body.macs)))
