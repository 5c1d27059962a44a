"""core schema

Revision ID: 0001_core
Revises:
Create Date: 2026-11-27 16:38:07.364026
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supportledger.models

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("covers_from", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("covers_to", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("undone_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_sha256"), ["sha256"], unique=False)

    op.create_table(
        "supporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("forgotten_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["supporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supporters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supporters_merged_into_id"), ["merged_into_id"], unique=False
        )

    op.create_table(
        "channel_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("as_of", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "currency", "as_of"),
    )
    with op.batch_alter_table("channel_balances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_balances_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("initiated_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id"),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=True),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("interval", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("ended_at", supportledger.models.UTCDateTime(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["supporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_supporter_id"), ["supporter_id"], unique=False
        )

    op.create_table(
        "supporter_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["supporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supporter_id", "name"),
    )
    with op.batch_alter_table("supporter_details", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supporter_details_supporter_id"), ["supporter_id"], unique=False
        )

    op.create_table(
        "supporter_handles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["supporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "kind", "value"),
    )
    with op.batch_alter_table("supporter_handles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supporter_handles_supporter_id"), ["supporter_id"], unique=False
        )

    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("occurred_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("expected_fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("original_minor", sa.BigInteger(), nullable=True),
        sa.Column("original_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("fx_rate", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("flags", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("supporter_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("check_number", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("net_minor = gross_minor - fee_minor", name="net_is_gross_less_fee"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["receipts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["supporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id"),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_receipts_occurred_at_channel", ["occurred_at", "channel"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_receipts_reverses_id"), ["reverses_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_receipts_supporter_id"), ["supporter_id"], unique=False
        )

    op.create_table(
        "bank_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("classification", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counterparty", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["payouts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "external_id"),
    )
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_lines_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_lines_posted_on"), ["posted_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_lines_posted_on"))
        batch_op.drop_index(batch_op.f("ix_bank_lines_batch_id"))

    op.drop_table("bank_lines")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_supporter_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_reverses_id"))
        batch_op.drop_index("ix_receipts_occurred_at_channel")
        batch_op.drop_index(batch_op.f("ix_receipts_batch_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("supporter_handles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supporter_handles_supporter_id"))

    op.drop_table("supporter_handles")
    with op.batch_alter_table("supporter_details", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supporter_details_supporter_id"))

    op.drop_table("supporter_details")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_supporter_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_batch_id"))

    op.drop_table("payouts")
    with op.batch_alter_table("channel_balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_balances_batch_id"))

    op.drop_table("channel_balances")
    with op.batch_alter_table("supporters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supporters_merged_into_id"))

    op.drop_table("supporters")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_sha256"))

    op.drop_table("import_batches")
