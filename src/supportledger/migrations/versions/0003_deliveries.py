"""deliveries of the statement e-mail

Revision ID: 0003_deliveries
Revises: 0002_tax_forms
Create Date: 2026-11-27 16:50:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supportledger.models

revision = "0003_deliveries"
down_revision = "0002_tax_forms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("failure", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "recipient", "attempt"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
