"""receipts indexed by supporter, status, currency and net, so every supporter's totals are
read from the index alone (``supporters`` at a million receipts)

Revision ID: 0008_receipts_by_supporter
Revises: 0007_subscription_history
Create Date: 2026-12-03 09:00:00.000000
"""

from alembic import op

revision = "0008_receipts_by_supporter"
down_revision = "0007_subscription_history"
branch_labels = None
depends_on = None

COLUMNS = ["supporter_id", "status", "currency", "net_minor"]


def upgrade() -> None:
    op.create_index("ix_receipts_by_supporter", "receipts", COLUMNS)
    op.drop_index("ix_receipts_supporter_id", table_name="receipts")


def downgrade() -> None:
    op.create_index("ix_receipts_supporter_id", "receipts", ["supporter_id"])
    op.drop_index("ix_receipts_by_supporter", table_name="receipts")
