"""titles: income per title across every store and channel (ASIN, ISBN, a store's id)

Revision ID: 0009_titles
Revises: 0008_receipts_by_supporter
Create Date: 2026-12-08 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_titles"
down_revision = "0008_receipts_by_supporter"
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
    # a plain ADD COLUMN with its reference, never a rebuild of receipts: on SQLite a
    # rebuild would trip the foreign keys that point at it (bank lines, reversals)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE receipts ADD COLUMN title_id INTEGER REFERENCES titles (id)")
    else:
        op.add_column("receipts", sa.Column("title_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "receipts", "titles", ["title_id"], ["id"])
    op.create_index(op.f("ix_receipts_title_id"), "receipts", ["title_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_receipts_title_id"), table_name="receipts")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("title_id")
    with op.batch_alter_table("title_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_title_identifiers_title_id"))
    op.drop_table("title_identifiers")
    op.drop_table("titles")
