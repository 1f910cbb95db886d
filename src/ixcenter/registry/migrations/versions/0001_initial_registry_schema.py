"""initial registry schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_object_type"), ["object_type"], unique=False)

    op.create_table(
        "exchange_centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("ixf_id", sa.Integer(), nullable=True),
        sa.Column("peeringdb_id", sa.Integer(), nullable=True),
        sa.Column("rs_asn", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_centers")),
        sa.UniqueConstraint("code", name=op.f("uq_exchange_centers_code")),
        sa.UniqueConstraint("ixf_id", name=op.f("uq_exchange_centers_ixf_id")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "basic-carrier",
                "isp",
                "value-added-telecom",
                "cloud",
                "content",
                "data-center",
                "ai-computing-center",
                "supercomputing-center",
                "enterprise",
                "government-cloud",
                "international-network",
                name="org_category",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("licence_number", sa.String(length=100), nullable=True),
        sa.Column("licence_expires", sa.Date(), nullable=True),
        sa.Column("sme", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("peeringdb_org_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "operator",
                "member",
                "supervisor",
                "public",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_tokens_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "long_distance_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("a_exchange_id", sa.Integer(), nullable=False),
        sa.Column("b_exchange_id", sa.Integer(), nullable=True),
        sa.Column("remote_name", sa.String(length=200), nullable=True),
        sa.Column("remote_country", sa.String(length=2), nullable=True),
        sa.Column("capacity_mbps", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "b_exchange_id IS NOT NULL OR remote_name IS NOT NULL",
            name=op.f("ck_long_distance_links_far_end"),
        ),
        sa.CheckConstraint("capacity_mbps > 0", name=op.f("ck_long_distance_links_capacity")),
        sa.CheckConstraint("latency_ms >= 0", name=op.f("ck_long_distance_links_latency")),
        sa.ForeignKeyConstraint(
            ["a_exchange_id"],
            ["exchange_centers.id"],
            name=op.f("fk_long_distance_links_a_exchange_id_exchange_centers"),
        ),
        sa.ForeignKeyConstraint(
            ["b_exchange_id"],
            ["exchange_centers.id"],
            name=op.f("fk_long_distance_links_b_exchange_id_exchange_centers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_long_distance_links")),
        sa.UniqueConstraint("name", name=op.f("uq_long_distance_links_name")),
    )
    with op.batch_alter_table("long_distance_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_long_distance_links_a_exchange_id"), ["a_exchange_id"], unique=False
        )

    op.create_table(
        "member_asns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("as_set", sa.String(length=200), nullable=True),
        sa.Column("irr_sources", sa.String(length=200), nullable=True),
        sa.Column("max_prefix_v4", sa.Integer(), nullable=False),
        sa.Column("max_prefix_v6", sa.Integer(), nullable=False),
        sa.Column("rs_participation", sa.Boolean(), nullable=False),
        sa.Column("peeringdb_net_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("asn > 0 AND asn <= 4294967295", name=op.f("ck_member_asns_asn_range")),
        sa.CheckConstraint(
            "max_prefix_v4 >= 0 AND max_prefix_v6 >= 0", name=op.f("ck_member_asns_max_prefix")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_member_asns_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_asns")),
        sa.UniqueConstraint("asn", name=op.f("uq_member_asns_asn")),
    )
    with op.batch_alter_table("member_asns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_asns_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("facility", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchange_centers.id"],
            name=op.f("fk_nodes_exchange_id_exchange_centers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("code", name=op.f("uq_nodes_code")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nodes_exchange_id"), ["exchange_id"], unique=False)

    op.create_table(
        "peering_lans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("vlan", sa.Integer(), nullable=False),
        sa.Column("ipv4_prefix", sa.String(length=43), nullable=True),
        sa.Column("ipv6_prefix", sa.String(length=43), nullable=True),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchange_centers.id"],
            name=op.f("fk_peering_lans_exchange_id_exchange_centers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peering_lans")),
        sa.UniqueConstraint("exchange_id", "vlan", name=op.f("uq_peering_lans_exchange_id_vlan")),
    )
    with op.batch_alter_table("peering_lans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peering_lans_exchange_id"), ["exchange_id"], unique=False
        )

    op.create_table(
        "reserved_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lan_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=39), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["lan_id"], ["peering_lans.id"], name=op.f("fk_reserved_addresses_lan_id_peering_lans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reserved_addresses")),
        sa.UniqueConstraint("lan_id", "address", name=op.f("uq_reserved_addresses_lan_id_address")),
    )
    with op.batch_alter_table("reserved_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reserved_addresses_lan_id"), ["lan_id"], unique=False)

    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "public-peering",
                "multi-cloud",
                "enterprise-cloud",
                "5g-vpn",
                "industrial-internet",
                "satellite",
                "cross-border",
                name="service_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "ceased", name="service_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("committed_mbps", sa.BigInteger(), nullable=False),
        sa.Column("lan_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("committed_mbps >= 0", name=op.f("ck_services_committed")),
        sa.ForeignKeyConstraint(
            ["lan_id"], ["peering_lans.id"], name=op.f("fk_services_lan_id_peering_lans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("lan_id", name=op.f("uq_services_lan_id")),
    )
    op.create_table(
        "switches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_switches_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_switches")),
        sa.UniqueConstraint("name", name=op.f("uq_switches_name")),
    )
    with op.batch_alter_table("switches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_switches_node_id"), ["node_id"], unique=False)

    op.create_table(
        "ports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("switch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("physical", "lag", name="port_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("speed_mbps", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "connected",
                "disabled",
                "decommissioned",
                name="port_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("lag_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("speed_mbps > 0", name=op.f("ck_ports_speed")),
        sa.ForeignKeyConstraint(["lag_id"], ["ports.id"], name=op.f("fk_ports_lag_id_ports")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ports_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["switch_id"], ["switches.id"], name=op.f("fk_ports_switch_id_switches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ports")),
        sa.UniqueConstraint("switch_id", "name", name=op.f("uq_ports_switch_id_name")),
    )
    with op.batch_alter_table("ports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ports_lag_id"), ["lag_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ports_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ports_switch_id"), ["switch_id"], unique=False)

    op.create_table(
        "ip_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lan_id", sa.Integer(), nullable=False),
        sa.Column("port_id", sa.Integer(), nullable=False),
        sa.Column("asn_id", sa.Integer(), nullable=False),
        sa.Column("ipv4", sa.String(length=15), nullable=True),
        sa.Column("ipv6", sa.String(length=39), nullable=True),
        sa.CheckConstraint(
            "ipv4 IS NOT NULL OR ipv6 IS NOT NULL", name=op.f("ck_ip_assignments_some_address")
        ),
        sa.ForeignKeyConstraint(
            ["asn_id"], ["member_asns.id"], name=op.f("fk_ip_assignments_asn_id_member_asns")
        ),
        sa.ForeignKeyConstraint(
            ["lan_id"], ["peering_lans.id"], name=op.f("fk_ip_assignments_lan_id_peering_lans")
        ),
        sa.ForeignKeyConstraint(
            ["port_id"], ["ports.id"], name=op.f("fk_ip_assignments_port_id_ports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_assignments")),
        sa.UniqueConstraint("lan_id", "ipv4", name=op.f("uq_ip_assignments_lan_id_ipv4")),
        sa.UniqueConstraint("lan_id", "ipv6", name=op.f("uq_ip_assignments_lan_id_ipv6")),
    )
    with op.batch_alter_table("ip_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ip_assignments_asn_id"), ["asn_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ip_assignments_lan_id"), ["lan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ip_assignments_port_id"), ["port_id"], unique=False)

    op.create_table(
        "port_macs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("port_id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=False),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], name=op.f("fk_port_macs_port_id_ports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_port_macs")),
        sa.UniqueConstraint("port_id", "mac", name=op.f("uq_port_macs_port_id_mac")),
    )
    with op.batch_alter_table("port_macs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_port_macs_mac"), ["mac"], unique=False)
        batch_op.create_index(batch_op.f("ix_port_macs_port_id"), ["port_id"], unique=False)

    op.create_table(
        "service_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("port_id", sa.Integer(), nullable=False),
        sa.Column("vlan", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "vlan >= 1 AND vlan <= 4094", name=op.f("ck_service_endpoints_vlan_range")
        ),
        sa.ForeignKeyConstraint(
            ["port_id"], ["ports.id"], name=op.f("fk_service_endpoints_port_id_ports")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_endpoints_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_endpoints")),
        sa.UniqueConstraint("port_id", "vlan", name=op.f("uq_service_endpoints_port_id_vlan")),
    )
    with op.batch_alter_table("service_endpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_endpoints_port_id"), ["port_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_endpoints_service_id"), ["service_id"], unique=False
        )

    _install_append_only_guard()


def downgrade() -> None:
    _drop_append_only_guard()

    with op.batch_alter_table("service_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_endpoints_service_id"))
        batch_op.drop_index(batch_op.f("ix_service_endpoints_port_id"))

    op.drop_table("service_endpoints")
    with op.batch_alter_table("port_macs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_port_macs_port_id"))
        batch_op.drop_index(batch_op.f("ix_port_macs_mac"))

    op.drop_table("port_macs")
    with op.batch_alter_table("ip_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ip_assignments_port_id"))
        batch_op.drop_index(batch_op.f("ix_ip_assignments_lan_id"))
        batch_op.drop_index(batch_op.f("ix_ip_assignments_asn_id"))

    op.drop_table("ip_assignments")
    with op.batch_alter_table("ports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ports_switch_id"))
        batch_op.drop_index(batch_op.f("ix_ports_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_ports_lag_id"))

    op.drop_table("ports")
    with op.batch_alter_table("switches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_switches_node_id"))

    op.drop_table("switches")
    op.drop_table("services")
    with op.batch_alter_table("reserved_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reserved_addresses_lan_id"))

    op.drop_table("reserved_addresses")
    with op.batch_alter_table("peering_lans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peering_lans_exchange_id"))

    op.drop_table("peering_lans")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nodes_exchange_id"))

    op.drop_table("nodes")
    with op.batch_alter_table("member_asns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_asns_organisation_id"))

    op.drop_table("member_asns")
    with op.batch_alter_table("long_distance_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_long_distance_links_a_exchange_id"))

    op.drop_table("long_distance_links")
    op.drop_table("api_tokens")
    op.drop_table("organisations")
    op.drop_table("exchange_centers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_object_type"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")


def _install_append_only_guard() -> None:
    """The audit log refuses UPDATE and DELETE in the database itself, not only in the ORM."""
    if op.get_context().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"
    )


def _drop_append_only_guard() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse()")
