"""indexes the reports read open items through, so a month's statement and ``reconcile``
cost the same however long the history:

- ``ix_receipts_waiting`` (channel, status, occurred_at): the checks in hand not yet
  deposited, and those received in the days before a month's end;
- ``ix_bank_lines_receipt_id`` (receipt_id, posted_on): whether a receipt's bank line was
  posted by a day;
- ``ix_bank_lines_payout_id`` (payout_id, classification, posted_on): the bank line that
  brought a payout, and the payout lines not yet matched.

Revision ID: 0012_read_indexes
Revises: 0011_bank_income
Create Date: 2026-12-03 13:30:00.000000
"""

from alembic import op

revision = "0012_read_indexes"
down_revision = "0011_bank_income"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_receipts_waiting": ("receipts", ["channel", "status", "occurred_at"]),
    "ix_bank_lines_receipt_id": ("bank_lines", ["receipt_id", "posted_on"]),
    "ix_bank_lines_payout_id": ("bank_lines", ["payout_id", "classification", "posted_on"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
