"""Services: public peering and private interconnects; adding and ceasing interconnects.

A member adds interconnects between its own ports and ceases those that join only its own ports;
an interconnect with another member is the operator's to add and to cease.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api import policy
from ixcenter.api.paging import Limit, Offset, page
from ixcenter.api.policy import MemberWriter, Reader, RegistryDep
from ixcenter.api.schemas.numbers import PathId
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.api.schemas.services import InterconnectIn, ServiceOut
from ixcenter.registry.models import Service, ServiceEndpoint
from ixcenter.registry.services import interconnects

logger = logging.getLogger(__name__)

router = APIRouter(tags=["services"], responses=ERRORS)


@router.get("/services", response_model=list[ServiceOut])
def list_services(
    caller: Reader, registry: RegistryDep, limit: Limit = 1000, offset: Offset = 0
) -> list[ServiceOut]:
    query = (
        select(Service)
        .options(selectinload(Service.endpoints).selectinload(ServiceEndpoint.port))
        .order_by(Service.id)
    )
    with registry.read() as session:
        found = session.scalars(page(policy.services_query(caller, query), limit, offset)).all()
        return [ServiceOut.of(s) for s in found]


@router.get("/services/{service_id}", response_model=ServiceOut)
def get_service(service_id: PathId, caller: Reader, registry: RegistryDep) -> ServiceOut:
    with registry.read() as session:
        return ServiceOut.of(policy.service(caller, session, service_id))


@router.post("/services", response_model=ServiceOut, status_code=status.HTTP_201_CREATED)
def add_interconnect(
    body: InterconnectIn, caller: MemberWriter, registry: RegistryDep
) -> ServiceOut:
    """A private interconnect: one VLAN joining two or more ports, with committed bandwidth."""
    request = body.to_request()
    with registry.transaction(caller.actor) as session:
        policy.check_ports_owned(caller, session, request.port_ids)
        service = interconnects.add(session, request, registry.clock)
        logger.info("service %d (%s) added by %s", service.id, service.kind, caller.actor)
        return ServiceOut.of(service)


@router.post("/services/{service_id}/cease", response_model=ServiceOut)
def cease_interconnect(
    service_id: PathId, caller: MemberWriter, registry: RegistryDep
) -> ServiceOut:
    with registry.transaction(caller.actor) as session:
        service = policy.service(caller, session, service_id)
        policy.check_service_change(caller, service)
        return ServiceOut.of(interconnects.cease(session, service.id))
