"""1099-K gross per channel and year, as the writer records it

Revision ID: 0002_tax_forms
Revises: 0001_core
Create Date: 2026-11-27 17:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supportledger.models

revision = "0002_tax_forms"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tax_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "channel"),
    )


def downgrade() -> None:
    op.drop_table("tax_forms")
