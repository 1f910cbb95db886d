"""The audit log: every change, newest first, for the operator and the supervisor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from ixcenter.api.paging import Limit, Offset, page
from ixcenter.api.policy import RegistryDep, Staff
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.api.schemas.services import AuditOut
from ixcenter.registry.models import AuditEntry

router = APIRouter(tags=["audit"], responses=ERRORS)


@router.get("/audit", response_model=list[AuditOut])
def list_audit(
    caller: Staff,
    registry: RegistryDep,
    object_type: Annotated[str | None, Query(description="e.g. organisations, ports")] = None,
    actor: Annotated[str | None, Query(description="e.g. api:noc")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AuditOut]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    with registry.read() as session:
        return [AuditOut.of(e) for e in session.scalars(page(query, limit, offset)).all()]
