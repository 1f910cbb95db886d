"""Exchange centers, their nodes, switches and peering LANs.

Centers, nodes and LANs are public (the IX-F export publishes them); switches need a token; every
change is the operator's.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api.policy import AnyCaller, Operator, Reader, RegistryDep
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.api.schemas.topology import (
    ExchangeIn,
    ExchangeOut,
    LanIn,
    LanOut,
    NodeIn,
    NodeOut,
    SwitchIn,
    SwitchOut,
)
from ixcenter.registry.models import ExchangeCenter, Node, PeeringLan, Switch
from ixcenter.registry.services import lookups, topology

logger = logging.getLogger(__name__)

router = APIRouter(tags=["exchanges"], responses=ERRORS)


@router.get("/exchanges", response_model=list[ExchangeOut])
def list_exchanges(caller: AnyCaller, registry: RegistryDep) -> list[ExchangeOut]:
    with registry.read() as session:
        found = session.scalars(
            select(ExchangeCenter)
            .options(selectinload(ExchangeCenter.nodes), selectinload(ExchangeCenter.lans))
            .order_by(ExchangeCenter.code)
        ).all()
        return [ExchangeOut.of(e) for e in found]


@router.get("/exchanges/{code}", response_model=ExchangeOut)
def get_exchange(code: str, caller: AnyCaller, registry: RegistryDep) -> ExchangeOut:
    with registry.read() as session:
        return ExchangeOut.of(lookups.exchange(session, code))


@router.post("/exchanges", response_model=ExchangeOut, status_code=status.HTTP_201_CREATED)
def add_exchange(body: ExchangeIn, caller: Operator, registry: RegistryDep) -> ExchangeOut:
    with registry.transaction(caller.actor) as session:
        exchange = topology.add_exchange(session, body.to_new())
        logger.info("exchange %s added by %s", exchange.code, caller.actor)
        return ExchangeOut.of(exchange)


@router.get("/exchanges/{code}/nodes", response_model=list[NodeOut])
def list_nodes(code: str, caller: AnyCaller, registry: RegistryDep) -> list[NodeOut]:
    with registry.read() as session:
        exchange = lookups.exchange(session, code)
        found = session.scalars(
            select(Node).where(Node.exchange_id == exchange.id).order_by(Node.code)
        ).all()
        return [NodeOut.of(n) for n in found]


@router.post("/exchanges/{code}/nodes", response_model=NodeOut, status_code=status.HTTP_201_CREATED)
def add_node(code: str, body: NodeIn, caller: Operator, registry: RegistryDep) -> NodeOut:
    with registry.transaction(caller.actor) as session:
        return NodeOut.of(topology.add_node(session, body.to_new(code)))


@router.get("/exchanges/{code}/lans", response_model=list[LanOut])
def list_lans(code: str, caller: AnyCaller, registry: RegistryDep) -> list[LanOut]:
    with registry.read() as session:
        exchange = lookups.exchange(session, code)
        found = session.scalars(
            select(PeeringLan)
            .where(PeeringLan.exchange_id == exchange.id)
            .order_by(PeeringLan.vlan)
        ).all()
        return [LanOut.of(lan) for lan in found]


@router.post("/exchanges/{code}/lans", response_model=LanOut, status_code=status.HTTP_201_CREATED)
def add_lan(code: str, body: LanIn, caller: Operator, registry: RegistryDep) -> LanOut:
    with registry.transaction(caller.actor) as session:
        return LanOut.of(topology.add_lan(session, body.to_new(code), registry.clock))


@router.get("/switches", response_model=list[SwitchOut])
def list_switches(caller: Reader, registry: RegistryDep) -> list[SwitchOut]:
    with registry.read() as session:
        found = session.scalars(
            select(Switch).options(selectinload(Switch.node)).order_by(Switch.name)
        ).all()
        return [SwitchOut.of(s) for s in found]


@router.post(
    "/nodes/{code}/switches", response_model=SwitchOut, status_code=status.HTTP_201_CREATED
)
def add_switch(code: str, body: SwitchIn, caller: Operator, registry: RegistryDep) -> SwitchOut:
    with registry.transaction(caller.actor) as session:
        switch = topology.add_switch(session, code, body.name, body.manufacturer, body.model)
        return SwitchOut.of(switch)
