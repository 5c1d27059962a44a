"""titles: income per title across every store and channel (ASIN, ISBN, a store's id)

Revision ID: 0009_titles
Revises: 0005_payout_matches
Create Date: 2026-12-08 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_titles"
down_revision = "0005_payout_matches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "title_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["title_id"], ["titles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme", "value"),
    )
    with op.batch_alter_table("title_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_title_identifiers_title_id"), ["title_id"], unique=False
        )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_receipts_title_id"), ["title_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_receipts_title_id_titles"), "titles", ["title_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_receipts_title_id_titles"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_receipts_title_id"))
        batch_op.drop_column("title_id")
    with op.batch_alter_table("title_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_title_identifiers_title_id"))
    op.drop_table("title_identifiers")
    op.drop_table("titles")
