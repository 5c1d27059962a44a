"""subscription history: every state a subscription is seen in, from the day it took effect;
the channel's own running figures (lifetime, last charge) beside each subscription

Revision ID: 0007_subscription_history
Revises: 0005_payout_matches
Create Date: 2026-12-03 09:00:00.000000

Each subscription an older ledger holds gets the history its row implies: started on its
``started_at`` (else its first payment, else the day its export was imported) with its
terms, and, when it is not active, its status from its ``ended_at`` (else that import's day:
the export said so then, and nothing earlier). No row or value of ``subscriptions`` changes.
"""

import datetime as dt

import sqlalchemy as sa
import sqlmodel
from alembic import op

import supportledger.models

revision = "0007_subscription_history"
down_revision = "0006_journal"
branch_labels = None
depends_on = None

#: an old row's status, as the state of history it ended in
_STATES = {"paused": "paused", "declined": "declined", "cancelled": "ended"}


def upgrade() -> None:
    op.create_table(
        "subscription_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("effective_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("interval", supportledger.models.IntervalText(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("observed_at", supportledger.models.UTCDateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscription_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_events_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_events_subscription_id"),
            ["subscription_id"],
            unique=False,
        )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", supportledger.models.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("lifetime_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("last_charge_at", supportledger.models.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_charge_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    _history_of_existing_rows()


def _history_of_existing_rows() -> None:
    utc = supportledger.models.UTCDateTime()
    subscriptions = sa.table(
        "subscriptions",
        *(sa.column(name) for name in ("id", "tier", "amount_minor", "currency", "status")),
        sa.column("interval", supportledger.models.IntervalText()),
        sa.column("started_at", utc),
        sa.column("ended_at", utc),
        sa.column("batch_id"),
    )
    batches = sa.table("import_batches", sa.column("id"), sa.column("started_at", utc))
    receipts = sa.table("receipts", sa.column("subscription_id"), sa.column("occurred_at", utc))
    events = sa.table(
        "subscription_events",
        *(sa.column(name) for name in ("subscription_id", "state", "amount_minor", "currency")),
        sa.column("interval", supportledger.models.IntervalText()),
        sa.column("tier"),
        sa.column("effective_at", utc),
        sa.column("observed_at", utc),
        sa.column("batch_id"),
    )
    connection = op.get_bind()
    first_paid = (
        sa.select(sa.func.min(receipts.c.occurred_at))
        .where(receipts.c.subscription_id == subscriptions.c.id)
        .scalar_subquery()
    )
    imported = (
        sa.select(batches.c.started_at)
        .where(batches.c.id == subscriptions.c.batch_id)
        .scalar_subquery()
    )
    now = dt.datetime.now(dt.UTC)
    rows = []
    for sub in connection.execute(
        sa.select(subscriptions, first_paid.label("first_paid"), imported.label("imported"))
    ).mappings():
        seen = sub["imported"] or now
        started = sub["started_at"] or sub["first_paid"] or seen
        terms = {
            "subscription_id": sub["id"],
            "amount_minor": sub["amount_minor"],
            "currency": sub["currency"],
            "interval": sub["interval"],
            "tier": sub["tier"],
            "observed_at": seen,
            "batch_id": sub["batch_id"],
        }
        rows.append({**terms, "state": "started", "effective_at": started})
        if sub["status"] in _STATES:
            since = max(sub["ended_at"] or seen, started)
            rows.append({**terms, "state": _STATES[sub["status"]], "effective_at": since})
    if rows:
        connection.execute(sa.insert(events), rows)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("last_charge_status")
        batch_op.drop_column("last_charge_at")
        batch_op.drop_column("lifetime_minor")
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("subscription_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_events_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_events_batch_id"))
    op.drop_table("subscription_events")
