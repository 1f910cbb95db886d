"""Long-distance links between exchange centers and cross-border channels (public to read)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.api.policy import AnyCaller, Operator, RegistryDep
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.api.schemas.topology import LinkIn, LinkOut
from ixcenter.registry.models import LongDistanceLink
from ixcenter.registry.services import topology

router = APIRouter(tags=["links"], responses=ERRORS)


@router.get("/links", response_model=list[LinkOut])
def list_links(caller: AnyCaller, registry: RegistryDep) -> list[LinkOut]:
    query = (
        select(LongDistanceLink)
        .options(
            selectinload(LongDistanceLink.a_exchange), selectinload(LongDistanceLink.b_exchange)
        )
        .order_by(LongDistanceLink.name)
    )
    with registry.read() as session:
        return [LinkOut.of(link) for link in session.scalars(query).all()]


@router.post("/links", response_model=LinkOut, status_code=status.HTTP_201_CREATED)
def add_link(body: LinkIn, caller: Operator, registry: RegistryDep) -> LinkOut:
    with registry.transaction(caller.actor) as session:
        return LinkOut.of(topology.add_link(session, body.to_new()))
