"""receipts indexed by supporter, status and net, so every supporter's totals are read from
the index alone (``supporters`` at a million receipts)

Revision ID: 0006_receipts_by_supporter
Revises: 0005_payout_matches
Create Date: 2026-12-03 09:00:00.000000
"""

from alembic import op

revision = "0006_receipts_by_supporter"
down_revision = "0005_payout_matches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_receipts_supporter_status_net", "receipts", ["supporter_id", "status", "net_minor"]
    )
    op.drop_index("ix_receipts_supporter_id", table_name="receipts")


def downgrade() -> None:
    op.create_index("ix_receipts_supporter_id", "receipts", ["supporter_id"])
    op.drop_index("ix_receipts_supporter_status_net", table_name="receipts")
