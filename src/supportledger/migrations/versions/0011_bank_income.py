"""a payment straight into the bank is ``income`` on its channel, whatever the channel

Bank lines were classified ``zelle`` or ``check``: classifications that doubled as channel
names, so the writer, the journal and the export each named those two channels in code, and
a channel declared later (a writer's own) could not be paid straight into the bank. Each
such line becomes ``income`` with its channel as the counterparty (the payer of a Zelle
credit, kept there before, is its receipt's supporter already).

Revision ID: 0011_bank_income
Revises: 0010_hardening
Create Date: 2026-12-03 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_bank_income"
down_revision = "0010_hardening"
branch_labels = None
depends_on = None

#: the classifications that named a channel, each that channel's name
RENAMED = ("zelle", "check")

LINES = sa.table(
    "bank_lines", sa.column("classification", sa.String), sa.column("counterparty", sa.String)
)


def upgrade() -> None:
    for channel in RENAMED:
        op.execute(
            LINES.update()
            .where(LINES.c.classification == channel)
            .values(classification="income", counterparty=channel)
        )


def downgrade() -> None:
    for channel in RENAMED:
        op.execute(
            LINES.update()
            .where(LINES.c.classification == "income", LINES.c.counterparty == channel)
            .values(classification=channel)
        )
