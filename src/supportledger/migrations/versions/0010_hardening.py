"""hand-recorded checks no longer keyed on a hash of the payer's name

A check typed in by hand was ``check:NUMBER:HASH``, HASH the first 12 hex digits of the
SHA-256 of the payer's lower-cased name: exported with every receipt, it confirmed a
guessed name, and ``supporters forget`` could not take it back. Each such id (and its
adjustments' ``...#adjustment-N``) gets a random token instead; the same check recorded
twice is now refused by its number and payer (supportledger.imports.write_receipt).

Revision ID: 0010_hardening
Revises: 0009_titles
Create Date: 2026-12-03 09:00:00.000000
"""

import re
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010_hardening"
down_revision = "0009_titles"
branch_labels = None
depends_on = None

NAME_HASHED = re.compile(r"check:(?P<number>.*):(?P<hash>[0-9a-f]{12})(?P<rest>#adjustment-\d+)?")


def upgrade() -> None:
    receipts = sa.table(
        "receipts", sa.column("id", sa.Integer), sa.column("external_id", sa.String)
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(receipts.c.id, receipts.c.external_id).where(
            receipts.c.external_id.like("check:%")
        )
    ).all()
    tokens: dict[tuple[str, str], str] = {}  # a check and its adjustments keep one token
    for row_id, external_id in rows:
        found = NAME_HASHED.fullmatch(external_id)
        if found is None:
            continue
        token = tokens.setdefault((found["number"], found["hash"]), uuid.uuid4().hex[:12])
        connection.execute(
            receipts.update()
            .where(receipts.c.id == row_id)
            .values(external_id=f"check:{found['number']}:{token}{found['rest'] or ''}")
        )


def downgrade() -> None:
    """Nothing to undo: a random token is as good an id to the older code."""
