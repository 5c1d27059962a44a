"""when a bank line was matched to its payout, so a closed month's statement keeps the
arrival dates it showed when it was closed

Revision ID: 0005_payout_matches
Revises: 0004_closing
Create Date: 2026-11-27 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportledger.models

revision = "0005_payout_matches"
down_revision = "0004_closing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("matched_at", supportledger.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.drop_column("matched_at")
