"""SQLAlchemy models of the registry: the only place the schema is declared.

Exchange center -> nodes -> switches -> ports (MACs, LAG membership);
exchange center -> peering LANs -> IP assignments (one dual-stack pair per member router);
organisation -> ASNs; services (public peering, private interconnects) -> endpoints on ports;
long-distance links between exchange centers; an append-only audit log; API tokens;
portal user accounts and their signed-in sessions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ixcenter.core.kinds import OrgCategory, PortKind, PortStatus, Role, ServiceKind, ServiceStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _enum(kind: type[Any], name: str) -> SqlEnum:
    return SqlEnum(
        kind,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExchangeCenter(Base):
    __tablename__ = "exchange_centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    url: Mapped[str | None] = mapped_column(String(300))
    ixf_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    peeringdb_id: Mapped[int | None] = mapped_column(Integer)
    rs_asn: Mapped[int | None] = mapped_column(BigInteger)

    nodes: Mapped[list[Node]] = relationship(back_populates="exchange", order_by="Node.code")
    lans: Mapped[list[PeeringLan]] = relationship(
        back_populates="exchange", order_by="PeeringLan.vlan"
    )


class Node(Base):
    """A PoP of an exchange center in a city (often in a data center of someone else)."""

    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchange_centers.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    facility: Mapped[str | None] = mapped_column(String(200))

    exchange: Mapped[ExchangeCenter] = relationship(back_populates="nodes")
    switches: Mapped[list[Switch]] = relationship(back_populates="node", order_by="Switch.name")


class Switch(Base):
    __tablename__ = "switches"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))

    node: Mapped[Node] = relationship(back_populates="switches")
    ports: Mapped[list[Port]] = relationship(back_populates="switch", order_by="Port.name")


class Organisation(Base):
    """A member: the legal entity, its category and licence."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[OrgCategory] = mapped_column(_enum(OrgCategory, "org_category"))
    country: Mapped[str] = mapped_column(String(2))
    licence_number: Mapped[str | None] = mapped_column(String(100))
    licence_expires: Mapped[dt.date | None] = mapped_column(Date)
    sme: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str | None] = mapped_column(String(300))
    peeringdb_org_id: Mapped[int | None] = mapped_column(Integer)

    asns: Mapped[list[MemberAsn]] = relationship(
        back_populates="organisation", order_by="MemberAsn.asn"
    )
    ports: Mapped[list[Port]] = relationship(back_populates="organisation", order_by="Port.id")

    def licence_valid_on(self, day: dt.date) -> bool:
        return bool(self.licence_number) and (
            self.licence_expires is None or self.licence_expires >= day
        )


class MemberAsn(Base):
    """An ASN a member peers with, and its routing data."""

    __tablename__ = "member_asns"
    __table_args__ = (
        CheckConstraint("asn > 0 AND asn <= 4294967295", name="asn_range"),
        CheckConstraint("max_prefix_v4 >= 0 AND max_prefix_v6 >= 0", name="max_prefix"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asn: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    as_set: Mapped[str | None] = mapped_column(String(200))
    irr_sources: Mapped[str | None] = mapped_column(String(200))
    max_prefix_v4: Mapped[int] = mapped_column(Integer, default=100)
    max_prefix_v6: Mapped[int] = mapped_column(Integer, default=20)
    rs_participation: Mapped[bool] = mapped_column(default=True)
    rs_blackhole: Mapped[bool] = mapped_column(default=False)  # receives RFC 7999 blackholes
    bgp_password: Mapped[str | None] = mapped_column(String(80))  # TCP MD5 for RS sessions
    peeringdb_net_id: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(back_populates="asns")


class Port(Base):
    """A switch port (or a LAG of ports) and the member it serves."""

    __tablename__ = "ports"
    __table_args__ = (
        UniqueConstraint("switch_id", "name"),
        CheckConstraint("speed_mbps > 0", name="speed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    switch_id: Mapped[int] = mapped_column(ForeignKey("switches.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[PortKind] = mapped_column(_enum(PortKind, "port_kind"), default=PortKind.PHYSICAL)
    speed_mbps: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PortStatus] = mapped_column(
        _enum(PortStatus, "port_status"), default=PortStatus.AVAILABLE
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    lag_id: Mapped[int | None] = mapped_column(ForeignKey("ports.id"), index=True)

    switch: Mapped[Switch] = relationship(back_populates="ports")
    organisation: Mapped[Organisation | None] = relationship(back_populates="ports")
    macs: Mapped[list[PortMac]] = relationship(
        back_populates="port", cascade="all, delete-orphan", order_by="PortMac.mac"
    )
    lag: Mapped[Port | None] = relationship(remote_side=[id], back_populates="lag_members")
    lag_members: Mapped[list[Port]] = relationship(back_populates="lag")
    assignments: Mapped[list[IpAssignment]] = relationship(back_populates="port")
    endpoints: Mapped[list[ServiceEndpoint]] = relationship(back_populates="port")


class PortMac(Base):
    __tablename__ = "port_macs"
    __table_args__ = (UniqueConstraint("port_id", "mac"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id"), index=True)
    mac: Mapped[str] = mapped_column(String(17), index=True)

    port: Mapped[Port] = relationship(back_populates="macs")


class PeeringLan(Base):
    """A public peering LAN of an exchange center: one VLAN, an IPv4 and an IPv6 prefix."""

    __tablename__ = "peering_lans"
    __table_args__ = (UniqueConstraint("exchange_id", "vlan"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchange_centers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    vlan: Mapped[int] = mapped_column(Integer)
    ipv4_prefix: Mapped[str | None] = mapped_column(String(43))
    ipv6_prefix: Mapped[str | None] = mapped_column(String(43))
    mtu: Mapped[int] = mapped_column(Integer, default=1500)

    exchange: Mapped[ExchangeCenter] = relationship(back_populates="lans")
    reservations: Mapped[list[ReservedAddress]] = relationship(
        back_populates="lan", cascade="all, delete-orphan", order_by="ReservedAddress.address"
    )
    assignments: Mapped[list[IpAssignment]] = relationship(back_populates="lan")


class ReservedAddress(Base):
    """An address of a LAN that is never given to a member (route servers, blackhole, ...)."""

    __tablename__ = "reserved_addresses"
    __table_args__ = (UniqueConstraint("lan_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lan_id: Mapped[int] = mapped_column(ForeignKey("peering_lans.id"), index=True)
    address: Mapped[str] = mapped_column(String(39))
    purpose: Mapped[str] = mapped_column(String(100))

    lan: Mapped[PeeringLan] = relationship(back_populates="reservations")


class IpAssignment(Base):
    """One member router on a peering LAN: its port, its ASN and its IPv4/IPv6 addresses."""

    __tablename__ = "ip_assignments"
    __table_args__ = (
        UniqueConstraint("lan_id", "ipv4"),
        UniqueConstraint("lan_id", "ipv6"),
        CheckConstraint("ipv4 IS NOT NULL OR ipv6 IS NOT NULL", name="some_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lan_id: Mapped[int] = mapped_column(ForeignKey("peering_lans.id"), index=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id"), index=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("member_asns.id"), index=True)
    ipv4: Mapped[str | None] = mapped_column(String(15))
    ipv6: Mapped[str | None] = mapped_column(String(39))

    lan: Mapped[PeeringLan] = relationship(back_populates="assignments")
    port: Mapped[Port] = relationship(back_populates="assignments")
    member_asn: Mapped[MemberAsn] = relationship()


class Service(Base):
    """Public peering on a LAN, or a private interconnect (a VLAN joining two or more ports)."""

    __tablename__ = "services"
    __table_args__ = (CheckConstraint("committed_mbps >= 0", name="committed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ServiceKind] = mapped_column(_enum(ServiceKind, "service_kind"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ServiceStatus] = mapped_column(
        _enum(ServiceStatus, "service_status"), default=ServiceStatus.ACTIVE
    )
    committed_mbps: Mapped[int] = mapped_column(BigInteger, default=0)
    lan_id: Mapped[int | None] = mapped_column(ForeignKey("peering_lans.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    endpoints: Mapped[list[ServiceEndpoint]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceEndpoint.id"
    )
    lan: Mapped[PeeringLan | None] = relationship()


class ServiceEndpoint(Base):
    """A service's VLAN on one port; a (port, VLAN) pair carries one service only."""

    __tablename__ = "service_endpoints"
    __table_args__ = (
        UniqueConstraint("port_id", "vlan"),
        CheckConstraint("vlan >= 1 AND vlan <= 4094", name="vlan_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id"), index=True)
    vlan: Mapped[int] = mapped_column(Integer)

    service: Mapped[Service] = relationship(back_populates="endpoints")
    port: Mapped[Port] = relationship(back_populates="endpoints")


class LongDistanceLink(Base):
    """A link between two exchange centers, or a cross-border channel to a foreign exchange."""

    __tablename__ = "long_distance_links"
    __table_args__ = (
        CheckConstraint("capacity_mbps > 0", name="capacity"),
        CheckConstraint("latency_ms >= 0", name="latency"),
        CheckConstraint("b_exchange_id IS NOT NULL OR remote_name IS NOT NULL", name="far_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    a_exchange_id: Mapped[int] = mapped_column(ForeignKey("exchange_centers.id"), index=True)
    b_exchange_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_centers.id"))
    remote_name: Mapped[str | None] = mapped_column(String(200))
    remote_country: Mapped[str | None] = mapped_column(String(2))
    capacity_mbps: Mapped[int] = mapped_column(BigInteger)
    latency_ms: Mapped[float] = mapped_column(Float)
    cross_border: Mapped[bool] = mapped_column(default=False)

    a_exchange: Mapped[ExchangeCenter] = relationship(foreign_keys=[a_exchange_id])
    b_exchange: Mapped[ExchangeCenter | None] = relationship(foreign_keys=[b_exchange_id])


class AuditEntry(Base):
    """One change: who, when, what, and the object before and after. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64), index=True)
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token for the API, stored as its SHA-256 hash only."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    organisation: Mapped[Organisation | None] = relationship()


class UserAccount(Base):
    """A person who signs in to the portal: one role, and for a member the organisation it acts
    for. The password is kept as an scrypt hash with its salt and parameters only."""

    __tablename__ = "user_accounts"
    __table_args__ = (
        CheckConstraint("role <> 'public'", name="not_public"),
        CheckConstraint(
            "(role = 'member' AND organisation_id IS NOT NULL)"
            " OR (role <> 'member' AND organisation_id IS NULL)",
            name="member_organisation",
        ),
        CheckConstraint("failed_signins >= 0", name="failed_signins"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_signin_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    organisation: Mapped[Organisation | None] = relationship()


class PortalSession(Base):
    """A signed-in browser: the SHA-256 digest of the random id its cookie carries (the id itself
    is never stored), whose account it is, and when it ends."""

    __tablename__ = "portal_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("user_accounts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    account: Mapped[UserAccount] = relationship()
