"""route-server options per member ASN: blackhole opt-in and session password

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_asns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rs_blackhole", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("bgp_password", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_asns", schema=None) as batch_op:
        batch_op.drop_column("bgp_password")
        batch_op.drop_column("rs_blackhole")
