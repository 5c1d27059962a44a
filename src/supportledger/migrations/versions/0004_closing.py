"""closed months: when each was closed and reopened, the digest of its receipts, and
the closed month an adjustment receipt belongs to

Revision ID: 0004_closing
Revises: 0003_deliveries
Create Date: 2026-11-27 17:05:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supportledger.models

revision = "0004_closing"
down_revision = "0003_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "month_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("starts_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("ends_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("closed_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("reopened_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("reopen_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("month_closes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_month_closes_month"), ["month"], unique=False)
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("adjusts_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("adjusts_month")
    with op.batch_alter_table("month_closes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_month_closes_month"))

    op.drop_table("month_closes")
