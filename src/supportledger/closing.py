"""Closed months: frozen once the month's statement has gone out.

A month is closed while it has a ``month_closes`` row that was not reopened; the row keeps
the UTC range the month covered, so what is frozen does not depend on settings read later.
No receipt dated in a closed month is edited afterwards, so its statement stays exactly
what was sent:

- a later change to one of its receipts (a new gross or fee, or a status that makes it
  count or stop counting) is booked as an ``adjustment`` receipt for the difference, dated
  at the start of the first open month after it and pointing at the receipt it adjusts
  (``reverses_id``);
- a receipt that turns up late, dated inside a closed month, is booked at the start of the
  first open month, its true date kept in its description. A late donation is still money
  received: refusing it would block the whole file it came in, and the writer would have to
  reopen a month whose statement was already sent. It keeps its event (a late refund is
  still a refund).

Both carry ``adjusts_month`` (the closed month they belong to), and both show in that open
month's ``reconcile`` and statement. ``reopen`` exists for a mistake, and is recorded: the
close's row keeps when and why.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, select

from supportledger.errors import LedgerError
from supportledger.models import (
    COUNTED_STATUSES,
    Event,
    MonthClose,
    Payout,
    Receipt,
    Status,
    utcnow,
)
from supportledger.months import Month

MONTH_CLOSES: Table = MonthClose.__table__
RECEIPTS: Table = Receipt.__table__
PAYOUTS: Table = Payout.__table__


def counted(row: Mapping[str, Any]) -> tuple[int, int]:
    """(gross, fee) a receipt adds to its statement: nothing unless its status counts."""
    if row["status"] not in COUNTED_STATUSES:
        return 0, 0
    return row["gross_minor"], row["fee_minor"]


@dataclass(frozen=True)
class ClosedRange:
    month: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class ClosedMonths:
    """The months closed right now, and where a change dated in one of them goes instead.

    Load it once per transaction (:meth:`load`) and ask it about each receipt.
    """

    ranges: tuple[ClosedRange, ...]  # ordered by start, never overlapping

    @classmethod
    def load(cls, connection: Connection) -> ClosedMonths:
        rows = connection.execute(
            select(MONTH_CLOSES.c.month, MONTH_CLOSES.c.starts_at, MONTH_CLOSES.c.ends_at)
            .where(MONTH_CLOSES.c.reopened_at.is_(None))
            .order_by(MONTH_CLOSES.c.starts_at)
        )
        return cls(tuple(ClosedRange(*row) for row in rows))

    def containing(self, instant: dt.datetime) -> ClosedRange | None:
        index = bisect.bisect_right([r.start for r in self.ranges], instant) - 1
        if index >= 0 and instant < self.ranges[index].end:
            return self.ranges[index]
        return None

    def first_open_start(self, instant: dt.datetime) -> dt.datetime:
        """The start of the first open month from ``instant``'s on (``instant`` if open)."""
        while (found := self.containing(instant)) is not None:
            instant = found.end
        return instant

    def late_entry(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The columns of a new receipt, moved out of a closed month when dated in one."""
        occurred_at = values["occurred_at"]
        found = self.containing(occurred_at)
        if found is None:
            return {**values, "adjusts_month": None}
        note = f"late entry of {occurred_at:%Y-%m-%d %H:%M} UTC; {found.month} was closed"
        description = values.get("description") or ""
        return {
            **values,
            "occurred_at": self.first_open_start(occurred_at),
            "adjusts_month": found.month,
            "description": f"{note}: {description}" if description else note,
        }

    def revise(
        self,
        connection: Connection,
        current: Mapping[str, Any],
        changes: Mapping[str, Any],
        batch_id: int | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Split ``changes`` to the receipt ``current`` (its id and at least occurred_at)
        into what may still be written to it and adjustment receipts (column dicts) to add.

        - ``current`` in an open month: every change applies, except that it is never moved
          into a closed month, and one already moved out of one keeps its date;
        - ``current`` in a closed month: nothing of it changes; what it would add to its
          statement (:func:`counted`) becomes one adjustment for the difference from what
          the ledger already says (its figures plus earlier adjustments to it), so the same
          file imported twice adjusts once.
        """
        closed = self.containing(current["occurred_at"])
        if closed is None:
            if "occurred_at" not in changes:
                return dict(changes), []
            late = connection.execute(
                select(RECEIPTS.c.adjusts_month).where(RECEIPTS.c.id == current["id"])
            ).scalar()
            if late is not None or self.containing(changes["occurred_at"]) is not None:
                return {k: v for k, v in changes.items() if k != "occurred_at"}, []
            return dict(changes), []
        row = connection.execute(select(RECEIPTS).where(RECEIPTS.c.id == current["id"]))
        receipt = dict(row.mappings().one())
        gross, fee, count = connection.execute(
            select(
                func.coalesce(func.sum(RECEIPTS.c.gross_minor), 0),
                func.coalesce(func.sum(RECEIPTS.c.fee_minor), 0),
                func.count(),
            ).where(RECEIPTS.c.reverses_id == receipt["id"], RECEIPTS.c.event == Event.ADJUSTMENT)
        ).one()
        old_gross, old_fee = counted(receipt)
        new_gross, new_fee = counted({**receipt, **changes})
        gross_change = new_gross - old_gross - gross
        fee_change = new_fee - old_fee - fee
        if not gross_change and not fee_change:
            return {}, []
        adjustment = {c.name: None for c in RECEIPTS.columns if c.name != "id"}
        adjustment.update(
            channel=receipt["channel"],
            external_id=f"{receipt['external_id']}#adjustment-{count + 1}",
            kind=receipt["kind"],
            event=str(Event.ADJUSTMENT),
            status=str(Status.COMPLETED),
            occurred_at=self.first_open_start(receipt["occurred_at"]),
            currency=receipt["currency"],
            gross_minor=gross_change,
            fee_minor=fee_change,
            net_minor=gross_change - fee_change,
            flags="",
            reverses_id=receipt["id"],
            supporter_id=receipt["supporter_id"],
            subscription_id=receipt["subscription_id"],
            check_number=receipt["check_number"],
            description=f"adjusts #{receipt['id']}; {closed.month} was closed",
            adjusts_month=closed.month,
            batch_id=batch_id,
        )
        return {}, [adjustment]

    def refuse_undo(self, connection: Connection, batch_id: int) -> None:
        """Undoing an import that wrote receipts or payouts into a closed month would edit
        it: refused, naming the month to reopen."""
        for closed in self.ranges:
            for table, column in ((RECEIPTS, "occurred_at"), (PAYOUTS, "initiated_at")):
                hit = connection.execute(
                    select(table.c.id)
                    .where(table.c.batch_id == batch_id)
                    .where(table.c[column] >= closed.start, table.c[column] < closed.end)
                    .limit(1)
                ).first()
                if hit is not None:
                    raise LedgerError(
                        f"batch #{batch_id} has entries in {closed.month}, which is closed; "
                        f"reopen it first (supportledger reopen {closed.month} --reason ...)"
                    )


def month_digest(connection: Connection, month: Month, tz: ZoneInfo) -> tuple[str, int]:
    """A SHA-256 of every receipt dated in ``month`` (what its statement is made of), and
    how many there are: an equal digest later means the month's figures did not change."""
    start, end = month.bounds(tz)
    columns = [c for c in RECEIPTS.columns if c.name != "batch_id"]  # which import: not a figure
    rows = connection.execute(
        select(*columns)
        .where(RECEIPTS.c.occurred_at >= start, RECEIPTS.c.occurred_at < end)
        .order_by(RECEIPTS.c.id)
    ).all()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(("|".join("" if v is None else str(v) for v in row) + "\n").encode())
    return digest.hexdigest(), len(rows)


def latest_close(connection: Connection, month: Month) -> Mapping[str, Any] | None:
    """The most recent close of ``month`` (reopened or not), or None if never closed."""
    return (
        connection.execute(
            select(MONTH_CLOSES)
            .where(MONTH_CLOSES.c.month == str(month))
            .order_by(MONTH_CLOSES.c.closed_at.desc(), MONTH_CLOSES.c.id.desc())
        )
        .mappings()
        .first()
    )


def close_month(ledger, month: Month, now: dt.datetime | None = None) -> Mapping[str, Any]:
    """Freeze ``month`` with its statement kept as it stands: refused while it is still
    running or when it is already closed."""
    from supportledger.journal import writing
    from supportledger.statement import statement_to_keep

    now = now or utcnow()
    tz = ledger.tz
    start, end = month.bounds(tz)
    if end > now:
        raise LedgerError(f"{month} is not over yet; close it once it has ended")
    with writing(ledger) as connection:
        current = latest_close(connection, month)
        if current is not None and current["reopened_at"] is None:
            since = f"{current['closed_at']:%Y-%m-%d %H:%M} UTC"
            raise LedgerError(f"{month} is already closed (since {since})")
        digest, count = month_digest(connection, month, tz)
        connection.execute(
            MONTH_CLOSES.insert().values(
                month=str(month),
                starts_at=start,
                ends_at=end,
                closed_at=now,
                digest=digest,
                receipts=count,
                snapshot=statement_to_keep(ledger, month, connection),
            )
        )
        return latest_close(connection, month)


def reopen_month(
    ledger, month: Month, reason: str, now: dt.datetime | None = None
) -> Mapping[str, Any]:
    """Reopen a closed ``month`` for a mistake; when and why stay on the close's row."""
    from supportledger.journal import writing

    if not reason.strip():
        raise LedgerError("--reason: say why the month is reopened; it is kept with the month")
    with writing(ledger) as connection:
        current = latest_close(connection, month)
        if current is None or current["reopened_at"] is not None:
            raise LedgerError(f"{month} is not closed")
        connection.execute(
            MONTH_CLOSES.update()
            .where(MONTH_CLOSES.c.id == current["id"])
            .values(reopened_at=now or utcnow(), reopen_reason=reason.strip())
        )
        return latest_close(connection, month)
