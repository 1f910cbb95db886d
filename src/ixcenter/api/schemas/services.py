"""Services (public peering, private interconnects) and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from ixcenter.api.schemas.numbers import Id, Int32, Int64
from ixcenter.core.kinds import ServiceKind, ServiceStatus
from ixcenter.registry.models import AuditEntry, Service
from ixcenter.registry.services import interconnects


class EndpointOut(BaseModel):
    port_id: int
    vlan: int
    organisation_id: int | None


class ServiceOut(BaseModel):
    id: int
    kind: ServiceKind
    name: str
    status: ServiceStatus
    committed_mbps: int
    lan_id: int | None
    created_at: dt.datetime
    endpoints: list[EndpointOut]

    @classmethod
    def of(cls, service: Service) -> ServiceOut:
        return cls(
            id=service.id,
            kind=service.kind,
            name=service.name,
            status=service.status,
            committed_mbps=service.committed_mbps,
            lan_id=service.lan_id,
            created_at=service.created_at,
            endpoints=[
                EndpointOut(port_id=e.port_id, vlan=e.vlan, organisation_id=e.port.organisation_id)
                for e in service.endpoints
            ],
        )


class InterconnectIn(BaseModel):
    kind: ServiceKind
    name: str
    committed_mbps: Int64
    port_ids: list[Id]
    vlan: Int32
    vlans: list[Int32] = Field(default_factory=list)

    def to_request(self) -> interconnects.Interconnect:
        return interconnects.Interconnect(
            kind=self.kind,
            name=self.name,
            committed_mbps=self.committed_mbps,
            port_ids=tuple(self.port_ids),
            vlan=self.vlan,
            vlans=tuple(self.vlans),
        )


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            before=entry.before,
            after=entry.after,
            reason=entry.reason,
        )
