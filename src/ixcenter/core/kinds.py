"""The closed vocabularies of the registry."""

from __future__ import annotations

import enum


class OrgCategory(enum.StrEnum):
    """What kind of organisation a member is (drives tariffs, reports and compliance)."""

    BASIC_CARRIER = "basic-carrier"
    ISP = "isp"
    VALUE_ADDED_TELECOM = "value-added-telecom"
    CLOUD = "cloud"
    CONTENT = "content"
    DATA_CENTER = "data-center"
    AI_COMPUTING_CENTER = "ai-computing-center"
    SUPERCOMPUTING_CENTER = "supercomputing-center"
    ENTERPRISE = "enterprise"
    GOVERNMENT_CLOUD = "government-cloud"
    INTERNATIONAL_NETWORK = "international-network"


class PortStatus(enum.StrEnum):
    AVAILABLE = "available"  # free, may be assigned
    CONNECTED = "connected"  # assigned to a member and in service
    DISABLED = "disabled"  # assigned but administratively down
    DECOMMISSIONED = "decommissioned"  # released; kept for the audit trail


class PortKind(enum.StrEnum):
    PHYSICAL = "physical"
    LAG = "lag"


class ServiceKind(enum.StrEnum):
    PUBLIC_PEERING = "public-peering"
    MULTI_CLOUD = "multi-cloud"
    ENTERPRISE_CLOUD = "enterprise-cloud"
    FIVE_G_VPN = "5g-vpn"
    INDUSTRIAL_INTERNET = "industrial-internet"
    SATELLITE = "satellite"
    CROSS_BORDER = "cross-border"

    @property
    def is_private(self) -> bool:
        return self is not ServiceKind.PUBLIC_PEERING


class ServiceStatus(enum.StrEnum):
    ACTIVE = "active"
    CEASED = "ceased"


class Role(enum.StrEnum):
    OPERATOR = "operator"
    MEMBER = "member"
    SUPERVISOR = "supervisor"
    PUBLIC = "public"
